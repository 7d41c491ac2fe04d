"""Studies composed from the rooms upstream: the 2015 reproduction and the replication recipe."""

from ._paths import study_paths
from .appendix2015 import appendix_two_docx, appendix_two_markdown
from ._report2015 import Report2015, parse_report, quantifier_range
from .solace2015 import Reproduction, load_study, reproduce

__all__ = ["Report2015", "Reproduction", "appendix_two_docx", "appendix_two_markdown", "load_study", "parse_report",
           "quantifier_range", "reproduce", "study_paths"]
