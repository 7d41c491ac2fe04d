"""`casecode serve`: review suggestions and code transcripts in the browser, on this computer only.

The pages read and write the project store through its public API, so a decision made here is the same record as
one from `review --apply` or `Project.record_decisions`, with the reviewer's name and "casecode serve" as source.
"""

from __future__ import annotations

import socket
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ._app import SOURCE, create_app

__all__ = ["SOURCE", "create_app", "running_server", "serve"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def _server(project, host: str, port: int, quiet: bool = False):
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Handler(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            if not quiet:
                super().log_request(*args, **kwargs)

    from ..errors import CasecodeError

    hosts = ("127.0.0.1", "localhost", "::1", host)
    if not 0 <= port <= 65535:
        raise CasecodeError(f"--port {port} is not a port number; give one from 1024 to 65535 (0: any free port)")
    # Werkzeug exits the process on a busy port; try the address first so the error is ours, in one line.
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind((host, port))
        app = create_app(project, allowed_hosts=hosts)
        server = make_server(host, port, app, threaded=True, request_handler=Handler)
    except (OSError, SystemExit) as exc:
        reason = getattr(exc, "strerror", None) or "the address is in use"
        raise CasecodeError(f"cannot listen on {host}:{port} ({reason}); choose another --port") from None
    # Cookies are shared by every port of a host: one cookie name per server keeps two projects' sessions apart.
    app.config["SESSION_COOKIE_NAME"] = f"casecode-{server.server_port}"
    return server


def serve(project_path: str | Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, ready=None) -> None:
    """Serve the project at http://host:port until interrupted; `ready(url)` is called once it listens."""
    from ..store import open_project

    with open_project(project_path) as project:
        project.codebook()  # a project without a codebook cannot be reviewed: say so before serving
        server = _server(project, host, port)
        if ready is not None:
            ready(f"http://{host}:{server.server_port}/")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()


@contextmanager
def running_server(project, host: str = DEFAULT_HOST, port: int = 0) -> Iterator[str]:
    """Serve an open project in a background thread (port 0: a free one); yields the URL, stops on exit."""
    server = _server(project, host, port, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
