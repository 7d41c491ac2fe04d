"""The typer application and the error guard every command is wrapped in."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import warnings
from typing import Callable, Optional

import typer
from typer.core import TyperCommand, TyperGroup

from .. import __version__
from ..errors import CasecodeError, CasecodeWarning


# typer parses with its own copy of click and exports only BadParameter of its errors; its base is click's UsageError.
_UsageError = next(kind for kind in typer.BadParameter.__mro__ if kind.__name__ == "UsageError")


@contextlib.contextmanager
def _one_line_usage_errors():
    """A usage error (a value of the wrong kind, an unknown option or command, a missing argument) as one `Error:`
    line naming the command and its --help, instead of the usage text and a boxed panel."""
    try:
        yield
    except _UsageError as error:
        if type(error).__name__ == "NoArgsIsHelpError":  # `casecode export` alone: the help is the answer
            raise
        where = error.ctx.command_path if error.ctx is not None else "casecode"
        message = " ".join(error.format_message().split()).rstrip(".")
        typer.echo(f"Error: {where}: {message}; see '{where} --help'", err=True)
        raise typer.Exit(error.exit_code) from None


@contextlib.contextmanager
def _naming(ctx):
    """Give a usage error the command it was raised in (an option lacking its value is raised with none)."""
    try:
        yield
    except _UsageError as error:
        if error.ctx is None:
            error.ctx = ctx
        raise


class _Command(TyperCommand):
    def parse_args(self, ctx, args):
        with _naming(ctx):
            return super().parse_args(ctx, args)


class Group(TyperGroup):
    """casecode's command groups: parsing their own arguments and every sub-command's under
    `_one_line_usage_errors`."""

    def parse_args(self, ctx, args):
        with _naming(ctx):
            return super().parse_args(ctx, args)

    def make_context(self, *args, **kwargs):
        with _one_line_usage_errors():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx):
        with _one_line_usage_errors():
            return super().invoke(ctx)


app = typer.Typer(
    name="casecode",
    help="Qualitative coding for case studies: code transcripts, review suggestions, reproduce the 2015 study.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=Group,
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

        return (on or app).command(*args, cls=_Command, **kwargs)(guarded)

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
