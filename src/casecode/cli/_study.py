"""`casecode reproduce`: the 2015 study end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ._app import command


@command("reproduce")
def reproduce(
    out: Path = typer.Option(Path("outputs/2015"), "--out", help="Folder for the outputs and the project store."),
    model: str = typer.Option(None, "--model", help="An installed trained spaCy pipeline to use instead of blank English."),
    study: str = typer.Option("2015", "--study", help="Which study: '2015' (default) or another in "
                              "casecode.studies.catalogue, e.g. 'schools-demo'."),
):
    """Rebuild the 2015 study from the report text: corpus, coding, store, chart, Appendix Two.

    Example: casecode reproduce --out outputs/2015
    """
    from ..studies.catalogue import reproduce_study

    result = reproduce_study(study, out, nlp_name=model)
    for line in result.summary_lines():
        typer.echo(line)


@command("compare")
def compare(
    project: Path = typer.Argument(..., help="A replication project made with 'casecode init --from-study 2015'."),
    out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default: PROJECT/comparison)."),
    include_suggested: bool = typer.Option(False, "--include-suggested", help="Count unreviewed suggestions too."),
):
    """Compare a replication with the 2015 baseline: charts, Fisher's exact tests, Appendix Two, Word report.

    Example: casecode compare my-replication --include-suggested
    """
    from ..store import open_project
    from ..studies.replication import compare as run

    with open_project(project) as proj:
        files = run(proj, out or project / "comparison", include_suggested=include_suggested)
    for path in files:
        typer.echo(f"Wrote {path}")
