"""Names and small helpers several rooms agree on, kept where importing them loads nothing heavy (no spaCy, no scikit-learn):
the store imports these without importing the coders."""

#: Columns of a codings DataFrame, in order. Offsets are into the document text (not the segment).
CODING_COLUMNS = [
    "segment_id",
    "document_id",
    "code",
    "start",
    "end",
    "evidence",  # the matched text, document[start:end]
    "rule",  # what fired, in words: a pattern id and its scope notes, "model p=...", or both
    "pattern",  # the id of the codebook pattern that matched ("" when no pattern did: a model, a person)
    "score",  # 0..1
    "coder",  # "rules", "model", "combined", "reference", or a person's name
]

#: The spaCy pipeline a project codes with unless told otherwise: blank English with the lookup lemmatizer.
DEFAULT_PIPELINE = "blank:en"


def whole_number(value) -> int | None:
    """An id or unit given as a number or as text ("12", 12.0, 12); None when it is not a whole number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None
