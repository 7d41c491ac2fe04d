"""The exceptions casecode raises: one base, one subclass per room.

Every message names the bad value, where it was (file, line, row or field) and the fix, on one line, so the
CLI can print it as it is.
"""


class CasecodeError(Exception):
    """Base of every error casecode raises on purpose."""


class CorpusError(CasecodeError):
    """A document, transcript, manifest or case table could not be read."""


class CodebookError(CasecodeError):
    """A codebook file is malformed or names an unknown code."""


class CoderError(CasecodeError):
    """A coder was misconfigured, not fitted, or given input it cannot code."""


class StoreError(CasecodeError):
    """The project store refused an operation; nothing was written."""


class ReviewError(CasecodeError):
    """A review workbook or coding file holds a bad row."""


class AnalysisError(CasecodeError):
    """Tables handed to an analysis do not fit together."""


class InteropError(CasecodeError):
    """A file exchanged with another tool (a REFI-QDA project or codebook) is unsafe or malformed."""


class CasecodeWarning(UserWarning):
    """Something casecode did that a user should know about (the CLI prints it as `Warning: ...`)."""


def warn(message: str) -> None:
    """Issue a CasecodeWarning pointing at the caller's caller (where a notebook user called casecode)."""
    import warnings

    warnings.warn(message, CasecodeWarning, stacklevel=3)


class OutputError(CasecodeError):
    """An output file could not be written; nothing partial was left in its place."""
