"""The `serve` command: review and code in the browser."""

from __future__ import annotations

from pathlib import Path

import typer

from ._app import command
from ._project import PROJECT_OPTION


@command("serve")
def serve(
    project: Path = PROJECT_OPTION,
    port: int = typer.Option(8765, "--port", help="Port to listen on (0: any free port)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on; keep 127.0.0.1 unless you mean "
                             "everyone who can reach this computer to be able to change the project."),
):
    """Open the project in the browser to review suggestions, code passages and write memos (Ctrl-C stops).

    Example: casecode serve -p my-study --port 8765
    """
    from ..web import serve as run

    if host not in ("127.0.0.1", "localhost", "::1"):
        typer.echo(f"Warning: listening on {host}; anyone who can reach it can change this project", err=True)
    run(project, host=host, port=port,
        ready=lambda url: typer.echo(f"Serving {project} at {url} (Ctrl-C stops)"))
