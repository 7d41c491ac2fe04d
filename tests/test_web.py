"""The web application: pages, escaping, cross-site protection, and the records its writes make (Flask's test
client); the browser tests are in test_web_browser.py."""

from __future__ import annotations

import re

import pytest

from casecode.web import SOURCE, create_app

from web_fixtures import HOSTILE, build_project


@pytest.fixture
def project(tmp_path):
    with build_project(tmp_path / "proj") as project:
        yield project


@pytest.fixture
def client(project):
    app = create_app(project)
    client = app.test_client()
    return client


def login(client, name="Ana Diaz") -> str:
    """Name the reviewer and return the page token."""
    page = client.get("/who").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    reply = client.post("/who", data={"name": name, "csrf_token": token, "next": "/"},
                        headers={"Origin": "http://localhost"})
    assert reply.status_code == 302
    return token


def api(client, token, url, body, origin="http://localhost"):
    headers = {"X-CSRF-Token": token}
    if origin:
        headers["Origin"] = origin
    return client.post(url, json=body, headers=headers)


def test_pages_ask_the_reviewer_name_first(client):
    reply = client.get("/doc/fenmoor")
    assert reply.status_code == 302 and "/who" in reply.headers["Location"]
    login(client)
    page = client.get("/doc/fenmoor").get_data(as_text=True)
    assert "Ana Diaz" in page and " every week and we " in page


def test_document_list_counts_and_filters(client, project):
    token = login(client)
    first = int(project.codings(code="employees").coding_id.iloc[0])
    api(client, token, "/api/decide", {"coding_id": first, "decision": "accept"})
    page = client.get("/").get_data(as_text=True)
    row = re.search(r'<tr data-document="fenmoor">(.*?)</tr>', page, re.S).group(1)
    assert re.findall(r'class="n[^"]*">(\d+)<', row) == ["3", "3", "1", "0", "0"]  # turns, pending, acc, rej, manual
    only_hostile = client.get("/?case=evil").get_data(as_text=True)
    assert 'data-document="hostile"' in only_hostile and 'data-document="fenmoor"' not in only_hostile
    accepted = client.get("/?status=accepted").get_data(as_text=True)
    assert 'data-document="fenmoor"' in accepted and 'data-document="hostile"' not in accepted
    by_ana = client.get("/?reviewer=Ana+Diaz&code=employees").get_data(as_text=True)
    assert 'data-document="fenmoor"' in by_ana and 'data-document="hostile"' not in by_ana
    assert 'data-document="fenmoor"' not in client.get("/?code=residents&status=accepted").get_data(as_text=True)


def test_hostile_transcript_codebook_and_memo_are_escaped(client, project):
    token = login(client, 'Mallory <script>alert(1)</script>')
    api(client, token, "/api/memo", {"target_type": "document", "target_id": "hostile", "text": HOSTILE})
    pages = [client.get(url).get_data(as_text=True)
             for url in ("/", "/doc/hostile", "/codebook", "/codebook/resources", "/doc/fenmoor")]
    for page in pages:
        assert "<script>document" not in page and "<img src=x" not in page and "<script>alert" not in page
    assert "&lt;img src=x onerror=" in pages[1] and "&lt;/p&gt;&lt;script&gt;" in pages[1]
    assert "Put resources &lt;img" in pages[2] and "Evil &lt;img" in pages[0]
    assert "Mallory &lt;script&gt;" in pages[1] and "Case: Evil &lt;img" in pages[1]
    assert "script-src 'self'" in client.get("/doc/hostile").headers["Content-Security-Policy"]


@pytest.mark.parametrize("headers, status", [
    ({}, 403),                                                             # no token
    ({"X-CSRF-Token": "forged"}, 403),                                     # wrong token
    ({"X-CSRF-Token": "TOKEN", "Origin": "http://evil.example"}, 403),     # another site, right token
    ({"X-CSRF-Token": "TOKEN", "Referer": "http://evil.example/x"}, 403),  # another site by referer
])
def test_writes_refuse_cross_site_requests(client, project, headers, status):
    token = login(client)
    headers = {k: v.replace("TOKEN", token) for k, v in headers.items()}
    coding = int(project.codings().coding_id.iloc[0])
    reply = client.post("/api/decide", json={"coding_id": coding, "decision": "accept"}, headers=headers)
    assert reply.status_code == status and "error" in reply.get_json()
    assert project.decisions().empty


def test_unknown_host_is_refused(client):
    login(client)
    assert client.get("/", headers={"Host": "evil.example:8765"}).status_code == 400


def test_decisions_are_the_store_records_with_reviewer_and_source(client, project):
    token = login(client, "Ana Diaz")
    ids = project.codings().coding_id.tolist()
    assert api(client, token, "/api/decide", {"coding_id": ids[0], "decision": "accept"}).status_code == 200
    assert api(client, token, "/api/decide", {"coding_id": ids[1], "decision": "reject"}).status_code == 200
    assert api(client, token, "/api/decide",
               {"coding_id": ids[2], "decision": "recode", "new_code": "employees"}).status_code == 200
    text = project.document_text("fenmoor")
    start = text.index("new ideas")
    reply = api(client, token, "/api/code", {"document_id": "fenmoor", "segment_id": "fenmoor:2", "start": start,
                                             "end": start + 9, "code": "resources", "text": "new ideas"})
    assert reply.status_code == 200
    history = project.decisions()
    assert history.decision.tolist() == ["accept", "reject", "recode", "add"]
    assert set(history.decided_by) == {"Ana Diaz"} and set(history.source) == {SOURCE}
    added = project.codings(status="manual")
    passage = added[added.rule == "add"].iloc[0]
    assert text[passage.start:passage.end] == "new ideas" == passage.evidence and passage.coder == "Ana Diaz"


def test_recode_onto_a_code_the_unit_has_is_refused_and_stores_nothing(client, project):
    """Reported: recoding a suggestion on the page to a code its unit already had left the unit coded twice."""
    token = login(client, "Ana Diaz")
    codings = project.codings()
    unit = codings.segment_id.iloc[0]
    mine = codings[codings.segment_id == unit]
    first, second = (int(i) for i in mine.coding_id[:2])
    code = mine.code.iloc[0]
    assert api(client, token, "/api/decide", {"coding_id": first, "decision": "accept"}).status_code == 200
    reply = api(client, token, "/api/decide", {"coding_id": second, "decision": "recode", "new_code": code})
    assert reply.status_code == 409
    assert re.search(rf"segment '{unit}' already has code '{code}' \(coding {first}, accepted\); reject this "
                     rf"suggestion instead of recoding it", reply.get_json()["error"])
    assert len(project.decisions()) == 1
    standing = project.current_codings()
    assert not standing.duplicated(["segment_id", "code"]).any()


def test_code_refuses_a_selection_that_does_not_match_the_text(client, project):
    token = login(client)
    reply = api(client, token, "/api/code", {"document_id": "fenmoor", "segment_id": "fenmoor:2", "start": 0,
                                             "end": 5, "code": "resources", "text": "other"})
    assert reply.status_code == 409 and "reload" in reply.get_json()["error"]
    outside = api(client, token, "/api/code", {"document_id": "fenmoor", "segment_id": "fenmoor:2", "start": 0,
                                               "end": 5, "code": "resources"})
    assert outside.status_code == 409 and "falls outside segment" in outside.get_json()["error"]
    assert project.decisions().empty


def test_code_refuses_a_passage_of_the_interviewers_turn(client, project):
    """An interviewer's turn is never coded: a passage coded there on the page was a coding the case-by-code matrix
    counted while agreement and status left the unit out (review --apply refuses the same add)."""
    token = login(client)
    text = project.document_text("fenmoor")
    start = text.index("work with staff")
    reply = api(client, token, "/api/code", {"document_id": "fenmoor", "segment_id": "fenmoor:1", "start": start,
                                             "end": start + 15, "code": "employees", "text": "work with staff"})
    assert reply.status_code == 409
    assert reply.get_json()["error"] == ("segment 'fenmoor:1' is the interviewer's turn (Interviewer), which "
                                         "casecode does not code; code a passage of an answer's turn")
    assert project.decisions().empty and project.codings(status="manual").empty


def test_undo_takes_back_only_my_last_decision(client, project):
    ana = login(client, "Ana")
    other = create_app(project).test_client()
    ben = login(other, "Ben")
    ids = project.codings().coding_id.tolist()
    api(client, ana, "/api/decide", {"coding_id": ids[0], "decision": "accept"})
    api(other, ben, "/api/decide", {"coding_id": ids[1], "decision": "reject"})
    assert api(client, ana, "/api/undo", {}).status_code == 200
    codings = project.codings().set_index("coding_id")
    assert codings.at[ids[0], "status"] == "suggested" and codings.at[ids[1], "status"] == "rejected"
    assert project.decisions().decision.tolist() == ["accept", "reject", "undo"]
    reply = api(client, ana, "/api/undo", {})
    assert reply.status_code == 409 and "no decision left to undo" in reply.get_json()["error"]


def test_memos_on_every_target(client, project):
    token = login(client, "Ana")
    for target_type, target_id in (("segment", "fenmoor:2"), ("document", "fenmoor"), ("case", "fenmoor"),
                                   ("code", "employees")):
        reply = api(client, token, "/api/memo", {"target_type": target_type, "target_id": target_id,
                                                 "text": f"on {target_type}"})
        assert reply.status_code == 200
    memos = project.memos()
    assert memos.target_type.tolist() == ["segment", "document", "case", "code"] and set(memos.author) == {"Ana"}
    assert api(client, token, "/api/memo", {"target_type": "code", "target_id": "nope", "text": "x"}).status_code == 409
    assert "on code" in client.get("/codebook/employees").get_data(as_text=True)


def test_codebook_panel_shows_fields_counts_and_passages(client, project):
    token = login(client)
    first = int(project.codings(code="employees").coding_id.iloc[0])
    api(client, token, "/api/decide", {"coding_id": first, "decision": "accept"})
    page = client.get("/codebook").get_data(as_text=True)
    assert "Listening to frontline staff" in page and "Staff numbers alone" in page
    assert "1 coded passages · 2 pending · 1 accepted" in page
    passages = client.get("/codebook/employees").get_data(as_text=True)
    assert "listen to our staff" in passages and 'href="/doc/fenmoor#seg-fenmoor:2"' in passages


def test_agreement_between_two_reviewers_links_disagreements(project):
    ana_client, ben_client = create_app(project).test_client(), create_app(project).test_client()
    ana, ben = login(ana_client, "Ana"), login(ben_client, "Ben")
    codings = project.codings()
    fen = codings[codings.document_id == "fenmoor"].coding_id.tolist()
    for cid in fen:
        api(ana_client, ana, "/api/decide", {"coding_id": cid, "decision": "accept"})
        api(ben_client, ben, "/api/decide", {"coding_id": cid, "decision": "accept" if cid != fen[2] else "reject"})
    page = ana_client.get("/agreement?a=Ana&b=Ben").get_data(as_text=True)
    assert "2 turns judged by both" in page
    assert "1 disagreements" in page and 'href="/doc/fenmoor#seg-fenmoor:3"' in page
    rows = dict(re.findall(r"<tr><td>([^<]+)</td><td class=\"n\">([^<]+)</td>", page))
    assert rows["Engage employees"] == "100%" and rows["Work with residents"] == "50%"


def test_agreement_counts_codes_added_by_hand(project):
    """Reported: an add decision keeps its code in `code` with an empty new_code, and the page read that empty
    value (NaN) as the code, so every passage coded by hand was left out of the agreement figures."""
    ana_client, ben_client = create_app(project).test_client(), create_app(project).test_client()
    ana, ben = login(ana_client, "Ana"), login(ben_client, "Ben")
    codings = project.codings()
    for cid in codings[codings.document_id == "fenmoor"].coding_id.tolist():
        api(ana_client, ana, "/api/decide", {"coding_id": cid, "decision": "accept"})
        api(ben_client, ben, "/api/decide", {"coding_id": cid, "decision": "accept"})
    start = project.document_text("fenmoor").index("new ideas")
    added = {"document_id": "fenmoor", "segment_id": "fenmoor:2", "start": start, "end": start + 9,
             "code": "residents", "text": "new ideas"}
    assert api(ana_client, ana, "/api/code", added).status_code == 200
    page = ana_client.get("/agreement?a=Ana&b=Ben").get_data(as_text=True)
    rows = dict(re.findall(r"<tr><td>([^<]+)</td><td class=\"n\">([^<]+)</td>", page))
    assert rows["Work with residents"] == "50%" and "1 disagreements" in page


# -- the command --------------------------------------------------------------------------------------------------


def _run(*args):
    from typer.testing import CliRunner

    from casecode.cli import app

    try:
        runner = CliRunner(mix_stderr=False)
    except TypeError:
        runner = CliRunner()
    return runner.invoke(app, [str(a) for a in args])


def test_serve_refuses_a_folder_that_is_not_a_project(tmp_path):
    result = _run("serve", "-p", tmp_path / "nowhere")
    assert result.exit_code == 1 and result.stderr.startswith("Error: ") and "is not a casecode project" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_serve_refuses_a_port_number_out_of_range(tmp_path):
    """Found in an outside-in audit: `--port 99999` ended in 'internal error (OverflowError ...)'."""
    build_project(tmp_path / "proj").close()
    result = _run("serve", "-p", tmp_path / "proj", "--port", 99999)
    assert result.exit_code == 1
    assert result.stderr == ("Error: --port 99999 is not a port number; give one from 1024 to 65535 "
                             "(0: any free port)\n")


def test_serve_says_when_the_port_is_taken(tmp_path):
    import socket

    build_project(tmp_path / "proj").close()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run("serve", "-p", tmp_path / "proj", "--port", port)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot listen on 127.0.0.1:{port} (") and "choose another --port" in result.stderr


def test_running_server_binds_to_localhost_and_stops(project):
    import urllib.request

    from casecode.web import running_server

    with running_server(project) as url:
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "who") as reply:
            assert reply.status == 200 and b"Who is reviewing?" in reply.read()
    with pytest.raises(OSError):
        urllib.request.urlopen(url + "who", timeout=2)


def test_writes_need_a_reviewer_name(client, project):
    page = client.get("/who").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    reply = api(client, token, "/api/undo", {})
    assert reply.status_code == 403 and "your name" in reply.get_json()["error"]
    empty = client.post("/who", data={"name": " \x07 ", "csrf_token": token}, headers={"Origin": "http://localhost"})
    assert empty.status_code == 400 and "Write your name" in empty.get_data(as_text=True)


def test_page_and_review_apply_at_once_lose_nothing(project, tmp_path):
    """A reviewer on the page and another applying a workbook in another process, writing at the same time."""
    import subprocess
    import sys

    import openpyxl

    from casecode.workflow import write_review

    workbook = tmp_path / "ben.xlsx"
    write_review(project, workbook)
    book = openpyxl.load_workbook(workbook)
    sheet = book["review"]
    column = {cell.value: i + 1 for i, cell in enumerate(sheet[1])}
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row, column["coding_id"]).value is not None:
            sheet.cell(row, column["decision"]).value = "reject"
            sheet.cell(row, column["decided_by"]).value = "Ben"
    book.save(workbook)
    client = create_app(project).test_client()
    token = login(client, "Ana")
    ids = project.codings().coding_id.tolist()
    applying = subprocess.Popen([sys.executable, "-m", "casecode.cli", "review", "--apply", str(workbook),
                                 "-p", str(project.path)], stderr=subprocess.PIPE, text=True)
    replies = []
    while applying.poll() is None or len(replies) < 10:  # decide on the page all the while the workbook applies
        body = {"coding_id": ids[len(replies) % len(ids)], "decision": "accept" if len(replies) % 2 else "reject"}
        replies.append(api(client, token, "/api/decide", body).status_code)
    assert applying.wait(timeout=120) == 0, applying.stderr.read()
    assert replies == [200] * len(replies)
    history = project.decisions()
    assert (history.decided_by == "Ana").sum() == len(replies)
    assert sorted(history[history.decided_by == "Ben"].coding_id.astype(int)) == sorted(ids)


@pytest.mark.parametrize("rule, pattern, said", [
    ("listen-staff (hedged: 'a bit')", "listen-staff",
     "The rules matched listening to staff (listen-staff); hedged: 'a bit'."),
    ("rule:listen-staff + model p=0.74", "listen-staff",
     "The rules matched listening to staff (listen-staff). The learned model gives it a probability of 74%."),
    ("model p=0.93 (top terms: staff, listen)", "",
     "The learned model gives it a probability of 93%, led by the words staff, listen."),
    ("add", "", "Coded by hand by ann."),
])
def test_reason_in_words_takes_the_pattern_from_its_column(rule, pattern, said):
    from casecode.web._views import reason_in_words

    assert reason_in_words(rule, "ann", {"listen-staff": "listening to staff"}, pattern) == said


def test_every_stored_status_has_a_name_on_the_page():
    """A status the store can hold (such as 'withdrawn', an undone add) is named in words on the page, not shown
    as the raw stored word."""
    from casecode.store._schema import STATUSES
    from casecode.web._views import STATUS_NAMES

    assert set(STATUSES) <= set(STATUS_NAMES)
