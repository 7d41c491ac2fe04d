"""Coders: text and a codebook in, codings out. Coders never touch the store; the caller stores what they return."""

from .._shared import lazy_exports

# Names are imported when first used (`casecode._shared.lazy_exports`): the rule coder alone does not load
# scikit-learn, which takes longer to import than coding a transcript.
_EXPORTS = {
    "CODING_COLUMNS": "._codings", "unit_texts": "._codings",
    "CombinedCoder": "._combined", "fit_combined": "._combined", "tune_combination": "._combined",
    "EmbeddingCoder": "._embed", "embeddings_available": "._embed",
    "LearnedCoder": "._learned", "model_codings": "._learned",
    "DEFAULT_PIPELINE": "._nlp", "has_parser": "._nlp", "load_nlp": "._nlp",
    "RuleCoder": "._rules", "codebook_patterns": "._rules",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "CODING_COLUMNS",
    "DEFAULT_PIPELINE",
    "CombinedCoder",
    "EmbeddingCoder",
    "LearnedCoder",
    "RuleCoder",
    "codebook_patterns",
    "embeddings_available",
    "fit_combined",
    "has_parser",
    "load_nlp",
    "model_codings",
    "tune_combination",
    "unit_texts",
]
