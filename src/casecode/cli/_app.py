"""The typer application and the error guard every command is wrapped in."""

from __future__ import annotations

import functools
import os
import sys
import warnings
from typing import Callable, Optional

import typer

from .. import __version__
from ..errors import CasecodeError, CasecodeWarning

app = typer.Typer(
    name="casecode",
    help="Qualitative coding for case studies: code transcripts, review suggestions, reproduce the 2015 study.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version_callback(value: bool):
    if value:
        typer.echo(f"casecode {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Optional[bool] = typer.Option(
        None, "--version", callback=_version_callback, is_eager=True, help="Print the version and exit."
    ),
):
    """casecode: explainable qualitative coding."""


def fail(message: str) -> None:
    """Print a one-line error and exit 1."""
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(1)


def command(*args, on: typer.Typer | None = None, **kwargs) -> Callable:
    """Register a command on `app` (or the sub-app `on`), turning casecode and file-system errors into one-line
    CLI errors."""

    def register(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def guarded(*a, **kw):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("always", CasecodeWarning)
                    warnings.showwarning = _show_warning
                    return fn(*a, **kw)
            except CasecodeError as exc:
                fail(str(exc))
            except FileNotFoundError as exc:
                fail(f"{exc.filename}: no such file; check the path")
            except BrokenPipeError:  # `casecode status | head -1`: the reader left; there is nobody to tell
                try:
                    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
                except (OSError, ValueError):  # stdout is no file (a test runner's buffer)
                    pass
                raise typer.Exit(141) from None
            except PermissionError as exc:
                fail(f"{exc.filename}: permission denied; choose a folder you can write to")
            except OSError as exc:  # a full disk, a read-only file system, a vanished network drive
                fail(f"{exc.filename or 'a file'}: {exc.strerror or exc}; check the path, the free space and the "
                     f"permissions, then run the command again")
            except (typer.Exit, typer.Abort, KeyboardInterrupt):
                raise
            except Exception as exc:  # a bug of ours: say so in one line, keep the traceback for a debug run
                if os.environ.get("CASECODE_DEBUG"):
                    raise
                fail(f"internal error ({type(exc).__name__}: {exc}); rerun with CASECODE_DEBUG=1 for the "
                     f"traceback and report it")

        return (on or app).command(*args, **kwargs)(guarded)

    return register


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """casecode's own warnings as one `Warning: ...` line on stderr; others as Python prints them."""
    if issubclass(category, CasecodeWarning):
        typer.echo(f"Warning: {message}", err=True)
    else:
        typer.echo(warnings.formatwarning(message, category, filename, lineno, line), err=True, nl=False)


def main() -> None:
    """Console-script entry point."""
    app()
