"""The project store: round trips, refusals, and all-or-nothing writes on a real SQLite file."""

from __future__ import annotations

import os
import pickle
import sqlite3

import pandas as pd
import pytest
import yaml

from casecode.codebook import read_codebook
from casecode.codebook._model import codebook_from_dict
from casecode.coders import CODING_COLUMNS
from casecode.corpus import SEGMENT_COLUMNS, Document, Segment
from casecode.errors import StoreError
from casecode.store import STATUSES, Project, init_project, open_project

CODEBOOK = {
    "name": "test",
    "title": "Test codebook",
    "codes": [
        {"id": "listen", "label": "Listening", "patterns": [{"pattern": "listen to staff"}]},
        {"id": "trust", "label": "Trust", "group": "climate", "color": "#112233",
         "patterns": [{"pattern": [{"LEMMA": "rely"}], "id": "rely"}]},
        {"id": "voice", "label": "Voice", "in_chart": False, "definition": "Staff speak up."},
    ],
}


def make_document(document_id: str, paragraphs: list[str], cases=(), path: str = "") -> Document:
    """A document whose segments are its paragraphs, joined by blank lines."""
    text, segments = "", []
    for unit, para in enumerate(paragraphs, start=1):
        if text:
            text += "\n\n"
        start = len(text)
        text += para
        segments.append(Segment(f"{document_id}:{unit}", document_id, unit, start, len(text), para,
                                cases=tuple(cases), codable=not para.startswith("Q:")))
    return Document(document_id, text, path=path or f"{document_id}.txt", metadata={"case": "acme"},
                    segments=segments)


def coding(segment_id: str, code: str, **extra) -> dict:
    return {"segment_id": segment_id, "code": code, "coder": "rules", **extra}


@pytest.fixture
def codebook():
    return codebook_from_dict(CODEBOOK)


#: A PostgreSQL database the store tests may empty and use, e.g. postgresql+psycopg://casecode@localhost/cc_test
#: (needs the `postgres` extra); without it only SQLite runs.
SERVER_URL = os.environ.get("CASECODE_TEST_DATABASE_URL")


@pytest.fixture(params=["sqlite", "server"])
def database_url(request):
    """None (SQLite in the project folder), then the test server's URL with its casecode tables dropped."""
    if request.param == "sqlite":
        yield None
        return
    if not SERVER_URL:
        pytest.skip("set CASECODE_TEST_DATABASE_URL to run the store tests on a database server")
    from sqlalchemy import create_engine

    from casecode.store._schema import metadata

    engine = create_engine(SERVER_URL)
    metadata.drop_all(engine)
    yield SERVER_URL
    metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture
def project(tmp_path, codebook, database_url):
    with init_project(tmp_path / "proj", codebook=codebook, name="Test project", database_url=database_url) as proj:
        proj.add_document(make_document("d1", ["Q: How is it?", "Managers listen to staff.", "We rely on them."],
                                        cases=("acme",)))
        proj.add_document(make_document("d2", ["Nothing to report."]))
        yield proj


def count(project: Project, table: str) -> int:
    with project._begin() as conn:
        return conn.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar_one()


# -- project folder ---------------------------------------------------------------------------------------------


def test_init_project_writes_config_codebook_and_database(tmp_path, codebook):
    with init_project(tmp_path / "proj", codebook=codebook) as proj:
        assert proj.name == "proj"
    config = yaml.safe_load((tmp_path / "proj" / "casecode.yaml").read_text())
    assert config["database"] == "project.sqlite"
    assert config["codebook"] == "codebook.yaml"
    assert config["spacy_pipeline"] == "blank:en"
    assert config["created"]
    assert (tmp_path / "proj" / "project.sqlite").is_file()
    assert read_codebook(tmp_path / "proj" / "codebook.yaml") == codebook


def test_init_project_refuses_a_folder_holding_a_project(tmp_path):
    init_project(tmp_path / "proj").close()
    with pytest.raises(StoreError, match="already holds a casecode project; choose another folder") as err:
        init_project(tmp_path / "proj")
    assert str(tmp_path / "proj") in str(err.value)


def test_init_project_keeps_a_differing_codebook_file(tmp_path, codebook):
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "codebook.yaml").write_text("name: mine\ncodes: []\n")
    with pytest.raises(StoreError, match="differs from the codebook given"):
        init_project(tmp_path / "proj", codebook=codebook)
    assert not (tmp_path / "proj" / "project.sqlite").exists()
    assert (tmp_path / "proj" / "codebook.yaml").read_text() == "name: mine\ncodes: []\n"


def test_open_project_refuses_a_folder_without_config(tmp_path):
    with pytest.raises(StoreError) as err:
        open_project(tmp_path)
    assert str(err.value) == f"'{tmp_path}' is not a casecode project; create one with 'casecode init {tmp_path}'"


def test_open_project_refuses_a_missing_database(tmp_path):
    init_project(tmp_path / "proj").close()
    (tmp_path / "proj" / "project.sqlite").unlink()
    with pytest.raises(StoreError, match="project.sqlite' of project .* is missing"):
        open_project(tmp_path / "proj")


def test_open_project_names_a_file_that_is_not_a_database(tmp_path):
    init_project(tmp_path / "proj").close()
    db = tmp_path / "proj" / "project.sqlite"
    db.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="is not a casecode database") as err:
        open_project(tmp_path / "proj")
    assert str(db) in str(err.value)


def test_locked_database_is_a_store_error_naming_the_file(tmp_path):
    init_project(tmp_path / "proj").close()
    db = tmp_path / "proj" / "project.sqlite"
    with open_project(tmp_path / "proj", timeout=0.05) as proj:
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        try:
            with pytest.raises(StoreError, match=r"is busy: another program \(or casecode command\) is writing to it; wait for it to finish") as err:
                proj.add_memo("project", "", "a note")
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert str(db) in str(err.value)
        assert proj.add_memo("project", "", "a note") == 1


def test_closed_project_refuses_use(tmp_path):
    proj = init_project(tmp_path / "proj")
    proj.close()
    with pytest.raises(StoreError, match="this project is closed"):
        proj.cases()


def test_reopen_from_disk_keeps_everything(project, tmp_path):
    project.add_cases([{"case_id": "acme", "name": "Acme", "members": ("a1", "a2")}])
    ids = project.add_codings([coding("d1:2", "listen"), coding("d1:3", "trust")])
    project.record_decisions([{"coding_id": ids[0], "decision": "accept", "decided_by": "ana"}])
    project.add_memo("case", "acme", "Check the 2015 notes.", author="ana")
    project.save_model("m", b"\x00bytes", kind="sklearn")
    project.set_baseline("2015", {"n": 3})
    before = {name: getattr(project, name)() for name in
              ("cases", "documents", "segments", "codings", "decisions", "memos", "models", "baselines")}
    project.close()
    with open_project(tmp_path / "proj") as again:
        for name, frame in before.items():
            pd.testing.assert_frame_equal(getattr(again, name)(), frame, obj=name)
        assert again.codebook() == codebook_from_dict(CODEBOOK)
        assert again.load_model("m") == b"\x00bytes"
        assert again.baseline("2015") == {"n": 3}
        assert again.name == "Test project"


# -- codebook ---------------------------------------------------------------------------------------------------


def test_stored_codebook_round_trips(project, codebook):
    assert project.codebook() == codebook
    assert project.codebook()["trust"].patterns[0].pattern == [{"LEMMA": "rely"}]
    with project._begin() as conn:
        rows = conn.exec_driver_sql("SELECT code_id, position, in_chart, grp, color FROM codes ORDER BY position").all()
    assert [tuple(r) for r in rows] == [("listen", 0, 1, None, None), ("trust", 1, 1, "climate", "#112233"),
                                        ("voice", 2, 0, None, None)]


def test_set_codebook_refuses_to_drop_a_used_code(project):
    project.add_codings([coding("d1:3", "trust")])
    smaller = codebook_from_dict({"name": "test", "codes": [{"id": "listen", "label": "Listening"}]})
    with pytest.raises(StoreError, match="drops code 'trust', which 1 coding"):
        project.set_codebook(smaller)
    assert project.codebook() == codebook_from_dict(CODEBOOK)


def test_codebook_missing_is_a_store_error(tmp_path):
    with init_project(tmp_path / "proj") as proj:
        with pytest.raises(StoreError, match="has no codebook"):
            proj.codebook()


# -- cases ------------------------------------------------------------------------------------------------------


def test_cases_round_trip_and_replace(project):
    df = pd.DataFrame([
        {"case_id": "acme", "name": "Acme Ltd", "type": "firm", "members": ["a1"], "aliases": ("ACME",), "region": "N"},
        {"case_id": "beta", "name": "Beta", "type": "firm", "members": None, "aliases": (), "region": "S"},
    ])
    assert project.add_cases(df) == 2
    project.add_cases([{"case_id": "beta", "name": "Beta plc"}])
    cases = project.cases()
    assert cases.to_dict("records") == [
        {"case_id": "acme", "name": "Acme Ltd", "type": "firm", "members": ("a1",), "aliases": ("ACME",),
         "metadata": {"region": "N"}},
        {"case_id": "beta", "name": "Beta plc", "type": "", "members": (), "aliases": (), "metadata": {}},
    ]


def test_add_cases_refuses_a_string_list(project):
    with pytest.raises(StoreError, match="cases row 0 members is the string 'a1;a2'; pass a list or tuple"):
        project.add_cases([{"case_id": "acme", "members": "a1;a2"}])
    assert count(project, "cases") == 0


# -- documents and segments -------------------------------------------------------------------------------------


def test_documents_and_segments_round_trip(project):
    doc = make_document("d1", ["Q: How is it?", "Managers listen to staff.", "We rely on them."], cases=("acme",))
    docs = project.documents()
    assert docs["document_id"].tolist() == ["d1", "d2"]
    assert docs.loc[0, "metadata"] == {"case": "acme"}
    assert docs.loc[0, "path"] == "d1.txt"
    assert len(docs.loc[0, "sha256"]) == 64
    assert project.document_text("d1") == doc.text
    segs = project.segments(["d1"])
    assert list(segs.columns) == SEGMENT_COLUMNS
    assert segs.to_dict("records") == doc.segments_frame().to_dict("records")
    assert segs.loc[1, "cases"] == ("acme",)
    assert project.document("d1") == doc


def test_segments_filters(project):
    assert project.segments(codable=False)["segment_id"].tolist() == ["d1:1"]
    assert project.segments("d2")["segment_id"].tolist() == ["d2:1"]
    assert project.segments()["segment_id"].tolist() == ["d1:1", "d1:2", "d1:3", "d2:1"]


def test_add_same_document_twice_is_unchanged(project):
    before = (count(project, "documents"), count(project, "segments"), count(project, "segment_cases"))
    doc = make_document("d1", ["Q: How is it?", "Managers listen to staff.", "We rely on them."], cases=("acme",))
    assert project.add_document(doc) == "unchanged"
    assert (count(project, "documents"), count(project, "segments"), count(project, "segment_cases")) == before


def test_add_changed_document_errors_and_leaves_store_unchanged(project):
    segments = project.segments()
    changed = make_document("d1", ["Q: How is it now?", "Managers ignore staff."], path="in/d1.txt")
    with pytest.raises(StoreError) as err:
        project.add_document(changed)
    assert str(err.value) == (
        "document 'd1' from 'in/d1.txt' changed since it was added (sha256 differs); "
        "add it under a new id or remove the old one first"
    )
    pd.testing.assert_frame_equal(project.segments(), segments)
    assert project.document_text("d1").startswith("Q: How is it?\n\nManagers listen")


def test_replace_document_swaps_text_segments_and_suggestions(project):
    project.add_codings([coding("d2:1", "voice")])
    assert project.add_document(make_document("d2", ["Something new.", "And more."]), on_change="replace") == "replaced"
    assert project.document_text("d2") == "Something new.\n\nAnd more."
    assert project.segments("d2")["segment_id"].tolist() == ["d2:1", "d2:2"]
    assert project.codings(code="voice").empty


def test_replace_document_refused_after_review(project):
    [cid] = project.add_codings([coding("d2:1", "voice")])
    project.record_decisions([{"coding_id": cid, "decision": "accept", "decided_by": "ana"}])
    with pytest.raises(StoreError, match="document 'd2' has 1 reviewed or reference coding"):
        project.add_document(make_document("d2", ["Something new."]), on_change="replace")
    assert project.document_text("d2") == "Nothing to report."
    assert project.codings()["status"].tolist() == ["accepted"]


def test_remove_document(project):
    project.remove_document("d2")
    assert project.documents()["document_id"].tolist() == ["d1"]
    assert project.segments("d2").empty
    with pytest.raises(StoreError, match=r"no document 'd9' in this project; known: d1"):
        project.remove_document("d9")


@pytest.mark.parametrize("mutate, message", [
    (lambda d: setattr(d.segments[0], "end", 3), "offsets 0-3 do not point at its text"),
    (lambda d: setattr(d.segments[1], "segment_id", "d3:1"), "segment 'd3:1' appears twice"),
    (lambda d: setattr(d.segments[0], "document_id", "other"), "names document 'other'"),
])
def test_add_document_refuses_bad_segments(project, mutate, message):
    doc = make_document("d3", ["One.", "Two."])
    mutate(doc)
    with pytest.raises(StoreError, match=message):
        project.add_document(doc)
    assert "d3" not in project.documents()["document_id"].tolist()


def test_add_document_refuses_a_segment_id_of_another_document(project):
    doc = make_document("d3", ["One."])
    doc.segments[0].segment_id = "d1:1"
    with pytest.raises(StoreError, match="segment id 'd1:1' of document 'd3' is already used by document 'd1'"):
        project.add_document(doc)
    assert count(project, "documents") == 2


def _table(project: Project, table: str, order: str, leave_out: str = "") -> list[tuple]:
    with project._begin() as conn:
        result = conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY {order}")
        keep = [i for i, name in enumerate(result.keys()) if name != leave_out]
        return [tuple(row[i] for i in keep) for row in result]


def test_add_documents_stores_a_batch_as_one_document_after_another_would(project, tmp_path, codebook):
    # a batch is stored in a few statements, not several per document; the rows are those add_document gives, and
    # documents still list in the order they were added (n10 before n2), though stored within one microsecond
    docs = [make_document(f"n{i}", [f"Point {i}.", "Q: And?", "More."], cases=("acme", "acme") if i % 2 else ())
            for i in range(30)]
    docs.insert(5, make_document("d2", ["Nothing to report."]))  # stored already, the same text
    assert project.add_documents(docs) == ["added"] * 5 + ["unchanged"] + ["added"] * 25
    assert project.documents().document_id.tolist() == ["d1", "d2", *(f"n{i}" for i in range(30))]
    with init_project(tmp_path / "one", codebook=codebook) as one:
        one.add_document(make_document("d1", ["Q: How is it?", "Managers listen to staff.", "We rely on them."],
                                       cases=("acme",)))
        for doc in [make_document("d2", ["Nothing to report."]), *docs]:
            one.add_document(doc)
        for table, order in [("documents", "document_id"), ("segments", "segment_id"),
                             ("segment_cases", "segment_id, position")]:
            assert _table(project, table, order, "added_at") == _table(one, table, order, "added_at")


@pytest.mark.parametrize("change, message", [
    (lambda docs: setattr(docs[2].segments[0], "segment_id", "n0:2"),
     "segment id 'n0:2' of document 'n2' is already used by document 'n0'; give the documents distinct ids"),
    (lambda docs: docs.insert(1, make_document("d1", ["Changed."], path="d1.txt")),
     "document 'd1' from 'd1.txt' changed since it was added (sha256 differs); add it under a new id or remove the "
     "old one first"),
    (lambda docs: setattr(docs[1].segments[0], "end", 2), "offsets 0-2 do not point at its text"),
])
def test_add_documents_refuses_a_batch_as_add_document_would_and_stores_none_of_it(project, change, message):
    docs = [make_document(f"n{i}", ["One.", "Two."]) for i in range(3)]
    change(docs)
    before = [_table(project, table, "1") for table in ("documents", "segments", "segment_cases")]
    with pytest.raises(StoreError, match=message.replace("(", r"\(").replace(")", r"\)")):
        project.add_documents(docs)
    assert [_table(project, table, "1") for table in ("documents", "segments", "segment_cases")] == before


# -- codings ----------------------------------------------------------------------------------------------------


def test_add_codings_round_trip(project):
    df = pd.DataFrame([
        {"segment_id": "d1:2", "document_id": "d1", "code": "listen", "start": 24, "end": 39,
         "evidence": "listen to staff", "rule": "listen:1", "score": 0.9, "coder": "rules"},
        {"segment_id": "d1:3", "document_id": "d1", "code": "trust", "start": None, "end": None,
         "evidence": "", "rule": "model", "score": None, "coder": "model"},
    ])
    ids = project.add_codings(df, run="r1")
    codings = project.codings()
    assert list(codings.columns) == ["coding_id", *CODING_COLUMNS, "status", "created_at", "run"]
    assert codings["coding_id"].tolist() == ids
    first = codings.iloc[0]
    text = project.document_text("d1")
    assert text[first["start"]:first["end"]] == first["evidence"] == "listen to staff"
    second = codings.iloc[1]
    assert (second["start"], second["end"], second["evidence"]) == (42, 58, "We rely on them.")
    assert pd.isna(second["score"])
    assert set(codings["status"]) == {"suggested"} and set(codings["run"]) == {"r1"}
    assert project.codings(coder="model")["code"].tolist() == ["trust"]
    assert project.codings(code=["listen", "trust"], status="suggested")["coding_id"].tolist() == ids


@pytest.mark.parametrize("bad, message", [
    (coding("d1:2", "listening"), "codings row 1: unknown code 'listening'; known codes: listen, trust, voice"),
    (coding("d9:1", "listen"), "codings row 1: segment 'd9:1' is not in the store"),
    (coding("d1:2", "listen", start=0, end=5), r"codings row 1: offsets 0-5 fall outside segment 'd1:2' \(15-40\)"),
    (coding("d1:2", "listen", document_id="d2"), "document_id 'd2' does not match segment 'd1:2'"),
    (coding("d1:2", "listen", coder=""), "codings row 1: coder is empty"),
    (coding("d1:2", "listen", score=1.5), r"codings row 1: score 1.5 is not a number from 0 to 1"),
])
def test_add_codings_bad_row_in_the_middle_changes_nothing(project, bad, message):
    project.add_codings([coding("d1:3", "trust")])
    before = project.codings()
    rows = pd.DataFrame([coding("d1:2", "listen"), bad, coding("d2:1", "voice")])
    with pytest.raises(StoreError, match=message):
        project.add_codings(rows)
    pd.testing.assert_frame_equal(project.codings(), before)
    assert count(project, "codings") == 1


def test_add_codings_refuses_unknown_status_and_missing_columns(project):
    with pytest.raises(StoreError, match="status 'approved' is not one of " + ", ".join(STATUSES)):
        project.add_codings([coding("d1:2", "listen")], status="approved")
    with pytest.raises(StoreError, match="codings lacks column\\(s\\) coder"):
        project.add_codings(pd.DataFrame([{"segment_id": "d1:2", "code": "listen"}]))
    assert count(project, "codings") == 0


def test_add_codings_needs_a_codebook(tmp_path):
    with init_project(tmp_path / "proj") as proj:
        proj.add_document(make_document("d1", ["Text."]))
        with pytest.raises(StoreError, match="has no codebook, so codes cannot be checked"):
            proj.add_codings([coding("d1:1", "listen")])


# -- decisions --------------------------------------------------------------------------------------------------


def test_record_decisions_apply_each_kind(project):
    listen, trust, voice = project.add_codings(
        [coding("d1:2", "listen"), coding("d1:3", "trust"), coding("d2:1", "voice")])
    project.record_decisions(pd.DataFrame([
        {"coding_id": listen, "decision": "accept", "decided_by": "ana", "comment": "clear"},
        {"coding_id": trust, "decision": "recode", "new_code": "voice", "decided_by": "ana"},
        {"coding_id": voice, "decision": "reject", "decided_by": "ben", "decided_at": "2024-05-31T14:00"},
        {"coding_id": None, "segment_id": "d1:2", "decision": "add", "new_code": "trust", "decided_by": "ben",
         "source": "review.xlsx row 5"},
    ]))
    codings = project.codings().set_index("coding_id")
    assert codings.loc[[listen, trust, voice], "status"].tolist() == ["accepted", "rejected", "rejected"]
    recoded, added = codings.loc[codings.index > voice].itertuples()
    assert (recoded.code, recoded.status, recoded.coder, recoded.rule) == ("voice", "manual", "ana", f"recode:{trust}")
    assert (recoded.start, recoded.end) == (codings.loc[trust, "start"], codings.loc[trust, "end"])
    assert (added.segment_id, added.code, added.status, added.evidence) == ("d1:2", "trust", "manual",
                                                                             "Managers listen to staff.")
    history = project.decisions()
    assert history["decision"].tolist() == ["accept", "recode", "reject", "add"]
    assert history["new_coding_id"].tolist()[1] == recoded.Index
    assert pd.isna(history["coding_id"].iloc[3]) and history["code"].iloc[3] == "trust"
    assert history["decided_at"].iloc[2] == pd.Timestamp("2024-05-31T14:00")
    assert history["source"].iloc[3] == "review.xlsx row 5"
    assert project.current_codings()["code"].tolist() == ["listen", "voice", "trust"]


def test_decision_history_keeps_earlier_decisions(project):
    [cid] = project.add_codings([coding("d1:2", "listen")])
    project.record_decisions([{"coding_id": cid, "decision": "accept", "decided_by": "ana"}])
    project.record_decisions([{"coding_id": cid, "decision": "reject", "decided_by": "ben", "comment": "no"}])
    history = project.decisions()
    assert history[["decision", "decided_by"]].values.tolist() == [["accept", "ana"], ["reject", "ben"]]
    assert project.codings()["status"].tolist() == ["rejected"]


@pytest.mark.parametrize("bad, message", [
    ({"coding_id": 999, "decision": "accept"}, "decisions row 1: coding 999 is not in the store"),
    ({"coding_id": 1, "decision": "approve"}, "column 'decision': 'approve' is not a decision; use accept, reject, recode or add"),
    ({"coding_id": 1, "decision": "recode", "new_code": "nope"}, "column 'new_code': 'nope' is not a code of the codebook; use one of"),
    ({"coding_id": 1, "decision": "recode"}, "column 'new_code': empty; recode needs a code id from the codebook"),
    ({"coding_id": None, "segment_id": "d9:9", "decision": "add", "new_code": "voice"}, "segment 'd9:9' is not"),
    ({"coding_id": 1, "decision": "accept", "decided_by": ""}, "column 'decided_by': empty; name the person who decided"),
    ({"coding_id": 1, "decision": "accept", "decided_at": "yesterday-ish"}, "is not a date and time"),
])
def test_record_decisions_bad_row_changes_nothing(project, bad, message):
    ids = project.add_codings([coding("d1:2", "listen"), coding("d1:3", "trust")])
    project.record_decisions([{"coding_id": ids[1], "decision": "reject", "decided_by": "ana"}])
    codings, history = project.codings(), project.decisions()
    rows = [{"coding_id": ids[0], "decision": "accept", "decided_by": "ana"},
            {"decided_by": "ana", **bad},
            {"coding_id": ids[1], "decision": "accept", "decided_by": "ana"}]
    with pytest.raises(StoreError, match=message):
        project.record_decisions(rows)
    pd.testing.assert_frame_equal(project.codings(), codings)
    pd.testing.assert_frame_equal(project.decisions(), history)


def test_add_decision_refuses_the_same_reviewers_duplicate_coding(project):
    [cid] = project.add_codings([coding("d1:2", "listen")])
    project.record_decisions([{"coding_id": cid, "decision": "accept", "decided_by": "ana"}])
    with pytest.raises(StoreError, match=f"segment 'd1:2' already has code 'listen' \\(coding {cid}, accepted, by "
                                         f"ana\\); nothing to add"):
        project.record_decisions([{"segment_id": "d1:2", "decision": "add", "new_code": "listen", "decided_by": "ana"}])
    # ... also when the accept is in the same batch
    [other] = project.add_codings([coding("d1:3", "trust")])
    with pytest.raises(StoreError, match="segment 'd1:3' already has code 'trust'"):
        project.record_decisions([{"coding_id": other, "decision": "accept", "decided_by": "ben"},
                                  {"segment_id": "d1:3", "decision": "add", "new_code": "trust", "decided_by": "ben"}])
    assert len(project.decisions()) == 1


def test_a_second_reviewers_add_of_a_standing_code_is_recorded_and_joins_it(project):
    """Reported: Ben's add of the code Ana had added to the same unit was skipped (workbooks) or refused (the page),
    so the page's agreement counted Ben as saying the code was absent. Each reviewer's add is their own decision;
    the unit still holds the code once."""
    add = {"segment_id": "d1:2", "decision": "add", "new_code": "listen"}
    project.record_decisions([dict(add, decided_by="ana")])
    [made] = project.codings().coding_id
    project.record_decisions([dict(add, decided_by="ben")])
    history = project.decisions()
    assert history.decision.tolist() == ["add", "add"] and history.decided_by.tolist() == ["ana", "ben"]
    assert history.new_coding_id.tolist() == [made, made]
    assert project.codings().coding_id.tolist() == [made]  # one coding: counts see the unit once
    with pytest.raises(StoreError, match="already has code 'listen'.*by ben"):
        project.record_decisions([dict(add, decided_by="ben")])
    # the coding stands while either add stands
    project.undo_decision("ana")
    assert project.codings().status.tolist() == ["manual"]
    project.undo_decision("ben")
    assert project.codings().status.tolist() == ["withdrawn"]


def test_add_decision_codes_a_passage_with_exact_offsets(project):
    text = project.document_text("d1")
    start = text.index("listen to")
    rows = [{"segment_id": "d1:2", "decision": "add", "new_code": "listen", "start": start, "end": start + 9,
             "decided_by": "ana", "source": "casecode serve"}]
    project.record_decisions(rows)
    [added] = project.codings().itertuples()
    assert (added.start, added.end, added.evidence, added.status, added.coder) == (
        start, start + 9, "listen to", "manual", "ana")
    # Another passage of the same code in the segment is fine; the same passage again is a duplicate.
    project.record_decisions([dict(rows[0], start=start + 10, end=start + 15)])
    with pytest.raises(StoreError, match=f"passage {start}-{start + 9} of segment 'd1:2' already has code 'listen'"):
        project.record_decisions(rows)
    with pytest.raises(StoreError, match="passage 0-5 falls outside segment 'd1:2'"):
        project.record_decisions([dict(rows[0], start=0, end=5)])
    assert len(project.decisions()) == 2


def test_undo_appends_a_decision_and_restores_statuses(project):
    listen, trust = project.add_codings([coding("d1:2", "listen"), coding("d1:3", "trust")])
    project.record_decisions([
        {"coding_id": listen, "decision": "accept", "decided_by": "ana"},
        {"coding_id": trust, "decision": "reject", "decided_by": "ben"},
        {"coding_id": trust, "decision": "recode", "new_code": "voice", "decided_by": "ana"},
    ])
    project.undo_decision("ana", source="test")  # takes back the recode: trust is ben's rejection again
    codings = project.codings().set_index("coding_id")
    recoded = codings.index.max()
    # the recode's own coding is withdrawn, not one more rejected suggestion
    assert codings.loc[[listen, trust, recoded], "status"].tolist() == ["accepted", "rejected", "withdrawn"]
    project.undo_decision("ana")  # then the accept
    assert project.codings().set_index("coding_id").at[listen, "status"] == "suggested"
    with pytest.raises(StoreError, match="'ana' has no decision left to undo"):
        project.undo_decision("ana")
    history = project.decisions()
    assert history.decision.tolist() == ["accept", "reject", "recode", "undo", "undo"]
    assert history.comment.iloc[3] == "undoes decision 3 (recode)" and history.new_coding_id.iloc[3] == recoded
    assert project.decisions(standing=True)[["decision", "decided_by"]].values.tolist() == [["reject", "ben"]]
    project.undo_decision("ben")
    assert project.codings().set_index("coding_id").at[trust, "status"] == "suggested"



def _status(project, coding_id) -> str:
    return project.codings().set_index("coding_id").at[coding_id, "status"]


@pytest.mark.parametrize("decision, new_code, after", [
    ("accept", "", "accepted"), ("reject", "", "rejected"), ("recode", "voice", "rejected"),
])
def test_undo_of_each_decision_on_a_suggestion_restores_it(project, decision, new_code, after):
    [listen] = project.add_codings([coding("d1:2", "listen")])
    [decided] = project.record_decisions([{"coding_id": listen, "decision": decision, "new_code": new_code,
                                           "decided_by": "ana"}])
    assert _status(project, listen) == after
    assert project.last_decision()["decision_id"] == decided == project.last_decision("ana")["decision_id"]
    undo = project.undo_decision("ana", source="casecode undo")
    assert _status(project, listen) == "suggested"
    assert len(project.current_codings()) == 0  # a recode's new coding no longer stands either
    history = project.decisions()
    assert history.decision.tolist() == [decision, "undo"]  # the audit trail keeps both
    assert (history.decision_id.iloc[1], history.comment.iloc[1], history.source.iloc[1]) == (
        undo, f"undoes decision {decided} ({decision})", "casecode undo")
    assert project.last_decision() is None and project.check()["problems"] == []


def test_undo_of_an_add_takes_its_coding_back(project):
    [added] = project.record_decisions([{"segment_id": "d1:3", "decision": "add", "new_code": "trust",
                                        "decided_by": "ana"}])
    made = int(project.decisions().new_coding_id.iloc[0])
    assert _status(project, made) == "manual"
    project.undo_decision("ana")
    assert _status(project, made) == "withdrawn" and project.current_codings().empty
    assert project.decisions().comment.iloc[-1] == f"undoes decision {added} (add)"
    project.record_decisions([{"segment_id": "d1:3", "decision": "add", "new_code": "trust", "decided_by": "ana"}])
    assert project.current_codings().code.tolist() == ["trust"]  # the undone add may be made again
    assert project.check()["problems"] == []


def test_undo_is_refused_when_another_reviewer_decided_on_the_coding_it_made(project):
    project.record_decisions([{"segment_id": "d1:3", "decision": "add", "new_code": "trust", "decided_by": "ana"}])
    made = int(project.decisions().new_coding_id.iloc[0])
    project.record_decisions([{"coding_id": made, "decision": "reject", "decided_by": "ben"}])
    before = project.decisions()
    with pytest.raises(StoreError, match=rf"^decision 1 \(add by ana\) cannot be undone: coding {made}, which it "
                                         rf"made, has since been decided on by ben \(decision 2, reject\); ben must "
                                         rf"undo that first \(casecode undo --reviewer 'ben'\)$"):
        project.undo_decision("ana")
    pd.testing.assert_frame_equal(project.decisions(), before)  # nothing written
    project.undo_decision("ben")
    project.undo_decision("ana")
    assert _status(project, made) == "withdrawn" and project.check()["problems"] == []


def test_undo_is_refused_when_a_coding_would_stand_twice_on_its_unit(project):
    listen, again = project.add_codings([coding("d1:2", "listen"), coding("d1:2", "listen", coder="model")])
    project.record_decisions([{"coding_id": listen, "decision": "accept", "decided_by": "ana"},
                              {"coding_id": listen, "decision": "reject", "decided_by": "ana"},
                              {"coding_id": again, "decision": "accept", "decided_by": "ben"}])
    with pytest.raises(StoreError, match=rf"decision 2 \(reject by ana\) cannot be undone: coding {listen} would "
                                         rf"stand again \(accepted\) while segment 'd1:2' already has code 'listen' "
                                         rf"\(coding {again}, accepted\); take coding {again} back first"):
        project.undo_decision("ana")  # her earlier accept would stand again beside ben's
    assert _status(project, listen) == "rejected" and len(project.decisions()) == 3
    project.undo_decision("ben")
    project.undo_decision("ana")
    assert _status(project, listen) == "accepted" and project.check()["problems"] == []


# -- transactions -----------------------------------------------------------------------------------------------


def test_transaction_rolls_back_every_write(project):
    with pytest.raises(RuntimeError):
        with project.transaction():
            project.add_cases([{"case_id": "acme"}])
            project.add_codings([coding("d1:2", "listen")])
            project.add_memo("project", "", "draft")
            raise RuntimeError("stop")
    assert (count(project, "cases"), count(project, "codings"), count(project, "memos")) == (0, 0, 0)


def test_failed_call_inside_a_transaction_undoes_only_itself(project):
    with project.transaction():
        project.add_cases([{"case_id": "acme"}])
        with pytest.raises(StoreError):
            project.add_codings([coding("d1:2", "listen"), coding("d1:2", "nope")])
        with pytest.raises(StoreError):
            project.record_decisions([{"segment_id": "d1:2", "decision": "add", "new_code": "voice", "decided_by": "a"},
                                      {"coding_id": 42, "decision": "accept", "decided_by": "a"}])
    assert (count(project, "cases"), count(project, "codings"), count(project, "decisions")) == (1, 0, 0)


# -- memos, models, baselines -----------------------------------------------------------------------------------


def test_memos_round_trip(project):
    project.add_cases([{"case_id": "acme"}])
    targets = [("project", ""), ("document", "d1"), ("segment", "d1:2"), ("code", "trust"), ("case", "acme")]
    for kind, target in targets:
        project.add_memo(kind, target, f"memo on {kind}", author="ana")
    memos = project.memos()
    assert memos[["target_type", "target_id", "text"]].values.tolist() == [[k, t, f"memo on {k}"] for k, t in targets]
    assert project.memos(target_type="code")["target_id"].tolist() == ["trust"]
    assert project.memos("segment", "d1:2")["author"].tolist() == ["ana"]


@pytest.mark.parametrize("kind, target, message", [
    ("document", "d9", "no document 'd9' in this project; known: d1, d2"),
    ("segment", "d1:9", "no segment 'd1:9' in this project; known: d1:1, d1:2, d1:3, d2:1"),
    ("code", "listening", "no code 'listening' in this project; known: listen, trust, voice"),
    ("case", "acme", "no case 'acme' in this project; known: none"),
    ("report", "x", "memo target type 'report' is not one of project, document, segment, code, case"),
])
def test_memo_on_a_missing_target_errors(project, kind, target, message):
    with pytest.raises(StoreError) as err:
        project.add_memo(kind, target, "note")
    assert str(err.value) == message
    assert count(project, "memos") == 0


def test_models_round_trip(project):
    payload = pickle.dumps({"weights": [0.1, 0.2]})
    project.save_model("model-2015", payload, kind="sklearn", meta={"codes": ["listen"]})
    project.save_model("model-2015", payload + b"!", kind="sklearn")
    assert project.load_model("model-2015") == payload + b"!"
    models = project.models()
    assert models[["name", "kind", "size"]].values.tolist() == [["model-2015", "sklearn", len(payload) + 1]]
    with pytest.raises(StoreError, match="no model 'model-2024' in this project; known: model-2015"):
        project.load_model("model-2024")
    with pytest.raises(StoreError, match="payload must be bytes"):
        project.save_model("m", "not bytes")


def test_baselines_round_trip(project):
    findings = {"counts": {"listen": 12, "trust": 3}, "cases": ["acme"], "year": 2015}
    project.set_baseline("2015", findings)
    assert project.baseline("2015") == findings
    assert project.baselines()["name"].tolist() == ["2015"]
    with pytest.raises(StoreError, match="no baseline '2016' in this project; known: 2015"):
        project.baseline("2016")
    with pytest.raises(StoreError, match="baseline 'df' cannot be stored as JSON"):
        project.set_baseline("df", {"table": pd.DataFrame()})


def test_in_memory_project(codebook):
    with Project.create_in_memory(codebook) as proj:
        proj.add_document(make_document("d1", ["Managers listen to staff."]))
        assert proj.add_codings([coding("d1:1", "listen")]) == [1]
        assert proj.codebook() == codebook


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_schema_compiles_for_each_target_database(dialect):
    from sqlalchemy.dialects import postgresql, sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    from casecode.store._schema import metadata

    target = {"postgresql": postgresql, "sqlite": sqlite}[dialect].dialect()
    tables = [str(CreateTable(table).compile(dialect=target)) for table in metadata.sorted_tables]
    indexes = [str(CreateIndex(index).compile(dialect=target)) for t in metadata.sorted_tables for index in t.indexes]
    assert len(tables) == 11
    assert not any("JSON" in statement for statement in tables)
    for name in ("ix_codings_segment", "ix_codings_code", "ix_codings_status"):
        assert any(statement.startswith(f"CREATE INDEX {name} ON codings") for statement in indexes)


def test_a_schema_1_store_gains_the_pattern_column_read_once_from_its_rule_texts(tmp_path, codebook):
    with init_project(tmp_path / "proj", codebook=codebook) as proj:
        proj.add_document(make_document("d1", ["Managers listen to staff.", "We rely on them."]))
        proj.add_codings([
            coding("d1:1", "listen", rule="listen:p (hedged: 'a bit')", pattern="listen:p"),
            coding("d1:2", "trust", rule="rule:rely (question) + model p=0.74", pattern="rely", coder="combined"),
            coding("d1:2", "trust", rule="model p=0.93 (top terms: rely)", coder="combined"),
            coding("d1:1", "voice", rule="reference: staff speak up", coder="reference"),
        ])
        database = proj._engine.url.database
    with sqlite3.connect(database) as conn:  # as casecode with schema 1 left it: no pattern column
        conn.execute("ALTER TABLE codings DROP COLUMN pattern")
        conn.execute("UPDATE project_info SET value = '1' WHERE key = 'schema_version'")
    conn.close()
    with open_project(tmp_path / "proj") as proj:
        codings = proj.codings()
    assert codings.pattern.tolist() == ["listen:p", "rely", "", ""]
    assert codings.rule.tolist()[0] == "listen:p (hedged: 'a bit')"  # the rule text is kept as it was
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT value FROM project_info WHERE key = 'schema_version'").fetchone() == ("2",)
    conn.close()


def test_codings_keep_their_pattern_id_in_its_own_column(project):
    project.add_codings([coding("d1:2", "listen", rule="listen:p (hedged: 'a bit')", pattern="listen:p"),
                         coding("d1:3", "trust", coder="ann")])
    assert project.codings()[["code", "pattern"]].values.tolist() == [["listen", "listen:p"], ["trust", ""]]
