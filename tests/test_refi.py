"""REFI-QDA exchange: schema-valid export, byte-identical round trip, other tools' archive styles, unsafe archives."""

import io
import os
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from casecode.cli import app
from casecode.codebook import read_codebook
from casecode.errors import InteropError
from casecode.interop.refi import read_qdc, read_qdpx, write_qdc, write_qdpx
from casecode.store import init_project, open_project
from casecode.workflow import add_files

from conftest import CODEBOOK, ROOT


def _schemas() -> Path | None:
    """The REFI-QDA schemas in ../shared/refi-qda (beside the checkout or its worktree folder)."""
    env = os.environ.get("CASECODE_REFI_SCHEMAS")
    for folder in ([Path(env)] if env else []) + [p / "shared" / "refi-qda" for p in ROOT.parents]:
        if (folder / "Project-mrt2019.xsd").is_file():
            return folder
    return None


SCHEMAS = _schemas()
needs_schemas = pytest.mark.skipif(SCHEMAS is None, reason="the REFI-QDA schemas (../shared/refi-qda) are absent")

TRANSCRIPT = """---
case: Fenmoor District Council
interviewee: Jane Smith
role: Chief Executive
date: 2024-05-01
---
Interviewer: How do you innovate?

Jane Smith: We listen to our staff every week and we put money behind new ideas.

Jane Smith: Residents co-design the services with us.
"""


@pytest.fixture(scope="module")
def project_2015(tmp_path_factory):
    """The 2015 reproduction's store (report, cases, reference coding) plus a transcript, reviews and memos."""
    from casecode.studies.solace2015 import load_study

    study = load_study()
    folder = tmp_path_factory.mktemp("refi") / "solace"
    project = init_project(folder, study.codebook, name="Solace 2015")
    with project:
        project.add_cases(study.cases)
        project.add_document(study.report.document)
        project.add_codings(study.reference, status="reference", run="reference")
        transcript = folder.parent / "fenmoor.txt"
        transcript.write_text(TRANSCRIPT, encoding="utf-8")
        add_files(project, [transcript])
        segs = project.segments("fenmoor")
        turn = segs[segs.speaker == "Jane Smith"].iloc[0]
        staff = turn.text.index("listen to our staff")
        suggestions = pd.DataFrame([
            {"segment_id": turn.segment_id, "code": "employees", "coder": "rules", "score": 0.8,
             "rule": "employees:listen-to-staff", "start": turn.start + staff, "end": turn.start + staff + 19},
            {"segment_id": turn.segment_id, "code": "resources", "coder": "rules", "score": 0.6, "rule": "r:money"},
            {"segment_id": turn.segment_id, "code": "bold", "coder": "rules", "score": 0.4, "rule": "b:new"},
            {"segment_id": turn.segment_id, "code": "agile", "coder": "rules", "score": 0.3, "rule": "a:ideas"},
        ])
        ids = project.add_codings(suggestions, status="suggested", run="rules")
        project.record_decisions([
            {"coding_id": ids[0], "decision": "accept", "decided_by": "Ana Diaz", "decided_at": "2024-06-01T10:00"},
            {"coding_id": ids[1], "decision": "recode", "new_code": "learn", "decided_by": "Ben Ode",
             "decided_at": "2024-06-02T11:30"},
            {"coding_id": ids[2], "decision": "reject", "decided_by": "Ana Diaz", "decided_at": "2024-06-01T10:05"},
            {"segment_id": segs.segment_id.iloc[-1], "decision": "add", "new_code": "residents",
             "decided_by": "Ben Ode", "decided_at": "2024-06-02T12:00"},
        ])
        project.add_memo("project", "", "Whole-study memo", author="Ana Diaz")
        project.add_memo("document", "fenmoor", "Jane is the chief executive", author="Ben Ode")
        project.add_memo("segment", turn.segment_id, "Staff listening, weekly", author="Ana Diaz")
        project.add_memo("code", "bold", "Bold covers vision and ambition")
        project.add_memo("case", study.cases.case_id.iloc[0], "A partnership of two councils", author="Ana Diaz")
    return folder


@pytest.fixture(scope="module")
def exported(project_2015, tmp_path_factory):
    out = tmp_path_factory.mktemp("refi-out") / "solace.qdpx"
    with open_project(project_2015) as project:
        counts = write_qdpx(project, out)
    return out, counts


def _qde(archive: Path) -> bytes:
    with zipfile.ZipFile(archive) as zf:
        return zf.read("project.qde")


# ---------------------------------------------------------------------------------------------- export


@needs_schemas
def test_project_qde_and_qdc_validate_against_the_schemas(exported, tmp_path, project_2015):
    import xmlschema

    xmlschema.XMLSchema(str(SCHEMAS / "Project-mrt2019.xsd")).validate(io.BytesIO(_qde(exported[0])))
    with open_project(project_2015) as project:
        write_qdpx(project, tmp_path / "suggested.qdpx", include_suggested=True)
    xmlschema.XMLSchema(str(SCHEMAS / "Project-mrt2019.xsd")).validate(io.BytesIO(_qde(tmp_path / "suggested.qdpx")))
    codebook_schema = xmlschema.XMLSchema(str(SCHEMAS / "Codebook-mrt2019.xsd"))
    for book in sorted((ROOT / "codebooks").glob("*.yaml")):
        codebook_schema.validate(str(write_qdc(book, tmp_path / f"{book.stem}.qdc")))


def test_export_holds_sources_codings_users_and_memos(exported):
    archive, counts = exported
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        infos = zf.infolist()
        qde = zf.read("project.qde").decode("utf-8")
        texts = [zf.read(n) for n in names if n.startswith("sources/")]
    assert names[0] == "project.qde" and all(n.startswith(("sources/", "casecode/")) for n in names[1:])
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert all(b"\r" not in t and not t.startswith(b"\xef\xbb\xbf") for t in texts)
    # 164 reference codings (seven added by the construct audit), the accepted one, the recode and the add; the
    # rejected and open suggestions stay out.
    assert counts["codings"] == 167 and counts["suggestions"] == 0 and counts["documents"] == 2
    assert 'name="Ana Diaz"' in qde and 'name="Ben Ode"' in qde and 'name="reference"' in qde
    assert "SUGGESTION" not in qde and "casecode suggestion" not in qde
    assert qde.count("<Note ") == 5 and "<Link " in qde
    assert 'name="interviewee"' in qde and "<TextValue>Jane Smith</TextValue>" in qde
    assert "Value>2024-05-01</" in qde
    # The report's coded passages point to their councils; the transcript belongs wholly to Fenmoor.
    assert qde.count("<SelectionRef ") >= 157 and qde.count("<SourceRef ") == 1


def test_selection_offsets_are_code_points_end_exclusive(exported, project_2015):
    from lxml import etree

    root = etree.fromstring(_qde(exported[0]))
    ns = {"q": "urn:QDA-XML:project:1.0"}
    source = root.find(".//q:TextSource[@name='fenmoor']", ns)
    with zipfile.ZipFile(exported[0]) as zf:
        text = zf.read(f"sources/{source.get('guid')}.txt").decode("utf-8")
    users = {u.get("guid"): u.get("name") for u in root.iterfind(".//q:User", ns)}
    accepted = [s for s in source.iterfind("q:PlainTextSelection", ns) if users.get(s.get("creatingUser")) == "Ana Diaz"]
    assert len(accepted) == 1
    sel = accepted[0]
    assert text[int(sel.get("startPosition")):int(sel.get("endPosition"))] == "listen to our staff"
    assert sel.get("creationDateTime") == "2024-06-01T10:00:00Z"


def test_export_twice_gives_identical_bytes(exported, project_2015, tmp_path):
    with open_project(project_2015) as project:
        write_qdpx(project, tmp_path / "again.qdpx")
    assert (tmp_path / "again.qdpx").read_bytes() == exported[0].read_bytes()
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "again.qdpx").stat().st_mode & 0o777 == 0o666 & ~umask  # not left private by the temp file


# ---------------------------------------------------------------------------------------------- round trip


def _tables(folder: Path) -> dict:
    with open_project(folder) as p:
        codings = p.current_codings()
        # An accepted suggestion stands by its reviewer's decision: that is its user and date in REFI-QDA.
        accepts = p.decisions().query("decision == 'accept'").set_index("coding_id")
        for i, row in codings[codings.status == "accepted"].iterrows():
            codings.loc[i, ["coder", "created_at"]] = accepts.loc[row.coding_id, ["decided_by", "decided_at"]].values
        return {
            "documents": sorted((d, p.document_text(d), str(m), a.floor("s")) for d, m, a in zip(
                p.documents().document_id, p.documents().metadata, p.documents().added_at)),
            "segments": p.segments().to_dict("records"),
            "cases": p.cases().to_dict("records"),
            "codebook": p.codebook(),
            "codings": sorted(zip(codings.document_id, codings.segment_id, codings.code, codings.start, codings.end,
                                  codings.coder, codings.created_at.dt.floor("s"))),
            "memos": sorted(zip(p.memos().target_type, p.memos().target_id, p.memos().author, p.memos().text,
                                p.memos().created_at.dt.floor("s"))),
        }


def test_round_trip_keeps_everything_and_the_archive_bytes(exported, project_2015, tmp_path):
    summary = read_qdpx(exported[0], tmp_path / "copy")
    assert summary["codings"] == 167 and summary["memos"] == 5 and summary["documents"] == 2
    assert summary["codes_added"] == 0 and summary["split_selections"] == 0
    with open_project(tmp_path / "copy") as copy:
        assert set(copy.codings().status) == {"manual"}
        assert copy.name == "Solace 2015"
        write_qdpx(copy, tmp_path / "copy.qdpx")
    assert (tmp_path / "copy.qdpx").read_bytes() == exported[0].read_bytes()
    before, after = _tables(project_2015), _tables(tmp_path / "copy")
    for key in before:
        assert before[key] == after[key], key


def _jane_smith_project(tmp_path: Path, name: str):
    """A new project holding the Fenmoor transcript, open, and Jane Smith's first turn."""
    project = init_project(tmp_path / "p", read_codebook(CODEBOOK), name=name)
    transcript = tmp_path / "fenmoor.txt"
    transcript.write_text(TRANSCRIPT, encoding="utf-8")
    add_files(project, [transcript])
    return project, project.segments("fenmoor").query("speaker == 'Jane Smith'").iloc[0]


def test_a_reviewer_who_only_rejected_survives_the_round_trip(tmp_path):
    """Reported: a reviewer whose decisions were all rejections was a user of the first archive and gone from the
    archive exported after importing it."""
    project, turn = _jane_smith_project(tmp_path, "Rejections")
    with project:
        ids = project.add_codings([{"segment_id": turn.segment_id, "code": "employees", "coder": "rules"},
                                   {"segment_id": turn.segment_id, "code": "bold", "coder": "rules"}])
        project.record_decisions([{"coding_id": ids[0], "decision": "accept", "decided_by": "Ana Diaz"},
                                  {"coding_id": ids[1], "decision": "reject", "decided_by": "Cara Moss"}])
        write_qdpx(project, tmp_path / "first.qdpx")
    assert b'name="Cara Moss"' in _qde(tmp_path / "first.qdpx")
    read_qdpx(tmp_path / "first.qdpx", tmp_path / "copy")
    with open_project(tmp_path / "copy") as copy:
        assert "Cara Moss" in copy.kept_users()
        write_qdpx(copy, tmp_path / "again.qdpx")
    assert (tmp_path / "again.qdpx").read_bytes() == (tmp_path / "first.qdpx").read_bytes()


def test_the_projects_coder_travels_with_the_archive(tmp_path):
    """Found in an audit: casecode.yaml's `coder:` was lost in an export and import, so the copy coded with the
    rules alone. It travels in casecode/project.json; a project that exists keeps its own, with a warning."""
    import json

    project = init_project(tmp_path / "p", read_codebook(CODEBOOK), name="Coder", coder="solace2015-transcripts")
    with project:
        add_files(project, [_write(tmp_path / "fenmoor.txt", TRANSCRIPT)])
        write_qdpx(project, tmp_path / "first.qdpx")
    runner = CliRunner()
    result = runner.invoke(app, ["import", "qdpx", str(tmp_path / "first.qdpx"), "-p", str(tmp_path / "copy")])
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout.splitlines()[1].startswith("Coder: solace2015-transcripts (rules and the learned")
    with open_project(tmp_path / "copy") as copy:
        assert copy.coder == "solace2015-transcripts"
        write_qdpx(copy, tmp_path / "again.qdpx")
    assert (tmp_path / "again.qdpx").read_bytes() == (tmp_path / "first.qdpx").read_bytes()

    init_project(tmp_path / "own", read_codebook(CODEBOOK), coder="rules").close()
    result = runner.invoke(app, ["import", "qdpx", str(tmp_path / "first.qdpx"), "-p", str(tmp_path / "own")])
    assert result.exit_code == 0 and result.stdout.splitlines()[1] == "Coder: rules (the codebook's patterns alone)"
    assert result.stderr == (f"Warning: {tmp_path / 'first.qdpx'}: the archive's project codes with coder "
                             f"'solace2015-transcripts'; {tmp_path / 'own'} keeps its own (rules); to use the "
                             "archive's, set 'coder: solace2015-transcripts' in its casecode.yaml\n")

    with zipfile.ZipFile(tmp_path / "first.qdpx") as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    side = json.loads(members["casecode/project.json"])
    members["casecode/project.json"] = json.dumps(dict(side, coder="from-a-newer-casecode")).encode("utf-8")
    result = runner.invoke(app, ["import", "qdpx", str(_zip(tmp_path / "newer.qdpx", members)), "-p",
                                 str(tmp_path / "newer")])
    assert result.exit_code == 0 and result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"Warning: {tmp_path / 'newer'}: unknown coder 'from-a-newer-casecode'; use one "
                                    "of: rules, solace2015-transcripts")
    with open_project(tmp_path / "newer") as newer:
        assert newer.coder == "from-a-newer-casecode"  # kept, for the casecode that knows it


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _selections_by_user(archive: Path) -> list[tuple[str, str, int, int, str, str]]:
    """(code, user, start, end, date, description) of each coded selection of the archive."""
    from lxml import etree

    root = etree.fromstring(_qde(archive))
    ns = {"q": "urn:QDA-XML:project:1.0"}
    users = {u.get("guid"): u.get("name") for u in root.iterfind(".//q:User", ns)}
    codes = {c.get("guid"): c.get("name") for c in root.iterfind(".//q:Code", ns)}
    return sorted((codes[sel.find("q:Coding/q:CodeRef", ns).get("targetGUID")], users[sel.get("creatingUser")],
                   int(sel.get("startPosition")), int(sel.get("endPosition")), sel.get("creationDateTime"),
                   sel.findtext("q:Description", "", ns)) for sel in root.iterfind(".//q:PlainTextSelection", ns))


def test_each_reviewer_of_a_joined_or_twice_accepted_coding_travels_as_their_own_coding(tmp_path):
    """Reported: a second reviewer's add of a code that already stood on the unit (the add joins the standing
    coding) was missing from the REFI-QDA export, which gave each coding its maker alone; NVivo and QualCoder show
    each coder's coding of a passage as a coding of its own. Now each person a coding stands for is a selection
    with their user and date, and the import makes the others' selections adds that join the one coding again."""
    project, turn = _jane_smith_project(tmp_path, "Two reviewers")
    with project:
        ids = project.add_codings([{"segment_id": turn.segment_id, "code": "resources", "coder": "rules",
                                    "rule": "r:money", "score": 0.6}])
        project.record_decisions([
            {"segment_id": turn.segment_id, "decision": "add", "new_code": "employees", "decided_by": "Ana Diaz",
             "decided_at": "2024-06-01T10:00"},
            {"segment_id": turn.segment_id, "decision": "add", "new_code": "employees", "decided_by": "Ben Ode",
             "decided_at": "2024-06-02T11:00"},  # joins Ana's coding
            {"coding_id": ids[0], "decision": "accept", "decided_by": "Ana Diaz", "decided_at": "2024-06-01T10:05"},
            {"coding_id": ids[0], "decision": "accept", "decided_by": "Ben Ode", "decided_at": "2024-06-02T11:05"},
        ])
        assert len(project.current_codings()) == 2  # the unit holds each code once
        counts = write_qdpx(project, tmp_path / "first.qdpx")
    start, end = int(turn.start), int(turn.end)
    assert counts["codings"] == 4
    assert _selections_by_user(tmp_path / "first.qdpx") == [
        ("Engage employees", "Ana Diaz", start, end, "2024-06-01T10:00:00Z", ""),
        ("Engage employees", "Ben Ode", start, end, "2024-06-02T11:00:00Z", ""),
        ("Resource priority innovation processes", "Ana Diaz", start, end, "2024-06-01T10:05:00Z", ""),
        ("Resource priority innovation processes", "Ben Ode", start, end, "2024-06-02T11:05:00Z", "r:money"),
    ]
    if SCHEMAS is not None:
        import xmlschema

        xmlschema.XMLSchema(str(SCHEMAS / "Project-mrt2019.xsd")).validate(io.BytesIO(_qde(tmp_path / "first.qdpx")))
    summary = read_qdpx(tmp_path / "first.qdpx", tmp_path / "copy")
    assert summary["codings"] == 2 and summary["joined_selections"] == 2
    with open_project(tmp_path / "copy") as copy:
        codings = copy.current_codings()
        assert sorted(zip(codings.code, codings.coder)) == [("employees", "Ana Diaz"), ("resources", "Ben Ode")]
        joins = copy.decisions()
        assert sorted(zip(joins.decision, joins.code, joins.decided_by, joins.new_coding_id.notna())) == [
            ("add", "employees", "Ben Ode", True), ("add", "resources", "Ana Diaz", True)]
        write_qdpx(copy, tmp_path / "again.qdpx")
    assert (tmp_path / "again.qdpx").read_bytes() == (tmp_path / "first.qdpx").read_bytes()


def test_the_pattern_that_matched_travels_with_each_coding(tmp_path):
    """The views explain a coding from its `pattern` column; an imported coding used to come back without one, so
    the page showed the raw rule text ("employees:listen (hedged: 'a bit')") instead of words."""
    from casecode.web._views import reason_in_words

    project, turn = _jane_smith_project(tmp_path, "Patterns")
    with project:
        ids = project.add_codings([
            {"segment_id": turn.segment_id, "code": "employees", "coder": "rules", "score": 0.5,
             "rule": "employees:listen (hedged: 'a bit')", "pattern": "employees:listen"},
            {"segment_id": turn.segment_id, "code": "resources", "coder": "combined", "score": 0.7,
             "rule": "rule:resources:money + model p=0.81", "pattern": "resources:money"}])
        project.record_decisions([{"coding_id": ids[1], "decision": "accept", "decided_by": "Ana Diaz"}])
        write_qdpx(project, tmp_path / "first.qdpx", include_suggested=True)
    read_qdpx(tmp_path / "first.qdpx", tmp_path / "copy")
    with open_project(tmp_path / "copy") as copy:
        codings = copy.codings().set_index("code")
        write_qdpx(copy, tmp_path / "again.qdpx", include_suggested=True)
    assert codings.pattern.to_dict() == {"employees": "employees:listen", "resources": "resources:money"}
    said = reason_in_words(codings.rule["employees"], "rules", {}, codings.pattern["employees"])
    assert said == "The rules matched pattern employees:listen (employees:listen); hedged: 'a bit'."
    assert (tmp_path / "again.qdpx").read_bytes() == (tmp_path / "first.qdpx").read_bytes()


def test_suggestions_travel_only_when_asked_and_come_back_as_suggestions(project_2015, tmp_path):
    with open_project(project_2015) as project:
        counts = write_qdpx(project, tmp_path / "s.qdpx", include_suggested=True)
    assert counts["suggestions"] == 1  # the one suggestion nobody reviewed
    assert b"casecode suggestion, not reviewed (score 0.3000): a:ideas" in _qde(tmp_path / "s.qdpx")
    summary = read_qdpx(tmp_path / "s.qdpx", tmp_path / "copy")
    assert summary["suggestions"] == 1
    with open_project(tmp_path / "copy") as copy:
        suggested = copy.codings(status="suggested")
        assert list(suggested.code) == ["agile"] and list(suggested.coder) == ["rules"]
        write_qdpx(copy, tmp_path / "s2.qdpx", include_suggested=True)
    assert (tmp_path / "s2.qdpx").read_bytes() == (tmp_path / "s.qdpx").read_bytes()


# ---------------------------------------------------------------------------------------------- other tools


U1, U2 = "0E1D7A6C-3B9F-4C55-8A0A-111111111111", "{0e1d7a6c-3b9f-4c55-8a0a-222222222222}"
C_ROOT, C_STAFF, C_MONEY, C_SUB = (f"5A5A5A5A-0000-4000-8000-00000000000{i}" for i in range(1, 5))
SRC, SRC2, PDF = "{A1A1A1A1-0000-4000-8000-000000000001}", "a1a1a1a1-0000-4000-8000-000000000002", \
    "a1a1a1a1-0000-4000-8000-000000000003"


def _sel(guid_n: int, start: int, end: int, code: str, user: str = U1, extra: str = "") -> str:
    return (f'<PlainTextSelection guid="b0b0b0b0-0000-4000-8000-{guid_n:012d}" startPosition="{start}" '
            f'endPosition="{end}" creatingUser="{user}" creationDateTime="2023-03-04T05:06:07Z">{extra}'
            f'<Coding guid="c0c0c0c0-0000-4000-8000-{guid_n:012d}"><CodeRef targetGUID="{code}"/></Coding>'
            f'</PlainTextSelection>')


def _archive(path: Path, sources_xml: str, files: dict[str, bytes], extra: str = "", cases: str = "") -> Path:
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="From NVivo" origin="hand-made">
  <Users><User guid="{U1}" name="Nina"/><User guid="{U2}" name="Omar"/></Users>
  <CodeBook><Codes>
    <Code guid="{C_ROOT}" name="Workforce" isCodable="false">
      <Code guid="{C_STAFF}" name="Staff voice" isCodable="true" color="#A3C">
        <Description>Staff are heard</Description>
        <Code guid="{C_SUB}" name="Suggestion schemes" isCodable="true"/>
      </Code>
    </Code>
    <Code guid="{C_MONEY}" name="Money" isCodable="true"/>
  </Codes></CodeBook>
  {cases}
  <Sources>{sources_xml}</Sources>
  {extra}
</Project>"""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde)
        for name, data in files.items():
            zf.writestr(name, data)
    return path


CRLF = "We listen to staff.\r\n\r\nWe fund ideas and we listen.\r\n"


def test_import_nvivo_style_sources_folder_braces_crlf_and_nested_codes(tmp_path):
    # Offsets count the CRLF text's code points: "fund ideas" starts at 28 there, at 26 once lines end in \n.
    start = CRLF.index("fund ideas")
    src = (f'<TextSource guid="{SRC}" name="Interview 1" plainTextPath="internal://{SRC.strip("{}")}.txt">'
           + _sel(1, 3, 18, C_STAFF.lower()) + _sel(2, start, start + 10, "{" + C_MONEY + "}", user=U2)
           + _sel(3, 0, len(CRLF) - 2, C_SUB) + "</TextSource>")
    archive = _archive(tmp_path / "nvivo.qdpx", src, {f"Sources/{SRC.strip('{}')}.txt": CRLF.encode("utf-8")})
    summary = read_qdpx(archive, tmp_path / "p")
    assert summary["codings"] == 4 and summary["split_selections"] == 1 and summary["codes_added"] == 3
    with open_project(tmp_path / "p") as p:
        text = p.document_text("interview-1")
        book = p.codebook()
        codings = p.codings()
    assert "\r" not in text
    labels = {c.label: c for c in book}
    assert labels["Staff voice"].group == "Workforce" and labels["Suggestion schemes"].group == "Workforce / Staff voice"
    assert labels["Staff voice"].color == "#AA33CC" and labels["Staff voice"].definition == "Staff are heard"
    assert "Workforce" not in labels  # a non-codable parent is a group, not a code
    spans = {(labels_by_id, text[s:e], coder) for labels_by_id, s, e, coder in
             zip(codings.code, codings.start, codings.end, codings.coder)}
    money = labels["Money"].id
    assert (money, "fund ideas", "Omar") in spans
    assert (labels["Staff voice"].id, "listen to staff", "Nina") in spans
    assert set(codings.status) == {"manual"}
    assert str(codings.created_at.iloc[0]) == "2023-03-04 05:06:07"


def test_import_inline_plain_text_content_and_skips_other_kinds_of_source(tmp_path):
    text = "We fund ideas.\n\nStaff speak up."
    src = (f'<TextSource guid="{SRC2}" name="Notes">'
           f"<PlainTextContent>{text}</PlainTextContent>" + _sel(1, 3, 13, C_MONEY) + "</TextSource>"
           f'<PDFSource guid="{PDF}" name="Minutes" path="internal://{PDF}.pdf">'
           f'<PDFSelection guid="d0d0d0d0-0000-4000-8000-000000000001" page="1" firstX="0" firstY="0" secondX="9" '
           f'secondY="9"><Coding guid="d1d1d1d1-0000-4000-8000-000000000001"><CodeRef targetGUID="{C_MONEY}"/>'
           f"</Coding></PDFSelection></PDFSource>")
    summary = read_qdpx(_archive(tmp_path / "inline.qdpx", src, {}), tmp_path / "p")
    assert summary["codings"] == 1 and summary["skipped_non_text"] == 1 and summary["documents"] == 1
    with open_project(tmp_path / "p") as p:
        row = p.codings().iloc[0]
        assert p.document_text("notes")[row.start:row.end] == "fund ideas"


@pytest.mark.parametrize("cdata", [False, True], ids=["text", "cdata"])
@pytest.mark.parametrize("text", [CRLF, CRLF.replace("\r\n", "\n"), CRLF.replace("\r\n", "\r")],
                         ids=["crlf", "lf", "cr"])
def test_import_inline_text_positions_count_its_line_ends_as_written(tmp_path, text, cdata):
    """Found in an audit: inline PlainTextContent with raw CR LF lost its CRs to the XML parser (XML 1.0, 2.11)
    while positions count them, so a selection after the first line was shifted a character per line end."""
    start = text.index("fund ideas")
    body = f"<![CDATA[{text}]]>" if cdata else text
    src = (f'<TextSource guid="{SRC2}" name="Notes"><PlainTextContent>{body}</PlainTextContent>'
           + _sel(1, start, start + 10, C_MONEY) + _sel(2, start, len(text), C_STAFF) + "</TextSource>")
    summary = read_qdpx(_archive(tmp_path / "inline.qdpx", src, {}), tmp_path / "p")
    assert summary["codings"] == 2 and summary["outside_units"] == 0
    with open_project(tmp_path / "p") as p:
        stored = p.document_text("notes")
        quotes = [stored[row.start:row.end] for row in p.codings().sort_values("end").itertuples()]
    assert stored == "We listen to staff.\n\nWe fund ideas and we listen.\n"
    assert quotes == ["fund ideas", "fund ideas and we listen."]


def test_import_into_an_empty_project_maps_and_adds_codes(tmp_path):
    text = "We fund ideas.\n\nStaff speak up at every meeting."
    src = (f'<TextSource guid="{SRC2}" name="Notes"><PlainTextContent>{text}</PlainTextContent>'
           + _sel(1, 3, 13, C_MONEY) + _sel(2, 16, 31, C_STAFF) + "</TextSource>")
    cases = (f'<Variables><Variable guid="e0e0e0e0-0000-4000-8000-000000000001" name="case type" '
             f'typeOfVariable="Text"/></Variables><Cases><Case guid="e1e1e1e1-0000-4000-8000-000000000001" '
             f'name="Fenmoor"><VariableValue><VariableRef targetGUID="e0e0e0e0-0000-4000-8000-000000000001"/>'
             f'<TextValue>district</TextValue></VariableValue><SourceRef targetGUID="{SRC2}"/></Case></Cases>')
    init_project(tmp_path / "p", read_codebook(CODEBOOK)).close()
    summary = read_qdpx(_archive(tmp_path / "m.qdpx", src, {}, cases=cases), tmp_path / "p",
                        code_map=["Money=resources"])
    assert summary["codes_added"] == 2  # Staff voice and Suggestion schemes; Money is mapped
    with open_project(tmp_path / "p") as p:
        codings = p.codings()
        assert sorted(codings.code) == ["resources", "staff_voice"]
        assert "staff_voice" in p.codebook() and "staff_voice" in read_codebook(tmp_path / "p" / "codebook.yaml")
        case = p.cases().iloc[0]
        assert (case["case_id"], case["name"], case["type"]) == ("fenmoor", "Fenmoor", "district")
        assert set(p.segments().cases.map(tuple)) == {("fenmoor",)}


def test_import_folds_one_users_selections_of_one_code_in_one_unit(tmp_path):
    """Two passages of one paragraph coded alike, or two codes sent to one by --map, used to become two codings of
    one code on one unit: counted twice."""
    text = "We fund ideas and we fund people.\n\nStaff speak up at every meeting."
    second = text.index("fund people")
    src = (f'<TextSource guid="{SRC2}" name="Notes"><PlainTextContent>{text}</PlainTextContent>'
           + _sel(1, 3, 13, C_MONEY) + _sel(2, second, second + 11, C_MONEY)  # Nina twice in paragraph 1
           + _sel(3, second, second + 11, C_MONEY, user=U2)  # Omar's is a judgement of his own
           + _sel(4, 35, 50, C_STAFF) + _sel(5, 41, 56, C_SUB) + "</TextSource>")  # both mapped to employees
    init_project(tmp_path / "p", read_codebook(CODEBOOK)).close()
    summary = read_qdpx(_archive(tmp_path / "f.qdpx", src, {}), tmp_path / "p",
                        code_map=["Money=resources", "Staff voice=employees", "Suggestion schemes=employees"])
    assert summary["folded_selections"] == 2 and summary["codings"] == 3
    with open_project(tmp_path / "p") as p:
        codings = p.codings().sort_values(["code", "coder"])
        units = p.segments()
    assert list(zip(codings.code, codings.coder)) == [("employees", "Nina"), ("resources", "Nina"),
                                                      ("resources", "Omar")]
    nina = codings[(codings.code == "resources") & (codings.coder == "Nina")].iloc[0]
    assert nina.evidence == "fund ideas and we fund people"  # one coding spanning both passages
    staff = codings[codings.code == "employees"].iloc[0]
    assert (staff.start, staff.end) == (35, 56) and staff.segment_id == units.segment_id.iloc[1]


def test_import_two_users_coding_one_passage_alike_is_one_coding_both_stand_behind(tmp_path):
    """Two coders' codings of one passage with one code come in as one coding and the second coder's add joining
    it, as when a second reviewer adds in casecode: the unit holds the code once, and it stands for both."""
    text = "We fund ideas.\n\nStaff speak up."
    src = (f'<TextSource guid="{SRC2}" name="Notes"><PlainTextContent>{text}</PlainTextContent>'
           + _sel(1, 3, 13, C_MONEY) + _sel(2, 3, 13, C_MONEY, user=U2) + "</TextSource>")
    init_project(tmp_path / "p", read_codebook(CODEBOOK)).close()
    summary = read_qdpx(_archive(tmp_path / "f.qdpx", src, {}), tmp_path / "p", code_map=["Money=resources"])
    assert summary["codings"] == 1 and summary["joined_selections"] == 1
    with open_project(tmp_path / "p") as p:
        codings, decisions = p.codings(), p.decisions()
    assert list(zip(codings.code, codings.coder, codings.evidence)) == [("resources", "Nina", "fund ideas")]
    assert list(zip(decisions.decision, decisions.decided_by, decisions.new_coding_id)) == [
        ("add", "Omar", codings.coding_id.iloc[0])]


def test_import_case_passages_and_notes_as_other_tools_attach_them(tmp_path):
    text = "We fund ideas.\n\nStaff speak up at every meeting."
    note = "f0f0f0f0-0000-4000-8000-00000000000{}"
    src = (f'<TextSource guid="{SRC2}" name="Notes"><PlainTextContent>{text}</PlainTextContent>'
           + _sel(1, 3, 13, C_MONEY) + _sel(2, 16, 31, C_STAFF)
           + f'<NoteRef targetGUID="{note.format(1)}"/></TextSource>')
    cases = ('<Cases><Case guid="e1e1e1e1-0000-4000-8000-000000000001" name="Fenmoor">'
             '<SelectionRef targetGUID="b0b0b0b0-0000-4000-8000-000000000002"/></Case></Cases>')
    notes = ("<Notes>" + "".join(
        f'<Note guid="{note.format(i)}" name="n{i}" creatingUser="{U1}" creationDateTime="2022-01-0{i}T00:00:00Z">'
        f"<PlainTextContent>{body}</PlainTextContent></Note>"
        for i, body in ((1, "On the document"), (2, "On a passage"), (3, "Loose thought"))) + "</Notes>"
        f'<Links><Link guid="f1f1f1f1-0000-4000-8000-000000000001" originGUID="b0b0b0b0-0000-4000-8000-000000000002" '
        f'targetGUID="{note.format(2)}"/></Links>')
    summary = read_qdpx(_archive(tmp_path / "n.qdpx", src, {}, extra=notes, cases=cases), tmp_path / "p")
    assert summary["memos"] == 3 and summary["cases"] == 1
    with open_project(tmp_path / "p") as p:
        segs = p.segments()
        assert [tuple(c) for c in segs.cases] == [(), ("fenmoor",)]  # only the passage the case points at
        memos = {(m.target_type, m.target_id, m.text, m.author) for m in p.memos().itertuples()}
    assert memos == {("document", "notes", "On the document", "Nina"),
                     ("segment", segs.segment_id.iloc[1], "On a passage", "Nina"),
                     ("project", "", "Loose thought", "Nina")}


def test_map_to_an_unknown_code_is_one_line_and_nothing_is_made(tmp_path):
    src = f'<TextSource guid="{SRC2}" name="N"><PlainTextContent>We fund ideas.</PlainTextContent></TextSource>'
    with pytest.raises(InteropError, match="not a code of the target codebook"):
        read_qdpx(_archive(tmp_path / "m.qdpx", src, {}), tmp_path / "p", code_map=["Money=nonsense"])
    assert not (tmp_path / "p").exists()


def test_import_refuses_a_project_that_holds_documents(exported, project_2015):
    with pytest.raises(InteropError, match="already holds documents"):
        read_qdpx(exported[0], project_2015)


def test_importing_one_archive_twice_into_a_folder_is_refused_naming_the_folder(tmp_path):
    """Reported: the second import of one archive into the same folder named the project by the archive's name
    ("project 'Solace 2015'"), not the folder given with -p."""
    src = f'<TextSource guid="{SRC2}" name="N"><PlainTextContent>We fund ideas.</PlainTextContent></TextSource>'
    archive = _archive(tmp_path / "m.qdpx", src, {})
    read_qdpx(archive, tmp_path / "p")
    with pytest.raises(InteropError) as refused:
        read_qdpx(archive, tmp_path / "p")
    assert str(refused.value) == (f"{tmp_path / 'p'}: the project already holds documents (imported or added "
                                  f"before); import m.qdpx into a new folder (casecode import qdpx FILE -p NEW-FOLDER)")
    with open_project(tmp_path / "p") as project:
        assert len(project.documents()) == 1


def test_a_transcript_added_while_an_archive_is_read_makes_the_import_refuse_and_store_nothing(tmp_path,
                                                                                             monkeypatch):
    """Found in an outside-in audit: the 'holds no documents' check ran before the archive was read, outside the
    write lock, so an `add` meanwhile left the import mixing its documents into a project that had its own."""
    import casecode.interop.refi as refi

    src = f'<TextSource guid="{SRC2}" name="N"><PlainTextContent>We fund ideas.</PlainTextContent></TextSource>'
    archive = _archive(tmp_path / "m.qdpx", src, {})
    init_project(tmp_path / "p", read_codebook(CODEBOOK)).close()
    (tmp_path / "mine.txt").write_text("Jane Smith: We listen to residents.\n", encoding="utf-8")
    read = refi._Reader.read

    def read_while_someone_adds(self):
        with open_project(tmp_path / "p") as other:  # another command, meanwhile
            add_files(other, [tmp_path / "mine.txt"], case="Anytown")
        return read(self)

    monkeypatch.setattr(refi._Reader, "read", read_while_someone_adds)
    with pytest.raises(InteropError, match="the project already holds documents"):
        read_qdpx(archive, tmp_path / "p")
    with open_project(tmp_path / "p") as project:
        assert list(project.documents().document_id) == ["mine"] and project.codings().empty


# ---------------------------------------------------------------------------------------------- unsafe archives


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _good_qde(text_ref: str = f"internal://{SRC2}.txt", sel: str = "") -> str:
    return _archive_qde(f'<TextSource guid="{SRC2}" name="N" plainTextPath="{text_ref}">{sel}</TextSource>')


def _archive_qde(sources: str) -> str:
    return (f'<?xml version="1.0"?><Project xmlns="urn:QDA-XML:project:1.0" name="x"><Users><User guid="{U1}" '
            f'name="Nina"/></Users><CodeBook><Codes><Code guid="{C_MONEY}" name="Money" isCodable="true"/></Codes>'
            f"</CodeBook><Sources>{sources}</Sources></Project>")


UNSAFE = {
    "escaping path": ({"project.qde": _good_qde(), f"sources/{SRC2}.txt": b"We fund ideas.",
                       "../../evil.txt": b"x"}, "points outside the archive folder"),
    "escaping plainTextPath": ({"project.qde": _good_qde("internal://../../etc/passwd")},
                               "points outside the archive folder"),
    "entity declaration": ({"project.qde": '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaa">]>'
                                           '<Project xmlns="urn:QDA-XML:project:1.0" name="&a;"/>'},
                           "DOCTYPE or XML entities"),
    "entity declaration in UTF-16": ({"project.qde": ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE p [<!ENTITY a '
                                                     '"aaaa">]><Project name="&a;"/>').encode("utf-16")},
                                     "declares a DOCTYPE"),
    "zip bomb": ({"project.qde": _good_qde(), f"sources/{SRC2}.txt": b"a" * (3 * 2**20)}, "possible ZIP bomb"),
    "offsets outside": ({"project.qde": _good_qde(sel=_sel(1, 5, 999, C_MONEY)),
                         f"sources/{SRC2}.txt": b"We fund ideas."}, "fall outside the 14 characters"),
    "dangling code": ({"project.qde": _good_qde(sel=_sel(1, 3, 7, "99999999-0000-4000-8000-000000000000")),
                       f"sources/{SRC2}.txt": b"We fund ideas."}, "points to nothing in the archive"),
    "dangling user": ({"project.qde": _good_qde(sel=_sel(1, 3, 7, C_MONEY, user=U2)),
                       f"sources/{SRC2}.txt": b"We fund ideas."}, "creatingUser .* points to nothing"),
    "missing source file": ({"project.qde": _good_qde()}, "which the archive lacks"),
    "not xml": ({"project.qde": "<Project"}, "not well-formed XML"),
}


@pytest.mark.parametrize("case", sorted(UNSAFE))
def test_unsafe_archive_is_refused_in_one_line_and_the_project_is_unchanged(case, tmp_path):
    members, message = UNSAFE[case]
    archive = _zip(tmp_path / "bad.qdpx", {k: v.encode() if isinstance(v, str) else v for k, v in members.items()})
    with pytest.raises(InteropError, match=message) as info:
        read_qdpx(archive, tmp_path / "new")
    assert "\n" not in str(info.value)
    assert not (tmp_path / "new").exists()
    init_project(tmp_path / "empty", read_codebook(CODEBOOK)).close()
    before = (tmp_path / "empty" / "project.sqlite").read_bytes()
    with pytest.raises(InteropError):
        read_qdpx(archive, tmp_path / "empty")
    assert (tmp_path / "empty" / "project.sqlite").read_bytes() == before


def test_a_member_lying_about_its_size_is_refused(tmp_path):
    archive = _zip(tmp_path / "lie.qdpx", {"project.qde": _good_qde().encode(), f"sources/{SRC2}.txt": b"b" * 5000})
    data = bytearray(archive.read_bytes())
    # The central directory entry (the last place the name occurs) declares 10 bytes for a 5000-byte member.
    cd = data.rfind(f"sources/{SRC2}.txt".encode()) - 46
    assert data[cd:cd + 4] == b"PK\x01\x02"
    data[cd + 24:cd + 28] = (10).to_bytes(4, "little")
    archive.write_bytes(bytes(data))
    with pytest.raises(InteropError):
        read_qdpx(archive, tmp_path / "p")
    assert not (tmp_path / "p").exists()


# ---------------------------------------------------------------------------------------------- codebooks and CLI


def test_qdc_round_trip_keeps_labels_definitions_colours_and_groups(tmp_path):
    book = read_codebook(CODEBOOK)
    back = read_qdc(write_qdc(book, tmp_path / "a.qdc"))
    assert [c.label for c in back] == [c.label for c in book]
    assert [c.color for c in back] == [c.color for c in book]
    assert [c.group for c in back] == [c.group for c in book]
    assert all(b.definition.startswith(a.definition.strip()) for a, b in zip(book, back))


def test_cli_export_and_import(exported, project_2015, tmp_path):
    runner = CliRunner()
    out = tmp_path / "cli.qdpx"
    result = runner.invoke(app, ["export", "qdpx", "-p", str(project_2015), str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == exported[0].read_bytes()
    result = runner.invoke(app, ["import", "qdpx", str(out), "-p", str(tmp_path / "copy")])
    assert result.exit_code == 0 and "167 codings" in result.output
    result = runner.invoke(app, ["export", "qdc", str(CODEBOOK), str(tmp_path / "c.qdc")])
    assert result.exit_code == 0
    result = runner.invoke(app, ["import", "qdc", str(tmp_path / "c.qdc"), "--out", str(tmp_path / "c.yaml")])
    assert result.exit_code == 0 and len(read_codebook(tmp_path / "c.yaml")) == len(read_codebook(CODEBOOK))
    bad = _zip(tmp_path / "bad.qdpx", {"project.qde": b"<Project"})
    result = runner.invoke(app, ["import", "qdpx", str(bad), "-p", str(tmp_path / "x")])
    assert result.exit_code == 1 and result.output.count("\n") == 1 and "not well-formed" in result.output


def test_export_to_a_place_it_cannot_write_names_that_file_not_a_temporary_one(tmp_path):
    """Found in an outside-in audit: the error named a hidden temporary file ('.x.qdc.k3j2...: Is a directory')."""
    taken = tmp_path / "actions.qdc"
    taken.mkdir()  # a folder where the file should go
    result = CliRunner().invoke(app, ["export", "qdc", str(CODEBOOK), str(taken)])
    assert result.exit_code == 1
    assert result.output == f"Error: cannot write '{taken}': Is a directory; check the folder and run the command again\n"
    assert [p.name for p in tmp_path.iterdir()] == ["actions.qdc"]  # no temporary file left behind


def test_import_qdc_of_a_project_archive_says_what_it_is(exported, tmp_path):
    """Found in an outside-in audit: a .qdpx given to 'import qdc' was 'not well-formed XML at line 1'."""
    archive = exported[0]
    result = CliRunner().invoke(app, ["import", "qdc", str(archive), "--out", str(tmp_path / "c.yaml")])
    assert result.exit_code == 1
    assert result.output == (f"Error: {archive}: a ZIP archive (a .qdpx project?), not a .qdc codebook; import a "
                             f"project with 'casecode import qdpx {archive} -p FOLDER', or export the codebook alone "
                             f"as .qdc\n")
    assert not (tmp_path / "c.yaml").exists()
