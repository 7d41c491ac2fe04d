"""The `casecode` command line: a thin shell over the library.

Each command parses its arguments, calls one library function, and turns a CasecodeError into a one-line error
with exit code 1. Commands live in `_<topic>.py` modules that register themselves on `app`.
"""

from __future__ import annotations

from ._app import app, main

# Importing the command modules registers their commands on `app`.
from . import _exchange, _framework, _manage, _project, _study, _web  # noqa: F401,E402

__all__ = ["app", "main"]
