"""Coders: text and a codebook in, codings out. Coders never touch the store; the caller stores what they return."""

from ._codings import CODING_COLUMNS, unit_texts
from ._combined import CombinedCoder, fit_combined, tune_combination
from ._embed import EmbeddingCoder, embeddings_available
from ._learned import LearnedCoder, model_codings
from ._nlp import DEFAULT_PIPELINE, has_parser, load_nlp
from ._rules import RuleCoder, codebook_patterns

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
