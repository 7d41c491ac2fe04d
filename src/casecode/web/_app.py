"""The Flask application behind `casecode serve`: pages rendered from Jinja2 templates (autoescaped), a small JSON
API for decisions, passage codings, undo and memos, and the protections a local page that writes needs."""

from __future__ import annotations

import hmac
import secrets
import threading
import time
import unicodedata
from typing import Any, Callable
from urllib.parse import urlsplit

from flask import Flask, abort, jsonify, redirect, render_template, request, session, url_for

from ..errors import CasecodeError, StoreError
from . import _views

#: What the page writes into a decision's `source`, so the history says where a decision was made.
SOURCE = "casecode serve"
_MAX_NAME = 80
_MAX_MEMO = 20_000
_RETRIES = 8  # attempts at a write another program holds the database lock for


def _clean_name(value: Any) -> str:
    """A reviewer name: printable characters only, trimmed."""
    text = "".join(ch for ch in str(value or "") if unicodedata.category(ch)[0] != "C" or ch == " ")
    return " ".join(text.split())[:_MAX_NAME]


def create_app(project, allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")) -> Flask:
    """The web application over an open `Project`. Each write is one store transaction, made one at a time here
    and retried while another program (such as `review --apply`) holds the database lock."""
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_HTTPONLY=True,
        MAX_CONTENT_LENGTH=256 * 1024,
        JSON_SORT_KEYS=False,
    )
    app.extensions["casecode_project"] = project
    hosts = {h.lower() for h in allowed_hosts}
    write_lock = threading.Lock()

    def write(action: Callable[[], Any]) -> Any:
        for attempt in range(_RETRIES):
            try:
                with write_lock:
                    return action()
            except StoreError as exc:  # a failed transaction wrote nothing, so trying again is safe
                if not ("locked" in str(exc) or "busy" in str(exc)) or attempt == _RETRIES - 1:
                    raise
                time.sleep(0.05 * 2 ** attempt)

    def reviewer() -> str:
        return session.get("reviewer", "")

    @app.before_request
    def _guard():
        try:
            host = urlsplit(f"//{request.host}").hostname or ""
        except ValueError:
            host = ""
        if host.lower() not in hosts:  # a page on another site reaching us through DNS rebinding
            abort(400, description=f"host {request.host!r} is not served here; open http://127.0.0.1 instead")
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(32)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            _check_same_origin()
            sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
            if not hmac.compare_digest(str(sent), session["csrf"]):
                abort(403, description="the request did not carry this page's token; reload the page and try again")
            if request.path.startswith("/api/") and not reviewer():
                abort(403, description="the page does not know your name yet; open /who and give it")
        elif request.endpoint not in ("who", "static") and not reviewer():
            return redirect(url_for("who", next=request.full_path))
        return None

    def _check_same_origin() -> None:
        origin = request.headers.get("Origin") or request.headers.get("Referer")
        if origin is None:
            return  # a browser always sends Origin on a cross-site POST; the token still has to match
        parts = urlsplit(origin)
        if f"{parts.scheme}://{parts.netloc}" != f"{request.scheme}://{request.host}":
            abort(403, description=f"requests from {parts.scheme}://{parts.netloc} may not change this project")

    @app.after_request
    def _headers(response):
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
        )
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    @app.context_processor
    def _common():
        return {"reviewer": reviewer(), "csrf_token": session.get("csrf", ""), "project_name": project.name}

    @app.errorhandler(CasecodeError)
    def _casecode_error(exc):
        if request.path.startswith("/api/"):
            return jsonify(error=str(exc)), 409
        return render_template("error.html", message=str(exc)), 404

    @app.errorhandler(400)
    @app.errorhandler(403)
    @app.errorhandler(404)
    @app.errorhandler(405)
    @app.errorhandler(409)
    @app.errorhandler(413)
    def _http_error(exc):
        if request.path.startswith("/api/"):
            return jsonify(error=exc.description), exc.code
        return render_template("error.html", message=exc.description), exc.code

    # -- pages -----------------------------------------------------------------------------------------------

    @app.route("/who", methods=["GET", "POST"])
    def who():
        target = request.values.get("next", "") or "/"
        if not target.startswith("/") or target.startswith("//"):
            target = "/"
        if request.method == "POST":
            name = _clean_name(request.form.get("name"))
            if name:
                session["reviewer"] = name
                return redirect(target)
            return render_template("who.html", error="Write your name; it is recorded with every decision.",
                                   next=target, known=_views.reviewers(project)), 400
        return render_template("who.html", next=target, known=_views.reviewers(project), error="")

    @app.route("/")
    def documents():
        filters = {k: request.args.get(k, "") for k in ("case", "code", "status", "reviewer")}
        data = _views.document_list(project, **filters)
        return render_template("documents.html", **data, filters=filters, codes=_views.code_keys(project.codebook()),
                               statuses=_views.FILTER_STATUSES, reviewers=_views.reviewers(project))

    @app.route("/doc/<path:document_id>")
    def document(document_id: str):
        return render_template("document.html", **_views.transcript(project, document_id))

    @app.route("/codebook")
    def codebook():
        return render_template("codebook.html", codes=_views.codebook_panel(project))

    @app.route("/codebook/<code>")
    def code(code: str):
        panel = {c["id"]: c for c in _views.codebook_panel(project)}
        if code not in panel:
            abort(404, description=f"no code {code!r} in this codebook")
        return render_template("code.html", code=panel[code], passages=_views.coded_passages(project, code))

    @app.route("/agreement")
    def agreement():
        names = _views.reviewers(project)
        first = request.args.get("a") or (names[0] if names else "")
        second = request.args.get("b") or (names[1] if len(names) > 1 else "")
        result = _views.agreement(project, first, second) if first and second and first != second else None
        return render_template("agreement.html", names=names, first=first, second=second, result=result)

    # -- the JSON API: every write is one transaction ----------------------------------------------------------

    def _body() -> dict:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            abort(400, description="send a JSON object")
        return data

    @app.post("/api/decide")
    def decide():
        data = _body()
        action = str(data.get("decision", ""))
        if action not in ("accept", "reject", "recode"):
            abort(400, description=f"decision {action!r} is not one of accept, reject, recode")
        row = {"coding_id": data.get("coding_id"), "decision": action, "new_code": data.get("new_code") or None,
               "decided_by": reviewer(), "source": SOURCE}
        ids = write(lambda: project.record_decisions([row]))
        return jsonify(decision_id=ids[0])

    @app.post("/api/code")
    def code_passage():
        data = _body()
        segment_id, code_id = str(data.get("segment_id", "")), str(data.get("code", ""))
        try:
            start, end = int(data.get("start")), int(data.get("end"))
        except (TypeError, ValueError):
            abort(400, description="start and end must be character offsets")
        document_id = str(data.get("document_id", ""))
        text = project.document_text(document_id)
        units = project.segments([document_id]).set_index("segment_id")
        if segment_id not in units.index:
            abort(409, description=f"segment {segment_id!r} is not part of document {document_id!r}; reload the page")
        unit = units.loc[segment_id]
        if not bool(unit["codable"]):  # as review --apply refuses it: no count or agreement would see it alike
            who = f" ({unit['speaker']})" if unit["speaker"] else ""
            kind = "the interviewer's turn" if unit["role"] == "interviewer" else f"a {unit['kind'] or 'unit'}"
            abort(409, description=f"segment {segment_id!r} is {kind}{who}, which casecode does not code; code a "
                                   f"passage of an answer's turn")
        if "text" in data and text[start:end] != data["text"]:
            abort(409, description="the selection does not match the stored text; reload the page")
        row = {"segment_id": segment_id, "decision": "add", "new_code": code_id, "start": start, "end": end,
               "decided_by": reviewer(), "source": SOURCE}
        ids = write(lambda: project.record_decisions([row]))
        return jsonify(decision_id=ids[0])

    @app.post("/api/undo")
    def undo():
        decision_id = write(lambda: project.undo_decision(reviewer(), source=SOURCE))
        return jsonify(decision_id=decision_id)

    @app.post("/api/memo")
    def memo():
        data = _body()
        text = str(data.get("text", "")).strip()
        if len(text) > _MAX_MEMO:
            abort(400, description=f"the memo has {len(text)} characters; keep it under {_MAX_MEMO}")
        target_type, target_id = str(data.get("target_type", "")), str(data.get("target_id", ""))
        memo_id = write(lambda: project.add_memo(target_type, target_id, text, author=reviewer()))
        return jsonify(memo_id=memo_id)

    return app
