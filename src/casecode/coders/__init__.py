"""Coders: text and a codebook in, codings out. Coders never touch the store; the caller stores what they return."""

from ._nlp import DEFAULT_PIPELINE, has_parser, load_nlp

#: Columns of a codings DataFrame, in order. Offsets are into the document text (not the segment).
CODING_COLUMNS = [
    "segment_id",
    "document_id",
    "code",
    "start",
    "end",
    "evidence",  # the matched text, document[start:end]
    "rule",  # what fired: a pattern id, "model", or "rule+model"
    "score",  # 0..1
    "coder",  # "rules", "model", "combined", "reference", or a person's name
]

__all__ = ["CODING_COLUMNS", "DEFAULT_PIPELINE", "has_parser", "load_nlp"]
