"""Exchange commands: `casecode export qdpx|qdc` and `casecode import qdpx|qdc` (REFI-QDA)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ._app import Group, app, command

export_app = typer.Typer(help="Export to other QDA tools: a project as .qdpx, a codebook as .qdc (REFI-QDA).",
                         no_args_is_help=True, cls=Group)
import_app = typer.Typer(help="Import from other QDA tools: a .qdpx project, a .qdc codebook (REFI-QDA).",
                         no_args_is_help=True, cls=Group)
app.add_typer(export_app, name="export")
app.add_typer(import_app, name="import")


@export_app.callback()
def _export():
    """Export to other QDA tools: a project as .qdpx, a codebook as .qdc (REFI-QDA).

    Example: casecode export qdpx -p my-study my-study.qdpx
    """


@import_app.callback()
def _import():
    """Import from other QDA tools: a .qdpx project, a .qdc codebook (REFI-QDA).

    Example: casecode import qdpx from-nvivo.qdpx -p my-study
    """

PROJECT_OPTION = typer.Option(Path("."), "--project", "-p", help="The project folder (default: the current one).")


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{value} {name.replace('_', ' ')}" for name, value in counts.items())


@command("qdpx", on=export_app)
def export_qdpx(
    out: Path = typer.Argument(..., help="The .qdpx archive to write."),
    project: Path = PROJECT_OPTION,
    include_suggested: bool = typer.Option(False, "--include-suggested",
                                           help="Also export unreviewed suggestions, marked as such."),
):
    """Export a project as a REFI-QDA archive for NVivo, ATLAS.ti, MAXQDA or QualCoder.

    Example: casecode export qdpx -p my-study my-study.qdpx
    """
    from ..interop.refi import write_qdpx
    from ..store import open_project

    with open_project(project) as proj:
        counts = write_qdpx(proj, out, include_suggested=include_suggested)
    typer.echo(f"Wrote {out}: {_summary(counts)}")


@command("qdc", on=export_app)
def export_qdc(
    codebook: Path = typer.Argument(..., help="A YAML codebook."),
    out: Path = typer.Argument(..., help="The .qdc file to write."),
):
    """Export a codebook as a REFI-QDA .qdc file.

    Example: casecode export qdc codebooks/leadership-actions-2015.yaml actions.qdc
    """
    from ..interop.refi import write_qdc

    write_qdc(codebook, out)
    typer.echo(f"Wrote {out}")


@command("qdpx", on=import_app)
def import_qdpx(
    file: Path = typer.Argument(..., help="The .qdpx archive to read."),
    project: Path = typer.Option(..., "--project", "-p", help="A new folder, or a project holding no documents."),
    map_: List[str] = typer.Option([], "--map", help="Map an archive code to a code of the codebook: OLD=NEW "
                                   "(repeatable)."),
):
    """Import a REFI-QDA archive into a new or empty project; codings become manual codings of their users.

    Example: casecode import qdpx from-nvivo.qdpx -p my-study --map "Staff voice=employees"
    """
    from ..errors import CoderError, warn
    from ..interop.refi import read_qdpx
    from ..store import open_project
    from ..studies.coders import describe, named_coder

    counts = read_qdpx(file, project, code_map=map_)
    typer.echo(f"Imported {file} into {project}: {_summary(counts)}")
    with open_project(project) as proj:
        coder = proj.coder
    try:  # the archive's `coder:` came with it; one from a newer casecode may be unknown here
        typer.echo(f"Coder: {describe(named_coder(coder))}")
    except CoderError as exc:
        warn(f"{project}: {exc}")


@command("qdc", on=import_app)
def import_qdc(
    file: Path = typer.Argument(..., help="The .qdc codebook to read."),
    out: Optional[Path] = typer.Option(None, "--out", help="The YAML codebook to write (default: FILE as .yaml)."),
):
    """Convert a REFI-QDA .qdc codebook into a casecode YAML codebook.

    Example: casecode import qdc shared-codes.qdc --out codebooks/shared.yaml
    """
    from ..codebook import write_codebook
    from ..errors import InteropError
    from ..interop.refi import read_qdc

    out = out or file.with_suffix(".yaml")
    if out.exists():
        raise InteropError(f"{out} already exists; choose another --out or remove it")
    codebook = read_qdc(file)
    write_codebook(codebook, out)
    typer.echo(f"Wrote {out}: {len(codebook)} codes")
