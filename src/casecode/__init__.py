"""casecode: qualitative research coding for case studies, with explainable suggestions."""

from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("casecode")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

from .errors import (
    AnalysisError,
    CasecodeError,
    CodebookError,
    CoderError,
    CorpusError,
    ReviewError,
    StoreError,
)
from .codebook import Codebook, Code, read_codebook, write_codebook

__all__ = [
    "__version__",
    "CasecodeError",
    "CorpusError",
    "CodebookError",
    "CoderError",
    "StoreError",
    "ReviewError",
    "AnalysisError",
    "Codebook",
    "Code",
    "read_codebook",
    "write_codebook",
]
