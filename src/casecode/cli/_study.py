"""`casecode reproduce`: the 2015 study end to end."""

from __future__ import annotations

from pathlib import Path

import typer

from ._app import command


@command("reproduce")
def reproduce(
    out: Path = typer.Option(Path("outputs/2015"), "--out", help="Folder for the outputs and the project store."),
    model: str = typer.Option(None, "--model", help="An installed trained spaCy pipeline to use instead of blank English."),
):
    """Rebuild the 2015 study from the report text: corpus, coding, store, chart, Appendix Two.

    Example: casecode reproduce --out outputs/2015
    """
    from ..studies.solace2015 import reproduce as run

    result = run(out, nlp_name=model)
    for line in result.summary_lines():
        typer.echo(line)
