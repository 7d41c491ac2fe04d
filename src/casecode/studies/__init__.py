"""Studies composed from the rooms upstream: the 2015 reproduction and the replication recipe.

Its names are imported when first used (`casecode._shared.lazy_exports`): coding files needs the transcript coder,
not the Word appendix and the charts."""

from .._shared import lazy_exports

_EXPORTS = {
    "study_paths": "._paths",
    "appendix_two_docx": ".appendix2015", "appendix_two_markdown": ".appendix2015",
    "Report2015": "._report2015", "parse_report": "._report2015", "quantifier_range": "._report2015",
    "Reproduction": ".solace2015", "load_study": ".solace2015", "reproduce": ".solace2015",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = ["Report2015", "Reproduction", "appendix_two_docx", "appendix_two_markdown", "load_study", "parse_report",
           "quantifier_range", "reproduce", "study_paths"]
