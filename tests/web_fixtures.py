"""A small project for the web tests: two transcripts (one hostile), a codebook with hostile fields, suggestions."""

from __future__ import annotations

from pathlib import Path

from casecode.codebook import codebook_from_dict
from casecode.corpus import Document, Segment
from casecode.store import init_project

HOSTILE = '<img src=x onerror="document.body.dataset.pwned=1">'

CODEBOOK = {
    "name": "web-test",
    "codes": [
        {"id": "employees", "label": "Engage employees", "color": "#7aecec",
         "definition": "Leaders who listen to staff and involve them.",
         "include": ["Listening to frontline staff"], "exclude": ["Staff numbers alone"],
         "examples": ["We listen to our staff every week"],
         "patterns": [{"pattern": "listen to staff"}]},
        {"id": "resources", "label": "Put resources " + HOSTILE, "color": "#feca74",
         "definition": "Money behind ideas " + HOSTILE, "include": [HOSTILE], "examples": [HOSTILE],
         "patterns": [{"pattern": "put money behind"}]},
        {"id": "residents", "label": "Work with residents", "color": "#aa9cfc",
         "patterns": [{"pattern": "co-design"}]},
    ],
}

TURNS = [
    ("Interviewer", "interviewer", "Interviewer: How do you work with staff?", False),
    ("Ann Lee", "respondent",
     "Ann Lee: We listen to our staff every week and we put money behind new ideas.", True),
    ("Bob Hale", "respondent",
     "Bob Hale: Residents co-design services with us, and we also listen to staff when budgets are tight.", True),
]

HOSTILE_TURNS = [
    ('Eve "<script>"', "respondent", 'Eve: </p><script>document.body.dataset.pwned=1</script> ' + HOSTILE
     + " We listen to staff.", True),
]


def _document(document_id: str, turns, case: str) -> Document:
    text, segments = "", []
    for unit, (speaker, role, line, codable) in enumerate(turns, start=1):
        start = len(text)
        text += line + "\n\n"
        segments.append(Segment(f"{document_id}:{unit}", document_id, unit, start, start + len(line), line,
                                speaker=speaker, role=role, kind="turn", cases=(case,), codable=codable))
    return Document(document_id, text, path=f"{document_id}.txt", segments=segments)


def _suggest(text: str, segment_id: str, phrase: str, code: str, after: int = 0) -> dict:
    start = text.index(phrase, after)
    return {"segment_id": segment_id, "code": code, "start": start, "end": start + len(phrase),
            "coder": "rules", "rule": f"{code}:{phrase.replace(' ', '-')}", "score": 0.8}


def build_project(folder: Path):
    """The project: documents `fenmoor` and `hostile`, four suggestions in fenmoor and one in hostile."""
    project = init_project(folder, codebook_from_dict(CODEBOOK), name="web test")
    project.add_cases([{"case_id": "fenmoor", "name": "Fenmoor <b>District</b>"},
                       {"case_id": "evil", "name": "Evil " + HOSTILE}])
    fen = _document("fenmoor", TURNS, "fenmoor")
    evil = _document("hostile", HOSTILE_TURNS, "evil")
    project.add_document(fen)
    project.add_document(evil)
    bob = fen.text.index("Bob Hale")
    project.add_codings([
        _suggest(fen.text, "fenmoor:2", "listen to our staff", "employees"),
        _suggest(fen.text, "fenmoor:2", "put money behind", "resources"),
        _suggest(fen.text, "fenmoor:3", "co-design", "residents"),
        _suggest(fen.text, "fenmoor:3", "listen to staff", "employees", after=bob),
        _suggest(evil.text, "hostile:1", "listen to staff", "employees"),
    ])
    return project
