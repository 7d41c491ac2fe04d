"""Tests of casecode.corpus readers: encodings, front matter, paragraphs, speaker turns, docx, subtitles, manifests."""

from __future__ import annotations

import codecs
from pathlib import Path

import docx
import pytest

from casecode.corpus import (
    SEGMENT_COLUMNS,
    check_offsets,
    paragraph_units,
    read_document,
    read_documents,
    read_manifest,
    speaker_label_end,
)
from casecode.errors import CasecodeWarning, CorpusError

SMART = "Jane Smith: The budget was “tight” — £3m short.\n\nQ: Why?\n\nIt was a hard year.\n"


def write(folder: Path, name: str, data: str | bytes, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


def read(folder: Path, name: str, data: str | bytes, **kwargs):
    doc = read_document(write(folder, name, data), **kwargs)
    check_offsets(doc)
    return doc


def turns(doc) -> list[tuple[int, str, str, str, bool]]:
    return [(s.unit, s.speaker, s.role, s.kind, s.codable) for s in doc.segments]


# --- decoding -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, encoding, warned",
    [
        (SMART.encode("utf-8"), "utf-8", False),
        (codecs.BOM_UTF8 + SMART.encode("utf-8"), "utf-8-sig", False),
        (codecs.BOM_UTF16_LE + SMART.encode("utf-16-le"), "utf-16-le", False),
        (codecs.BOM_UTF16_BE + SMART.encode("utf-16-be"), "utf-16-be", False),
        (SMART.encode("cp1252"), "windows-1252", True),
        (SMART.replace("\n", "\r\n").encode("utf-8"), "utf-8", False),
        (SMART.replace("\n", "\r").encode("cp1252"), "windows-1252", True),
    ],
    ids=["utf8", "utf8-bom", "utf16le-bom", "utf16be-bom", "cp1252", "crlf", "cr-cp1252"],
)
def test_read_document_decodes_and_normalises(tmp_path, data, encoding, warned):
    path = write(tmp_path, "interview.txt", data)
    doc = read_document(path)
    assert doc.text == SMART
    assert doc.metadata["encoding"] == encoding
    expected = [f"{path}: not UTF-8; read as Windows-1252 — save it as UTF-8 to silence this"] if warned else []
    assert doc.warnings == expected
    assert [s.text for s in doc.segments] == ["Jane Smith: The budget was “tight” — £3m short.", "Q: Why?",
                                              "It was a hard year."]
    check_offsets(doc)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "the file is empty"),
        (b"  \n\n ", "the file is empty"),
        (b"abc\x00def", "contains NUL bytes but no UTF-16 byte-order mark"),
        (b"---\ncase: a\n---\n\n", "no paragraphs found"),
        # a word processor's file named .txt: an RTF file has no NUL byte, so its markup was coded as words
        (b"{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}}\\f0 Jane: We set up a team.\\par}",
         "an RTF (rich text) file, not text; save it as plain text (.txt) or as a Word document (.docx)"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF file, not text; save its text as a .txt file"),
        (b"PK\x03\x04\x14\x00\x06\x00", "a zip archive (a Word .docx or another office file?), not text; give a "
                                       "Word file its .docx name"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "an old Office file (a Word .doc?), not text"),
    ],
    ids=["empty", "blank", "nul", "front-matter-only", "rtf", "pdf", "zip", "doc"],
)
def test_read_document_refuses_unreadable_text(tmp_path, data, message):
    path = write(tmp_path, "bad.txt", data)
    with pytest.raises(CorpusError) as err:
        read_document(path)
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)


def test_read_document_unsupported_extension_names_file_and_formats(tmp_path):
    path = write(tmp_path, "notes.pdf", "x")
    with pytest.raises(CorpusError) as err:
        read_document(path)
    assert str(err.value) == (
        f"{path}: unsupported file type '.pdf'; casecode reads .txt, .md, .docx, .vtt, .srt — convert the file to one"
        " of these"
    )


@pytest.mark.parametrize(
    "name, document_id, expected",
    [
        ("Jane Smith – Interview (2).txt", None, "jane-smith-interview-2"),
        ("Zoë_Brontë.md", None, "zoe_bronte"),
        ("***.txt", None, "document"),
        ("a.txt", "custom-id", "custom-id"),
    ],
)
def test_read_document_document_id(tmp_path, name, document_id, expected):
    doc = read(tmp_path, name, "Some text.", document_id=document_id)
    assert doc.document_id == expected
    assert doc.segments[0].segment_id == f"{expected}:1"


def test_read_document_refuses_document_id_with_colon(tmp_path):
    with pytest.raises(CorpusError, match="contains ':'"):
        read(tmp_path, "a.txt", "Some text.", document_id="a:b")


# --- front matter and paragraphs -------------------------------------------------------------------------------


def test_read_document_front_matter_gives_metadata(tmp_path):
    text = "---\ncouncil: Anytown\ninterviewee: Jane Smith\nrole: Chief Executive\ndate: 2015-06-01\n---\n\nFirst.\n"
    doc = read(tmp_path, "a.md", text, metadata={"interviewee": "J. Smith"})
    assert doc.metadata == {
        "council": "Anytown", "case": "Anytown", "interviewee": "J. Smith", "role": "Chief Executive",
        "date": "2015-06-01", "encoding": "utf-8",
    }
    assert doc.text == text  # the front matter stays in the text; offsets count it
    assert [(s.unit, s.text, s.cases) for s in doc.segments] == [(1, "First.", ("Anytown",))]
    assert doc.case == "Anytown"


def test_read_document_invalid_front_matter_names_line(tmp_path):
    path = write(tmp_path, "a.md", "---\ncase: Anytown\ntitle: [unclosed\n---\n\nText.\n")
    with pytest.raises(CorpusError) as err:
        read_document(path)
    assert str(err.value).startswith(f"{path}: line 4: front matter is not valid YAML (")
    assert str(err.value).endswith("); fix the block between the '---' lines")


def test_paragraph_units_trim_whitespace_and_honour_start_offset():
    text = "skip me\n\n  First line\n  second line  \n \t \n\n\nLast.  \n"
    spans = paragraph_units(text, start_offset=9)
    assert [text[start:end] for start, end in spans] == ["First line\n  second line", "Last."]
    assert paragraph_units("\n\n \n") == []


def test_markdown_headings_are_uncodable_units_that_label_what_follows(tmp_path):
    text = "Preface.\n\n# Part one\nFirst para.\n\n---\n\n## Part *two* ##\n\nSecond para.\n"
    doc = read(tmp_path, "a.md", text)
    got = [(s.unit, s.text, s.kind, s.heading, s.codable) for s in doc.segments]
    assert got == [
        (1, "Preface.", "paragraph", "", True),
        (2, "# Part one", "heading", "Part one", False),
        (3, "First para.", "paragraph", "Part one", True),
        (4, "## Part *two* ##", "heading", "Part *two*", False),
        (5, "Second para.", "paragraph", "Part *two*", True),
    ]
    assert {s.role for s in doc.segments} == {""}  # no speakers at all


# --- speaker turns ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "paragraph, speaker, role",
    [
        ("Jane Smith (Chief Executive): We began in 2014.", "Jane Smith", "respondent"),
        ("JANE: Yes.", "JANE", "respondent"),
        ("Dr. Mary O'Neill-Brown: Yes.", "Dr. Mary O'Neill-Brown", "respondent"),
        ("Speaker 2: Yes.", "Speaker 2", "respondent"),
        ("Q: Why?", "Q", "interviewer"),
        ("Q3: Why?", "Q3", "interviewer"),
        ("A: Because.", "A", "respondent"),
        ("Interviewer: Go on.", "Interviewer", "interviewer"),
        ("INT: Go on.", "INT", "interviewer"),
        ("I: Go on.", "I", "interviewer"),
        ("R: Fine.", "R", "respondent"),
        ("FACILITATOR: Who starts?", "FACILITATOR", "interviewer"),
        ("Moderator: Who starts?", "Moderator", "interviewer"),
        ("speaker 2: yeah we do that", "speaker 2", "respondent"),  # speech recognition, lower case
        ("interviewer: so what changed", "interviewer", "interviewer"),
        ("**Jane Smith:** Yes.", "Jane Smith", "respondent"),
        ("**Jane Smith**: Yes.", "Jane Smith", "respondent"),
        ("Jane Smith:\nThe answer on the next line.", "Jane Smith", "respondent"),
        ("Jane Smith:We began in 2014.", "Jane Smith", "respondent"),  # a typist's missing space
        ("Interviewer:Go on.", "Interviewer", "interviewer"),
        # Reported: a focus group's second facilitator and an academic's "Researcher" were coded as answers.
        ("Facilitator 2: Who starts?", "Facilitator 2", "interviewer"),
        ("Moderator 1: Who starts?", "Moderator 1", "interviewer"),
        ("INT2: Go on.", "INT2", "interviewer"),
        ("Researcher: Go on.", "Researcher", "interviewer"),
    ],
)
def test_speaker_label_recognised(tmp_path, paragraph, speaker, role):
    doc = read(tmp_path, "a.txt", paragraph)
    seg = doc.segments[0]
    assert (seg.speaker, seg.role, seg.kind, seg.text) == (speaker, role, "turn", paragraph)
    assert seg.codable == (role != "interviewer")


@pytest.mark.parametrize(
    "paragraph",
    [
        "Note: the recording starts late.",
        "We met at 10:30 in the hall.",
        "At 10:30: the meeting began.",
        "https://example.org/report: see page 4.",
        "Re:Budget for 2015.",
        "Ratio 3:1 in favour.",
        "Website: https://example.org",
        "The reason was simple: money was short.",
        "In 2015 Anytown Council: a hard year.",
        "Alpha Beta Gamma Delta Epsilon Zeta Eta: seven capitalised words.",
        "A" * 61 + ": a label longer than sixty characters.",
        "Housing: the budget rose.\n\nFinance: it did not.",
        "Key Findings: three themes.",
        "**Leadership challenges:** money and staff.",
    ],
)
def test_speaker_label_false_positives_stay_paragraphs(tmp_path, paragraph):
    doc = read(tmp_path, "a.txt", paragraph)
    assert {(s.speaker, s.role, s.kind) for s in doc.segments} == {("", "", "paragraph")}


def test_lone_name_labels_count_when_a_label_repeats(tmp_path):
    doc = read(tmp_path, "a.txt", "John: Hi.\n\nMary: Hello.\n\nJohn: Bye.")
    assert [s.speaker for s in doc.segments] == ["John", "Mary", "John"]


def test_turns_continue_split_and_reset_at_headings(tmp_path):
    text = (
        "Interview with Jane Smith, June 2015.\n\n"
        "Alan Jones: How did it start?\n\n"
        "Jane Smith (Chief Executive): Slowly.\nIt was hard: money was short.\n\n"
        "And then it got better.\n\n"
        "Q: And staff?\nA: They were great.\n\n"
        "Sarah: I agree.\n\n"
        "# Notes\n\n"
        "Recorded on a phone.\n"
    )
    doc = read(tmp_path, "a.md", text, interviewer_names=["alan jones"])
    assert turns(doc) == [
        (1, "", "", "paragraph", True),
        (2, "Alan Jones", "interviewer", "turn", False),
        (3, "Jane Smith", "respondent", "turn", True),
        (4, "Jane Smith", "respondent", "turn", True),
        (5, "Q", "interviewer", "turn", False),
        (6, "A", "respondent", "turn", True),
        (7, "Sarah", "respondent", "turn", True),  # a lone name counts beside other labels
        (8, "", "", "heading", False),
        (9, "", "", "paragraph", True),
    ]
    assert [s.text for s in doc.segments][4:6] == ["Q: And staff?", "A: They were great."]
    assert doc.metadata["speaker_roles"] == {"Jane Smith": "Chief Executive"}


@pytest.mark.parametrize(
    "front_matter, interviewer_names",
    [("interviewer: Alan Jones\n", None), ("interviewer: [Bo Li, Alan Jones]\n", None), ("", ["Alan Jones"])],
)
@pytest.mark.parametrize("label", ["Alan Jones", "ALAN", "JONES"])  # a first name or surname alone is that interviewer too
def test_interviewer_named_in_metadata_or_argument(tmp_path, front_matter, interviewer_names, label):
    text = f"---\n{front_matter}---\n{label}: Why?\n\nJane Smith: Because.\n"
    doc = read(tmp_path, "a.md", text, interviewer_names=interviewer_names)
    assert turns(doc) == [
        (1, label, "interviewer", "turn", False),
        (2, "Jane Smith", "respondent", "turn", True),
    ]


_ASR_GROUP = (
    "---\ninterviewer: Owen Tranter\n---\n"
    "Speaker 3: okay is it recording great thanks for coming everyone so names and teams\n\n"
    "Speaker 1: yeah Beth Kendrick community safety\n\n"
    "Speaker 2: Lewis planning\n\n"
    "Speaker 3: lovely so first question what's different about how you work now\n\n"
    "Speaker 1: we put the police in our office two days a week and it works\n\n"
    "Speaker 2: can I just say it's not like that in planning\n\n"
    "Speaker 3: and how do residents feed in\n\n"
    "Speaker 1: we don't really ask them\n\n"
    "Speaker 3: why do you think that is\n\n"
    "Speaker 2: no time\n\n"
    "Speaker 3: okay brilliant thank you all that was really useful\n"
)


def test_numbered_speakers_the_one_who_asks_is_the_interviewer(tmp_path):
    """Speech recognition labels speakers "Speaker N"; the front matter names the interviewer but not their label.
    The speaker who opens, asks and thanks is the interviewer, and their turns are not coded."""
    doc = read(tmp_path, "a.txt", _ASR_GROUP)
    roles = {s.speaker: (s.role, s.codable) for s in doc.segments}
    assert roles == {"Speaker 3": ("interviewer", False), "Speaker 1": ("respondent", True),
                     "Speaker 2": ("respondent", True)}


def test_numbered_speakers_interviewer_who_asks_after_a_preamble(tmp_path):
    """The interviewer is not the first to speak (an interviewee checks the recorder) and asks after a preamble, with
    no question mark, as speech recognition writes it."""
    text = (
        "Speaker 1: is it is it going\n\n"
        "Speaker 2: yep it's recording ok thanks everyone so just for the tape can you say who you are\n\n"
        "Speaker 1: anita corrigan director of strategy\n\n"
        "Speaker 3: phil haddow rural services\n\n"
        "Speaker 2: great so i wanted to start with the village plan where did that come from\n\n"
        "Speaker 1: we said we want every village to keep a shop or a hub in ten years\n\n"
        "Speaker 3: cross party\n\n"
        "Speaker 2: and then the money side of it how does that work in practice\n\n"
        "Speaker 1: we moved two posts into it and stopped the old grants\n\n"
        "Speaker 3: and the parish councils chip in\n\n"
        "Speaker 1: they do yeah the bigger ones\n\n"
        "Speaker 2: lovely thanks both that's really helpful\n"
    )
    doc = read(tmp_path, "a.txt", text)
    assert {s.speaker for s in doc.segments if s.role == "interviewer"} == {"Speaker 2"}


def test_numbered_speakers_housekeeping_opener_is_no_rival(tmp_path):
    """A participant opens a workshop with housekeeping and never asks; the facilitator asks half their turns with
    no question mark. Opening earns no half point to a speaker who asks nothing, so the facilitator is found."""
    text = (
        "Speaker 1: right um the fire alarm isn't planned today so if it goes it's real and the recording's on\n\n"
        "Speaker 2: thanks everyone i'm just going to ask a few open questions so just talk to each other\n\n"
        "Speaker 3: okay um where do you start\n\n"
        "Speaker 2: maybe the front door stuff the customer contact work\n\n"
        "Speaker 4: we sat in the waiting room for two weeks just chatting to people\n\n"
        "Speaker 3: and asking them what they'd come in for\n\n"
        "Speaker 2: and what happened with that\n\n"
        "Speaker 3: we took two officers off the rota for the autumn\n\n"
        "Speaker 4: and got agency cover in behind them\n\n"
        "Speaker 3: yeah so they could work on it properly\n\n"
        "Speaker 1: and that was the right call\n\n"
        "Speaker 2: so how did it take shape\n\n"
        "Speaker 4: a rough letter tried on twenty people then changed\n\n"
        "Speaker 3: three or four goes at it before it was any good\n"
    )
    doc = read(tmp_path, "a.txt", text)
    roles = {s.speaker: s.role for s in doc.segments}
    assert roles == {"Speaker 1": "respondent", "Speaker 2": "interviewer", "Speaker 3": "respondent",
                     "Speaker 4": "respondent"}


def test_numbered_speakers_open_prompts_count_as_questions(tmp_path):
    """"anything else anyone wants to add" and "and anything you'd change" are a facilitator's questions, written
    without a question mark or a question word."""
    text = (
        "Speaker 1: is it recording?\n\n"
        "Speaker 2: thanks so tell me about the hub\n\n"
        "Speaker 1: we moved two posts into it\n\n"
        "Speaker 3: and stopped the old grants\n\n"
        "Speaker 2: and anything you'd change\n\n"
        "Speaker 1: yes the opening hours\n\n"
        "Speaker 3: the parish councils chip in now\n\n"
        "Speaker 2: okay anything else anyone wants to add\n\n"
        "Speaker 1: we stopped waiting for the county\n"
    )
    doc = read(tmp_path, "a.txt", text)
    assert {s.speaker for s in doc.segments if s.role == "interviewer"} == {"Speaker 2"}


def test_numbered_speakers_front_matter_names_the_label(tmp_path):
    text = _ASR_GROUP.replace("interviewer: Owen Tranter", "interviewer: Speaker 2")
    doc = read(tmp_path, "a.txt", text)
    assert {s.speaker for s in doc.segments if s.role == "interviewer"} == {"Speaker 2"}


@pytest.mark.parametrize("text", [
    "Speaker 1: we started the hub in 2019\n\nSpeaker 2: and it worked well for us\n",  # nobody asks
    "Speaker 1: what changed\n\nSpeaker 2: why do you ask\n\nSpeaker 1: how was it\n\nSpeaker 2: who knows\n",
    "Anna: what changed here\n\nBen: the hub\n\nAnna: how\n\nBen: slowly\n",  # named speakers: never guessed
])
def test_no_interviewer_guessed_without_a_clear_asker(tmp_path, text):
    doc = read(tmp_path, "a.txt", text)
    assert {s.role for s in doc.segments} == {"respondent"}


# --- Word ------------------------------------------------------------------------------------------------------


def test_read_docx_headings_labels_and_tables(tmp_path):
    word = docx.Document()
    word.core_properties.title = "Anytown interview"
    word.core_properties.author = "Alan Jones"
    word.add_heading("Anytown interview", level=0)
    word.add_heading("Leadership", level=1)
    asked = word.add_paragraph()
    asked.add_run("Alan Jones:").bold = True
    asked.add_run(" How did it start?")
    answer = word.add_paragraph()
    answer.add_run("Jane Smith (Chief Executive)").bold = True
    answer.add_run(": Slowly.")
    word.add_paragraph("   ")
    word.add_paragraph("It got better.")
    lead_in = word.add_paragraph()
    lead_in.add_run("Leadership challenges:").bold = True
    lead_in.add_run(" money and staff.")
    for rows in ([["Year", "", "Budget"], ["2015", "cut", "£3m"]], [["Alan Jones:", "And now?"]]):
        table = word.add_table(rows=len(rows), cols=len(rows[0]))
        for row, values in zip(table.rows, rows):
            for cell, value in zip(row.cells, values):
                cell.text = value
    path = tmp_path / "Anytown Interview.docx"
    word.save(path)

    doc = read_document(path, metadata={"interviewer": "Alan Jones", "case": "anytown"})
    check_offsets(doc)
    assert doc.format == "docx" and doc.document_id == "anytown-interview"
    assert doc.text == (
        "Anytown interview\n\nLeadership\n\nAlan Jones: How did it start?\n\nJane Smith (Chief Executive): Slowly."
        "\n\nIt got better.\n\nLeadership challenges: money and staff.\n\nYear | Budget\n\n2015 | cut | £3m"
        "\n\nAlan Jones: | And now?"
    )
    got = [(s.unit, s.speaker, s.role, s.kind, s.heading, s.codable) for s in doc.segments]
    assert got == [
        (1, "", "", "heading", "Anytown interview", False),
        (2, "", "", "heading", "Leadership", False),
        (3, "Alan Jones", "interviewer", "turn", "Leadership", False),
        (4, "Jane Smith", "respondent", "turn", "Leadership", True),
        (5, "Jane Smith", "respondent", "turn", "Leadership", True),
        (6, "Jane Smith", "respondent", "turn", "Leadership", True),
        (7, "", "", "row", "Leadership", True),
        (8, "", "", "row", "Leadership", True),
        (9, "Alan Jones", "interviewer", "turn", "Leadership", False),  # a transcript kept in a table
    ]
    assert doc.metadata["title"] == "Anytown interview" and doc.metadata["author"] == "Alan Jones"
    assert doc.metadata["created"].startswith("20")
    assert doc.metadata["speaker_roles"] == {"Jane Smith": "Chief Executive"}
    assert all(s.cases == ("anytown",) for s in doc.segments)


def test_read_docx_refuses_a_file_that_is_not_word(tmp_path):
    path = write(tmp_path, "fake.docx", "plain text")
    with pytest.raises(CorpusError, match=r"not a Word \.docx file"):
        read_document(path)


# --- subtitles -------------------------------------------------------------------------------------------------

VTT = """WEBVTT - Anytown interview
Kind: captions

NOTE recorded on Zoom,
exported by hand

STYLE
::cue { color: yellow }

1
00:00:01.000 --> 00:00:04.000 align:start position:10%
<v Alan Jones>Hello &amp; welcome.
2
00:00:04.500 --> 00:00:06.000
<v Alan Jones>How did it <i>start</i>?</v>


00:06.000 --> 00:09.250
<v.loud Jane Smith>Slowly.


It was hard.

00:00:10.000 --> 00:00:12.000
<v Alan Jones>Why?</v>
<v Jane Smith>Money.</v>
"""

SRT = """1
00:00:01,000 --> 00:00:04,000
Alan Jones: Hello & welcome.
2
00:00:04,500 --> 00:00:06,000
How did it <i>start</i>?


3

00:00:06,000 --> 00:00:09,250
Jane Smith: Slowly.

It was hard.

4
00:00:10,000 --> 00:00:11,000
{\\an8}Alan Jones: Why?

5
00:00:11,000 --> 00:00:12,000
Jane Smith: Money.
"""


@pytest.mark.parametrize(
    "name, data, texts, last_cues",
    [
        ("a.vtt", VTT, ["Hello & welcome. How did it start?", "Slowly. It was hard.", "Why?", "Money."],
         [(10.0, 12.0), (10.0, 12.0)]),  # two voices in one cue share its timing
        ("a.srt", SRT, ["Alan Jones: Hello & welcome. How did it start?", "Jane Smith: Slowly. It was hard.",
                        "Alan Jones: Why?", "Jane Smith: Money."],
         [(10.0, 11.0), (11.0, 12.0)]),
    ],
)
def test_read_subtitles_merges_cues_by_speaker_with_timings(tmp_path, name, data, texts, last_cues):
    doc = read(tmp_path, name, data, metadata={"interviewer": "Alan Jones"})
    assert doc.text == "\n\n".join(texts)
    assert [s.text for s in doc.segments] == texts
    assert turns(doc) == [
        (1, "Alan Jones", "interviewer", "turn", False),
        (2, "Jane Smith", "respondent", "turn", True),
        (3, "Alan Jones", "interviewer", "turn", False),
        (4, "Jane Smith", "respondent", "turn", True),
    ]
    timings = [(1.0, 6.0), (6.0, 9.25), *last_cues]
    assert doc.metadata["timings"] == [(f"a:{unit}", *timing) for unit, timing in enumerate(timings, start=1)]


def test_read_subtitles_without_speakers_keeps_one_unit_per_cue(tmp_path):
    data = "1\n00:00:01,000 --> 00:00:02,000\nFirst line\nwrapped.\n\n2\n00:00:02,000 --> 00:00:03,000\nSecond.\n"
    doc = read(tmp_path, "a.srt", data)
    assert [(s.text, s.speaker, s.role, s.kind) for s in doc.segments] == [
        ("First line wrapped.", "", "", "cue"), ("Second.", "", "", "cue"),
    ]
    # Speech recognition without speaker names: every cue is coded, the questions too, and the reader says so.
    assert doc.warnings == [f"{tmp_path / 'a.srt'}: no speaker is named in its cues, so every cue is coded, the "
                            f"interviewer's too; name the speakers ('Name: text' or a VTT voice tag '<v Name>') to "
                            f"leave the questions out"]


@pytest.mark.parametrize(
    "name, data, line, bad",
    [
        ("a.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02\nHi.\n", 3, "00:00:01.000 --> 00:00:02"),
        ("a.srt", "1\n00:00:01,000 - 00:00:02,000\nHi.\n", 2, "00:00:01,000 - 00:00:02,000"),
        ("a.srt", "1\n00:00:01,000 --> 00:00:02,000\nHi.\n2\n00:00:03,000 --> 3s\nBye.\n", 5,
         "00:00:03,000 --> 3s"),
    ],
)
def test_read_subtitles_bad_timing_names_line_and_form(tmp_path, name, data, line, bad):
    """The form asked for is the file's own: an .srt file's timings have commas (it asked for a .vtt's dots)."""
    path, message, form = _refused_subtitles(tmp_path, name, data)
    assert message == f"{path}: line {line}: bad timing '{bad}'; write it as {form}"


@pytest.mark.parametrize(
    "name, data, line, message",
    [
        ("a.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHi.\n\n00:00:05.000 --> 00:00:04.500 align:start\nBye.\n",
         6, "the cue ends at 00:00:04.500, before it starts at 00:00:05.000"),
        ("a.srt", "1\n00:00:03,000 --> 00:00:03,000\nHi.\n", 2,
         "the cue ends at 00:00:03,000, when it starts at 00:00:03,000"),
    ],
)
def test_read_subtitles_cue_ending_before_it_starts_names_line_times_and_fix(tmp_path, name, data, line, message):
    """A cue that ends before (or when) it starts is refused like any other bad timing line, not read."""
    path, said, form = _refused_subtitles(tmp_path, name, data)
    assert said == f"{path}: line {line}: {message}; write an end time after the start time, as in {form}"


def _refused_subtitles(tmp_path, name: str, data: str) -> tuple[Path, str, str]:
    """Write and read a subtitle file that must be refused: its path, the error, and the timing form of its kind."""
    path = write(tmp_path, name, data)
    with pytest.raises(CorpusError) as err:
        read_document(path)
    form = "00:01:02.500 --> 00:01:05.000" if name.endswith(".vtt") else "00:01:02,500 --> 00:01:05,000"
    return path, str(err.value), form


def test_read_srt_cue_with_no_timing_under_its_counter_is_refused_not_joined_to_the_cue_before(tmp_path):
    """Found in an outside-in audit: a cue whose timing line was lost ('2', then words) was read into the cue before
    it, so Ann's words were coded as Jane's, with the counter among them, without a word."""
    path = write(tmp_path, "a.srt", "1\n00:00:01,000 --> 00:00:02,000\nJane: Hi.\n\n2\nAnn: Bye.\n")
    with pytest.raises(CorpusError) as err:
        read_document(path)
    assert str(err.value) == (f"{path}: line 6: cue 2 has 'Ann: Bye.' where its timing belongs; write it as "
                              f"00:01:02,500 --> 00:01:05,000")
    # a counter apart from its timing by a stray blank line is still a counter
    fine = write(tmp_path, "b.srt", "1\n00:00:01,000 --> 00:00:02,000\nJane: Hi.\n\n2\n\n00:00:03,000 --> "
                                    "00:00:04,000\nAnn: Bye.\n")
    assert [s.speaker for s in read_document(fine).segments] == ["Jane", "Ann"]


def test_a_file_mixing_utf8_and_windows_1252_names_both_lines(tmp_path):
    """Found in an outside-in audit: a UTF-8 transcript with one pasted Windows-1252 line was read as Windows-1252
    whole, garbling every accented word ('café' became 'cafÃ©') behind a warning that named no line."""
    path = tmp_path / "mixed.txt"
    path.write_bytes("Interviewer: Café?\n\nJane Smith: Yes.\n".encode("utf-8") + b"\x93Quoted\x94 words.\n")
    assert read_document(path).warnings == [
        f"{path}: not UTF-8; read as Windows-1252 — save it as UTF-8 to silence this",
        f"{path}: line 4: byte 0x93 is not UTF-8, but line 1 holds UTF-8 ('é', read as 'Ã©'): the file mixes two "
        f"encodings; fix line 4 and save the file as UTF-8"]
    plain = tmp_path / "plain.txt"
    plain.write_bytes("Jane Smith: \u201cYes\u201d, caf\u00e9.\n".encode("cp1252"))
    assert read_document(plain).warnings == [f"{plain}: not UTF-8; read as Windows-1252 — save it as UTF-8 to "
                                             f"silence this"]


# --- manifests -------------------------------------------------------------------------------------------------


@pytest.fixture
def corpus_folder(tmp_path):
    write(tmp_path, "jane.txt", "Interviewer: Why?\n\nJane Smith: Because.\n")
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "bo.md", "---\ncase: elsewhere\n---\nBo Li: Yes.\n")
    return tmp_path


def test_read_manifest_rows_feed_read_documents(corpus_folder):
    manifest = write(
        corpus_folder,
        "manifest.csv",
        "File,council,interviewee,interviewer,document_id\n"
        "jane.txt,Anytown,Jane Smith,,\n"
        ",,,,\n"
        "sub/bo.md,Otherton,Bo Li,Bo Li,bo-li\n",
    )
    rows = read_manifest(manifest)
    assert rows[0] == {"file": "jane.txt", "council": "Anytown", "case": "Anytown", "interviewee": "Jane Smith",
                       "path": corpus_folder / "jane.txt"}
    with pytest.raises(CorpusError, match=r"bo.md: the file's own metadata says case 'elsewhere', but its manifest "
                                          r"row says 'Otherton'"):
        read_documents(rows)
    docs = read_documents(rows, override_case=True)
    assert [(d.document_id, d.case, d.metadata["interviewee"]) for d in docs] == [
        ("jane", "Anytown", "Jane Smith"), ("bo-li", "Otherton", "Bo Li"),
    ]
    assert turns(docs[1]) == [(1, "Bo Li", "interviewer", "turn", False)]


def test_a_manifest_case_type_against_the_files_own_is_an_error_unless_overridden(corpus_folder):
    """Found in an outside-in audit: a manifest's case_type replaced the file's own front-matter case_type without a
    word (a contradicting case is an error), moving the case between rows of the codes-by-case-type table."""
    write(corpus_folder, "kim.txt", "---\ncase: Anytown\ncase_type: district\n---\nKim Lo: Yes.\n")
    manifest = write(corpus_folder, "manifest.csv", "file,case,case_type\nkim.txt,Anytown,unitary\n")
    with pytest.raises(CorpusError) as err:
        read_documents(read_manifest(manifest))
    assert str(err.value) == (f"{corpus_folder / 'kim.txt'}: the file's own metadata says case_type 'district', but "
                              f"its manifest row says 'unitary'; correct one of them, or pass --override-case to use "
                              f"'unitary'")
    assert read_documents(read_manifest(manifest), override_case=True)[0].metadata["case_type"] == "unitary"
    same = write(corpus_folder, "same.csv", "file,case,case_type\nkim.txt,Anytown,District\n")
    assert read_documents(read_manifest(same))[0].metadata["case_type"] == "District"


def test_read_documents_case_and_duplicate_ids(corpus_folder):
    docs = read_documents([corpus_folder / "jane.txt"], case="anytown", interviewer_names=["Jane Smith"])
    assert docs[0].segments[1].cases == ("anytown",) and docs[0].segments[1].role == "interviewer"
    write(corpus_folder / "sub", "jane.txt", "Other text.")
    with pytest.raises(CorpusError, match="document_id 'jane' is already used by"):
        read_documents([corpus_folder / "jane.txt", corpus_folder / "sub" / "jane.txt"])
    # the same file twice (overlapping globs) is not two files with one id: renaming would not help
    with pytest.raises(CorpusError, match=r"jane\.txt: the file is named twice; name each file once"):
        read_documents([corpus_folder / "jane.txt", corpus_folder / "sub" / ".." / "jane.txt"])


@pytest.mark.parametrize("sep", [";", "\t"])
def test_read_manifest_saved_with_semicolons_or_tabs(corpus_folder, sep):
    """Reported: a manifest from Excel set to a European locale (cells split by ';') was refused as one unknown
    column 'file;case;interviewee'."""
    manifest = write(corpus_folder, "manifest.csv", f"file{sep}case{sep}role\njane.txt{sep}Anytown{sep}Chief, "
                                                    f"Executive\n", encoding="cp1252")
    assert read_manifest(manifest) == [{"file": "jane.txt", "case": "Anytown", "role": "Chief, Executive",
                                        "path": corpus_folder / "jane.txt"}]


def test_read_manifest_not_utf8_is_read_as_windows_1252_with_a_warning(corpus_folder):
    """Reported: a manifest saved by Excel as Windows-1252 (curly quotes, a pound sign) was read without a word,
    where a transcript in that encoding warns; now it warns the same way."""
    manifest = write(corpus_folder, "manifest.csv", "file,interviewee,role\njane.txt,Zoë O’Neill,“£2m” lead\n",
                     encoding="cp1252")
    with pytest.warns(CasecodeWarning) as caught:
        rows = read_manifest(manifest)
    assert [str(w.message) for w in caught] == [
        f"{manifest}: not UTF-8; read as Windows-1252 — save it as UTF-8 to silence this"]
    assert (rows[0]["interviewee"], rows[0]["role"]) == ("Zoë O’Neill", "“£2m” lead")


def test_a_folder_given_as_a_document_is_named_as_a_folder(corpus_folder):
    with pytest.raises(CorpusError) as err:
        read_document(corpus_folder / "sub")
    folder = corpus_folder / "sub"
    assert str(err.value) == f"{folder}: is a folder; name the files in it, e.g. {folder / '*.txt'} {folder / '*.docx'}"


@pytest.mark.parametrize(
    "content, message",
    [
        ("file,case,xyz\njane.txt,a,b\n",
         "unknown column 'xyz' in the header; allowed: file, case, council, interviewee, role, date, interviewer,"
         " document_id, title, case_type"),
        ("file,case\njane.txt,a\na.txt,b\n",
         "row 3: file 'a.txt' not found (relative paths are read from the manifest's folder)"),
        ("case\na\n", "no 'file' column in the header; add one naming each document's file"),
        ("file,case,\njane.txt,a,oops\n", "row 2: a value 'oops' sits in a column with no header; name it"),
        # these two said "the file is empty; put the document's text in it" and "no files given ... pass --manifest"
        (" \n", "the manifest is empty; give it a header row (file, case, ...) and a row a document"),
        ("file,case\n\n", "no rows below the header; add a row for each document (its file, case, ...)"),
        # found in an outside-in audit: said "jane.txt: the file is named twice", naming neither manifest nor rows
        ("file,case\njane.txt,a\n./jane.txt,b\n",
         "rows 2 and 3 both name './jane.txt'; name each file once (delete one of the rows)"),
    ],
    ids=["unknown-column", "missing-file", "no-file-column", "unnamed-column", "empty", "header-only", "file-twice"],
)
def test_read_manifest_errors(corpus_folder, content, message):
    manifest = write(corpus_folder, "manifest.csv", content)
    with pytest.raises(CorpusError) as err:
        read_manifest(manifest)
    assert str(err.value) == f"{manifest}: {message}"


def test_segments_frame_has_the_documented_columns(tmp_path):
    frame = read(tmp_path, "a.txt", SMART).segments_frame()
    assert list(frame.columns) == SEGMENT_COLUMNS
    assert frame["unit"].tolist() == [1, 2, 3]


def test_paragraphs_without_a_heading_line_are_split_as_before():
    from casecode.corpus._plain import _split_headings, plain_blocks

    root = Path(__file__).resolve().parents[1]
    files = sorted((root / "corpus" / "training-transcripts").glob("set*/*.txt"))
    texts = [path.read_text(encoding="utf-8") for path in files]
    texts += ["# Title\nJane: We listen.\n\nNo # heading here\n  ## Not at the start\n\n## Notes\nText\n\n* * *\n"]
    for text in texts:
        every = [block for start, end in paragraph_units(text) if any(c.isalnum() for c in text[start:end])
                 for block in _split_headings(text, start, end)]
        assert plain_blocks(text) == every


def test_segments_frame_of_a_batch_is_the_frame_of_one_row_per_segment():
    import pandas as pd

    from casecode.corpus import segments_frame

    root = Path(__file__).resolve().parents[1]
    paths = sorted((root / "corpus" / "training-transcripts").glob("set*/*.txt"))[:40]
    segments = [seg for doc in read_documents(paths) for seg in doc.segments]
    assert any(not seg.codable for seg in segments) and any(seg.cases for seg in segments)
    expected = pd.DataFrame([seg.as_dict() for seg in segments], columns=SEGMENT_COLUMNS)
    pd.testing.assert_frame_equal(segments_frame(segments), expected)
    pd.testing.assert_frame_equal(segments_frame([]), pd.DataFrame([], columns=SEGMENT_COLUMNS))


def test_speaker_spelt_in_capitals_is_the_same_speaker(tmp_path):
    from casecode.corpus import read_document

    path = tmp_path / "caps.txt"
    path.write_text("Jane Smith: We meet staff weekly.\n\nJANE SMITH: And residents monthly.\n", encoding="utf-8")
    doc = read_document(path)
    assert [seg.speaker for seg in doc.segments] == ["Jane Smith", "Jane Smith"]


@pytest.mark.parametrize(
    "text, speaker, expected",
    [
        ("Ann Lee (Director of Communities): We listen.", "Ann Lee", 34),
        ("ANN LEE: We listen.", "Ann Lee", 8),
        ("**Ann Lee:** We listen.", "Ann Lee", 10),
        ("We listen: always.", "", 0),
        ("Note: the budget rose.", "Ann Lee", 0),
    ],
)
def test_speaker_label_end(text, speaker, expected):
    from casecode.corpus import speaker_label_end

    assert speaker_label_end(text, speaker) == expected


def test_one_cases_helper_gives_each_unit_its_cases_or_its_document():
    import pandas as pd

    from casecode.corpus import cases_or_document, first_case, segment_cases

    segments = pd.DataFrame({"cases": [("a", "b"), (), "c", None], "document_id": ["d1", "Doc Two", "d3", "d4"]})
    assert cases_or_document(segments) == [("a", "b"), ("Doc Two",), ("c",), ("d4",)]
    assert cases_or_document(segments, str.upper) == [("A", "B"), ("DOC TWO",), ("C",), ("D4",)]
    assert (segment_cases(["x", ""]), first_case(()), first_case(("x", "y"))) == (("x",), "", "x")


def test_a_unit_too_long_to_code_is_refused_naming_its_line(tmp_path):
    """Reported: a transcript whose turn ran 12 million characters without a break was added, and then every
    `casecode code -p` failed with an internal error (spaCy's E088), coding none of the project's documents."""
    from casecode.corpus._readers import MAX_UNIT_CHARS

    body = "---\ncase: Fenmoor\n---\n\nInterviewer: Tell me.\n\nJo: " + "we were bold " * (MAX_UNIT_CHARS // 13 + 1)
    with pytest.raises(CorpusError, match=r"long\.txt: line 7: a paragraph of [\d,]+ characters, over casecode's "
                                          r"limit of 1,000,000 for one unit; break it into paragraphs"):
        read(tmp_path, "long.txt", body + "\n")
    assert read(tmp_path, "ok.txt", body[:MAX_UNIT_CHARS // 2] + "\n").segments[-1].speaker == "Jo"


# --- transcripts with times in their speaker labels (transcription services, typists) -----------------------------

_TURNS = [
    ("Sarah Jones", "Thanks for making time. How did the council find room to innovate?"),
    ("Tom Reed", "We ring-fenced a budget for innovation and set up a small team that reports to me."),
    ("Sarah Jones", "And who do you work with?"),
    ("Tom Reed", "We get the housing association and the health trust round one table every month."),
    ("Tom Reed", "We also went to see how Wigan do it and borrowed their approach."),
    ("Sarah Jones", "How do staff get involved?"),
    ("Tom Reed", "Every worker had half an hour with me in a listening week, and frontline staff came up with most "
                 "of the ideas."),
]
_FRONT = "---\ncase: Fenmoor District Council\ninterviewer: Sarah Jones\n---\n\n"


def _at(i: int) -> int:
    return 3 + 37 * i + (3600 if i == 6 else 0)  # the last one past the hour


def _hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _ms(seconds: int) -> str:  # as Otter and Teams write it: 0:03, 1:02:33
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


STAMPED = {
    "plain": "\n\n".join(f"{n}: {x}" for n, x in _TURNS),
    "typist-brackets": "\n\n".join(f"[{_hms(_at(i))}] {n}: {x}" for i, (n, x) in enumerate(_TURNS)),
    "typist-bare-lines": "\n".join(f"{_hms(_at(i))} {n}: {x}" for i, (n, x) in enumerate(_TURNS)),
    "typist-in-label": "\n\n".join(f"{n} ({_hms(_at(i))}): {x}" for i, (n, x) in enumerate(_TURNS)),
    "typist-after-label": "\n\n".join(f"{n}: [{_hms(_at(i))}] {x}" for i, (n, x) in enumerate(_TURNS)),
    "typist-after-label-own-line": "\n\n".join(f"{n}: ({_ms(_at(i))})\n{x}" for i, (n, x) in enumerate(_TURNS)),
    "otter": "\n\n".join(f"{n}  {_ms(_at(i))}\n{x}" for i, (n, x) in enumerate(_TURNS)),
    "otter-copied-from-the-web": "\n\n".join(f"{n}\u00a0\u00a0{_ms(_at(i))}\n{x}" for i, (n, x) in enumerate(_TURNS)),
    "rev": "\n\n".join(f"{n} ({_hms(_at(i))}):\n{x}" for i, (n, x) in enumerate(_TURNS)),
    "zoom-captions": "\n".join(f"[{n}] {_hms(_at(i))}\n{x}" for i, (n, x) in enumerate(_TURNS)),
}


def _codings(doc, nlp) -> list[tuple]:
    from casecode.codebook import read_codebook
    from casecode.coders import RuleCoder

    codebook = read_codebook(Path(__file__).resolve().parents[1] / "codebooks" / "leadership-actions-2015.yaml")
    found = RuleCoder(codebook, nlp).code(doc.segments_frame())
    text = {s.segment_id: s.text for s in doc.segments}
    return [(text[c.segment_id], c.code, c.evidence, c.rule, round(c.score, 6)) for c in found.itertuples()]


def _turn_view(doc) -> list[tuple]:
    return [(s.text, s.speaker, s.role, s.codable) for s in doc.segments if s.speaker]


@pytest.mark.parametrize("name", [n for n in STAMPED if n != "plain"])
def test_a_transcript_with_times_in_its_labels_reads_and_codes_as_the_plain_one(tmp_path, nlp, name):
    """Reported: Otter, Rev, Zoom-caption and typists' timestamped transcripts lost every speaker (no turns, the
    interviewer's questions coded as answers); now they read as the same words written `Name: text`, each turn's
    time kept as a subtitle cue's is. Windows line endings and a BOM change nothing."""
    plain = read(tmp_path, "plain.txt", _FRONT + STAMPED["plain"] + "\n")
    data = codecs.BOM_UTF8 + (_FRONT + STAMPED[name] + "\n").replace("\n", "\r\n").encode("utf-8")
    doc = read(tmp_path, f"{name}.txt", data)
    assert _turn_view(doc) == _turn_view(plain)
    assert [s.role for s in doc.segments if s.speaker == "Sarah Jones"] == ["interviewer"] * 3
    assert _codings(doc, nlp) == _codings(plain, nlp) != []
    timings = doc.metadata["timings"]
    assert [(start, end) for _, start, end in timings] == [
        (_at(i), _at(i + 1) if i < 6 else _at(i)) for i in range(7)]
    assert [segment_id for segment_id, _, _ in timings] == [s.segment_id for s in doc.segments if s.speaker]


def test_a_teams_or_otter_word_export_reads_as_the_plain_transcript(tmp_path, nlp):
    """Teams and Otter .docx exports put "Name   0:03" in one paragraph and the words in the next."""
    document = docx.Document()
    for line in ("Interview transcript", "December 3, 2026, 10:00AM", "Sarah Jones started transcription"):
        document.add_paragraph(line)
    for i, (speaker, words) in enumerate(_TURNS):
        document.add_paragraph(f"{speaker}   {_ms(_at(i))}")
        document.add_paragraph(words)
    document.save(str(tmp_path / "teams.docx"))
    doc = read_document(tmp_path / "teams.docx", interviewer_names=["Sarah Jones"])
    check_offsets(doc)
    plain = read(tmp_path, "plain.txt", _FRONT + STAMPED["plain"] + "\n")
    assert _turn_view(doc) == _turn_view(plain)
    assert [s.text for s in doc.segments[:3]] == ["Interview transcript", "December 3, 2026, 10:00AM",
                                                  "Sarah Jones started transcription"]
    assert _codings(doc, nlp) == _codings(plain, nlp)
    assert len(doc.metadata["timings"]) == 7


@pytest.mark.parametrize("text", [
    "Agenda\n\nBreak 10:30\nCoffee in the hall.\n\nLunch 12:30\nIn the canteen.\n",  # no speaker named twice
    "Speaker 1: [00:00:04] is it recording now\n\nSpeaker 2: [00:00:09] yes it is\n",  # no speaker named twice
    "Chair: 10:30 start\n\nClerk: 10:45 coffee\n\nChair: 11:00 close\n",  # a bare time after a label is words
    # a time mark in a turn here and there (speech-recognition output): not how the turns are written
    "Ann: [00:01:15] sorry we're late\n\nBo: is this on\n\nAnn: it is\n\nBo: [00:02:03] good\n\nAnn: so\n\n"
    "Bo: yes\n",
    "The meeting moved from 10:30 to 11:15 and Ann Lee: chaired it.\n",
])
def test_times_that_are_not_speaker_labels_leave_the_text_as_it_was(tmp_path, text):
    doc = read(tmp_path, "notes.txt", text)
    assert doc.text == text and "timings" not in doc.metadata


def _bold_word(path: Path, how: str) -> Path:
    """The plain transcript as a typist's Word file: bold names without a colon, or a speaker column."""
    document = docx.Document()
    if how.startswith("table"):
        table = document.add_table(rows=0, cols=3 if how == "table-times" else 2)
        header = table.add_row().cells
        header[-2].text, header[-1].text = "Speaker", "Transcript"
        for i, (speaker, words) in enumerate(_TURNS):
            cells = table.add_row().cells
            if how == "table-times":
                cells[0].text = _hms(_at(i))
            cells[-2].text, cells[-1].text = speaker, words
    else:
        for speaker, words in _TURNS:
            paragraph = document.add_paragraph()
            paragraph.add_run(speaker).bold = True
            if how == "bold-tab":
                paragraph.add_run("\t" + words)
            elif how == "bold-break":
                paragraph.add_run().add_break()
                paragraph.add_run(words)
            else:  # the name alone, the words in the next paragraph
                document.add_paragraph(words)
    document.save(str(path))
    return path


@pytest.mark.parametrize("how", ["bold-tab", "bold-break", "bold-own-paragraph", "table", "table-times"])
def test_a_word_transcript_with_bold_names_or_a_speaker_column_reads_as_the_plain_one(tmp_path, nlp, how):
    """Reported: a Word transcript whose speakers are bold names without a colon, or a table with a speaker
    column, lost every speaker; now it reads as the same words written `Name: text`."""
    doc = read_document(_bold_word(tmp_path / f"{how}.docx", how), interviewer_names=["Sarah Jones"])
    check_offsets(doc)
    plain = read(tmp_path, "plain.txt", _FRONT + STAMPED["plain"] + "\n")
    assert _turn_view(doc) == _turn_view(plain)
    assert _codings(doc, nlp) == _codings(plain, nlp) != []
    if how.startswith("table"):
        assert doc.segments[0].text == "Speaker | Transcript" and not doc.segments[0].speaker  # the header row
    if how == "table-times":
        assert [start for _, start, _ in doc.metadata["timings"]] == [_at(i) for i in range(7)]


def test_bold_lead_ins_and_data_tables_stay_as_they_were(tmp_path):
    document = docx.Document()
    for lead, rest in [("Background", " The council began in 2015."), ("Findings", " Three things stood out."),
                       ("Jane Smith", " wrote the report.")]:
        paragraph = document.add_paragraph()
        paragraph.add_run(lead).bold = True
        paragraph.add_run(rest)
    table = document.add_table(rows=0, cols=2)
    for key, value in [("Budget", "£3m"), ("Staff", "40"), ("Budget", "£2m")]:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = key, value
    document.save(str(tmp_path / "notes.docx"))
    doc = read_document(tmp_path / "notes.docx")
    assert doc.text.split("\n\n")[:3] == ["Background The council began in 2015.", "Findings Three things stood out.",
                                          "Jane Smith wrote the report."]
    assert not any(s.speaker for s in doc.segments)


# --- outsiders' transcripts: labels and exports as typists and tools write them ------------------------------------


def test_a_role_with_a_colon_in_it_keeps_the_turn_its_speaker(tmp_path):
    """Reported: "Cllr Ann Lee (Leader: Labour): ..." was no label (the first colon ended it), so each of her answers
    went on the interviewer's turn before it and was never coded."""
    text = ("Interviewer: How did the council change?\n\nCllr Ann Lee (Leader: Labour): We set up a residents' panel "
            "and gave it a ring-fenced budget.\n\nInterviewer: And staff?\n\n**Tom Reed (Director: Place):** We "
            "ran staff conversations in every directorate.\n")
    doc = read(tmp_path, "a.txt", text)
    assert [(s.speaker, s.role, s.codable) for s in doc.segments] == [
        ("Interviewer", "interviewer", False), ("Cllr Ann Lee", "respondent", True),
        ("Interviewer", "interviewer", False), ("Tom Reed", "respondent", True)]
    assert doc.metadata["speaker_roles"] == {"Cllr Ann Lee": "Leader: Labour", "Tom Reed": "Director: Place"}
    answer = doc.segments[1].text
    assert answer[speaker_label_end(answer, "Cllr Ann Lee"):].startswith(" We set up")


@pytest.mark.parametrize("listed", [
    "\n".join(f"- **{n}:** {x}" for n, x in _TURNS),  # one markdown list
    "\n\n".join(f"* {n}: {x}" for n, x in _TURNS),  # a list item per paragraph
    "\n".join(f"• {n}: {x}" for n, x in _TURNS),  # bullets pasted from Word
])
def test_a_list_whose_items_are_turns_reads_as_the_plain_transcript(tmp_path, nlp, listed):
    """Reported: turns written as list items ("- **Sarah Jones:** ...") were no turns: a list was one unit with no
    speaker, so the interviewer's questions were coded with the answers."""
    doc = read(tmp_path, "listed.md", _FRONT + "# Interview\n\n" + listed + "\n")
    plain = read(tmp_path, "plain.md", _FRONT + "# Interview\n\n" + STAMPED["plain"] + "\n")
    assert [(s.speaker, s.role, s.codable) for s in doc.segments] == [
        (s.speaker, s.role, s.codable) for s in plain.segments]
    assert [s.text.replace("**", "") for s in doc.segments] == [s.text for s in plain.segments]
    assert [c[1:] for c in _codings(doc, nlp)] == [c[1:] for c in _codings(plain, nlp)] != []
    # A list in an answer, its items led by lone words, stays the answer.
    text = listed + "\n\n- Housing: we built more homes.\n- Finance: we saved money.\n"
    assert read(tmp_path, "answer.md", text).segments[-1].speaker == "Tom Reed"


_CUES = [  # (speaker as Teams names them, words of one cue); consecutive cues of one speaker are one turn
    ("Jones, Sarah", "Thanks for making time. How did the council find room to innovate?"),
    ("Reed, Tom", "We ring-fenced a budget for innovation"),
    ("Reed, Tom", "and set up a small team that reports to me."),
    ("Jones, Sarah", "And who do you work with?"),
    ("Reed, Tom", "We get the housing association and the health trust round one table every month."),
]


def _teams_time(seconds: float) -> str:
    return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60)}:{seconds % 60:g}"


@pytest.mark.parametrize("how", ["docx-cue-paragraph", "docx-paragraphs", "txt"])
def test_a_teams_export_with_cue_timings_reads_as_the_plain_transcript(tmp_path, nlp, how):
    """Reported: Microsoft Teams' Word (and text) transcript, each cue a timing line ("0:0:3.52 --> 0:0:9.1"), the
    speaker's name ("Jones, Sarah") and the words, had no speakers: the timings stayed in the units and the
    interviewer's questions were coded. Now each cue is its speaker's turn, one speaker's consecutive cues joined
    (as subtitles are), the name read as "Sarah Jones", and each turn keeps its first cue's time."""
    cues = [(f"{_teams_time(7.5 * k + 0.52)} --> {_teams_time(7.5 * k + 7)}", name, words)
            for k, (name, words) in enumerate(_CUES)]
    if how == "txt":
        path = write(tmp_path, "teams.txt", "\n\n".join("\n".join(cue) for cue in cues) + "\n")
    else:
        document = docx.Document()
        document.add_paragraph("Fenmoor interview-20261203_100012-Meeting Recording")
        for timing, name, words in cues:
            if how == "docx-paragraphs":
                for line in (timing, name, words, ""):
                    document.add_paragraph(line)
            else:
                paragraph = document.add_paragraph(timing)
                for line in (name, words):
                    paragraph.add_run().add_break()
                    paragraph.add_run(line)
        path = tmp_path / "teams.docx"
        document.save(str(path))
    doc = read_document(path, interviewer_names=["Sarah Jones"])
    check_offsets(doc)
    plain = read(tmp_path, "plain.txt", "Sarah Jones: Thanks for making time. How did the council find room to "
                 "innovate?\n\nTom Reed: We ring-fenced a budget for innovation and set up a small team that reports "
                 "to me.\n\nSarah Jones: And who do you work with?\n\nTom Reed: We get the housing association and the "
                 "health trust round one table every month.\n", interviewer_names=["Sarah Jones"])
    assert _turn_view(doc) == _turn_view(plain)
    assert _codings(doc, nlp) == _codings(plain, nlp) != []
    assert [start for _, start, _ in doc.metadata["timings"]] == [0.52, 8.02, 23.02, 30.52]


def test_several_speakers_and_no_interviewer_is_warned_about(tmp_path):
    """Reported: a Teams or Otter transcript names everyone, so with no interviewer named every question was coded
    as an answer, without a word; now the reader says so, naming the file, the speakers and the fix."""
    text = STAMPED["otter"] + "\n"
    path = write(tmp_path, "otter.txt", text)
    doc = read_document(path)
    assert {s.role for s in doc.segments if s.speaker} == {"respondent"}
    assert doc.warnings == [
        f"{path}: no interviewer among its 2 speakers (Sarah Jones; Tom Reed), so every turn is coded, the questions "
        f"too; name the interviewer with --interviewer NAME (or a manifest's 'interviewer' column, or front matter "
        f"'interviewer: NAME')"]
    assert read_document(path, interviewer_names=["Sarah Jones"]).warnings == []
    assert read(tmp_path, "one.txt", "Tom Reed: We ring-fenced a budget.\n\nTom Reed: And met staff.\n").warnings == []


@pytest.mark.parametrize("label", ["jane:", "[Jane Smith]:", "<Jane>", "(Jane)", "Cllr jones:"])
def test_unrecognised_speaker_labels_are_warned_about_and_cut_as_before(tmp_path, label):
    """Found in an audit: a transcript whose answers open with labels casecode does not recognise was read as the
    interviewer's turn throughout, so nothing in it was coded, without a word. The reader now says so, naming the
    file, the line and the fix; how the turns are cut stays as it was (golden codings pin it)."""
    text = (f"---\ncase: Fenmoor\n---\nInterviewer: How do you lead?\n\n{label} We were bold and ring-fenced the "
            f"budget.\n\nInterviewer: And staff?\n\n{label} We engaged staff.\n")
    path = write(tmp_path, "answers.txt", text)
    doc = read_document(path)
    assert turns(doc) == [(unit, "Interviewer", "interviewer", "turn", False) for unit in (1, 2, 3, 4)]
    opening = " ".join(f"{label} We were bold and ring-fenced the budget.".split())[:40]
    assert doc.warnings == [
        f"{path}: every turn is read as the interviewer's (Interviewer), so nothing in it is coded: line 6 "
        f"({opening + '...'!r}) opens with no speaker label casecode recognises, so it continues that turn; write "
        f"each speaker's label as 'Name: text' with the name capitalised ('Jane Smith: ...', 'Speaker 2: ...', "
        f"'Respondent: ...')"]
    fixed = read(tmp_path, "fixed.txt", text.replace(label, "Jane Smith:"))
    assert fixed.warnings == [] and [s.role for s in fixed.segments] == ["interviewer", "respondent"] * 2


def test_a_transcript_of_interviewers_alone_is_warned_about(tmp_path):
    """Every speaker asks (a respondent named by --interviewer by mistake): nothing is coded, and the reader says
    where to look."""
    path = write(tmp_path, "asked.txt", "Interviewer: How do you lead?\n\nJane Smith: We were bold.\n")
    assert read_document(path).warnings == []
    assert read_document(path, interviewer_names=["Jane Smith"]).warnings == [
        f"{path}: every turn is an interviewer's (Interviewer, Jane Smith), so nothing in it is coded; if one of "
        f"them answers, check --interviewer and the front matter's 'interviewer:' (labels such as Interviewer, Q or "
        f"INT always ask)"]


def _tracked(paragraph, tag: str, words: str) -> None:
    """Append a tracked change (w:ins or w:del) of `words` to a python-docx paragraph."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    change = OxmlElement(f"w:{tag}")
    for key, value in (("w:id", str(id(words) % 1000)), ("w:author", "Ana"), ("w:date", "2026-01-01T00:00:00Z")):
        change.set(qn(key), value)
    run, text = OxmlElement("w:r"), OxmlElement("w:delText" if tag == "del" else "w:t")
    text.text = words
    text.set(qn("xml:space"), "preserve")
    run.append(text)
    change.append(run)
    paragraph._p.append(change)


def test_a_word_transcript_with_tracked_changes_reads_as_accepted(tmp_path):
    """Reported: words typed with Track Changes on were left out of a .docx (python-docx's text skips tracked
    insertions), silently: a corrected answer lost its correction and the codes in it. Now the text reads as Word
    shows it with every change accepted, in paragraphs and table cells, and the reader says so."""
    document = docx.Document()
    document.add_paragraph("Interviewer: How did you find the money?")
    paragraph = document.add_paragraph("Tom Reed: We")
    _tracked(paragraph, "ins", " ring-fenced a budget for innovation")
    _tracked(paragraph, "del", " cut the budget")
    paragraph.add_run(".")
    cell = document.add_table(rows=1, cols=1).rows[0].cells[0]
    _tracked(cell.paragraphs[0], "ins", "A note in a table.")
    path = tmp_path / "tracked.docx"
    document.save(str(path))
    doc = read_document(path)
    assert doc.text.split("\n\n") == ["Interviewer: How did you find the money?",
                                      "Tom Reed: We ring-fenced a budget for innovation.", "A note in a table."]
    assert doc.warnings == [f"{path}: has tracked changes; read as if all were accepted (insertions kept, deletions "
                            f"left out) — accept or reject them in Word to silence this"]


def test_a_word_transcript_in_a_content_control_is_read(tmp_path):
    """Reported: paragraphs inside a content control (a template's field, or a transcript pasted into one) were
    left out of a .docx without a word; they are read in their place."""
    from docx.oxml import OxmlElement

    document = docx.Document()
    document.add_paragraph("Interviewer: How did you find the money?")
    answer = document.add_paragraph("Tom Reed: We ring-fenced a budget for innovation.")
    document.add_paragraph("Interviewer: Thank you.")
    control, content = OxmlElement("w:sdt"), OxmlElement("w:sdtContent")
    control.append(content)
    answer._p.addprevious(control)
    content.append(answer._p)
    document.save(str(tmp_path / "control.docx"))
    doc = read_document(tmp_path / "control.docx")
    assert [(s.speaker, s.codable) for s in doc.segments] == [
        ("Interviewer", False), ("Tom Reed", True), ("Interviewer", False)]


def test_questions_and_answers_written_q_dot_a_dot_are_turns(tmp_path, nlp):
    """Reported: "Q. ..." / "A. ..." (as legal and press transcripts write them) were no labels: the questions were
    coded as answers. They count where two of each are written; an outline's "A. Background" stays a paragraph."""
    turns = [("Q", "How did the council find room to innovate?"),
             ("A", "We ring-fenced a budget for innovation and set up a small team that reports to me."),
             ("Q", "Do you get the housing association and the health trust round one table?"),
             ("A", "We get the housing association and the health trust round one table every month.")]
    dotted = read(tmp_path, "dotted.txt", "\n\n".join(f"{q}. {x}" for q, x in turns) + "\n")
    plain = read(tmp_path, "plain.txt", "\n\n".join(f"{q}: {x}" for q, x in turns) + "\n")
    assert [(s.speaker, s.role, s.codable) for s in dotted.segments] == [
        (s.speaker, s.role, s.codable) for s in plain.segments] == [
        ("Q", "interviewer", False), ("A", "respondent", True)] * 2
    assert [c[1:] for c in _codings(dotted, nlp)] == [c[1:] for c in _codings(plain, nlp)] != []
    outline = read(tmp_path, "outline.txt", "A. Background\n\nB. Findings\n\nQ. Why now?\n")
    assert not any(s.speaker for s in outline.segments)


@pytest.mark.parametrize("voice, interviewer", [("Jones, Sarah", "Sarah Jones"), ("Sarah Jones", "Jones, Sarah")])
def test_an_interviewer_named_surname_first_is_the_same_person(tmp_path, voice, interviewer):
    """Reported: Teams names people as its directory does ("<v Jones, Sarah>"), so `--interviewer "Sarah Jones"`
    matched no speaker and her questions were coded."""
    cues = [(voice, "How did the council find room to innovate?"), ("Reed, Tom", "We ring-fenced a budget."),
            (voice, "And who do you work with?")]
    text = "WEBVTT\n\n" + "\n\n".join(f"00:00:{10 * i:02d}.000 --> 00:00:{10 * i + 5:02d}.000\n<v {name}>{words}</v>"
                                      for i, (name, words) in enumerate(cues)) + "\n"
    doc = read(tmp_path, "teams.vtt", text, interviewer_names=[interviewer])
    assert [(s.speaker, s.role) for s in doc.segments] == [
        (voice, "interviewer"), ("Reed, Tom", "respondent"), (voice, "interviewer")]
    assert doc.warnings == []


def test_a_manifest_written_on_windows_finds_files_in_folders(corpus_folder):
    """Reported: a manifest made on Windows ('sub\\bo.md') named no file elsewhere ("file not found")."""
    manifest = write(corpus_folder, "manifest.csv", "file,case\r\njane.txt,Anytown\r\nsub\\bo.md,elsewhere\r\n")
    assert [row["path"] for row in read_manifest(manifest)] == [corpus_folder / "jane.txt",
                                                                corpus_folder / "sub" / "bo.md"]


@pytest.mark.parametrize("how", ["tab", "name-line", "name-paragraph", "bold-markdown", "bold-markdown-line", "dash",
                                 "dash-capitals", "en-dash"])
def test_names_without_a_colon_in_plain_text_are_turns(tmp_path, nlp, how):
    """Reported: a typist's transcript saved from Word as plain text ("Sarah Jones<TAB>words"), Otter's text export
    without times (the name on a line of its own, the words below) and a Word transcript converted to markdown
    ("**Sarah Jones** words") had no turns: the interviewer's questions were coded. A name counts so where one name
    comes twice; a table's "Budget<TAB>£3m" stays words."""
    form = {"tab": "{n}\t{x}", "name-line": "{n}\n{x}", "name-paragraph": "{n}\n\n{x}", "bold-markdown": "**{n}** {x}",
            "bold-markdown-line": "**{n}**\n{x}", "dash": "{n} - {x}", "dash-capitals": "{n} - {x}",
            "en-dash": "{n} – {x}"}[how]
    body = "\n\n".join(form.format(n=n.upper() if how == "dash-capitals" else n, x=x) for n, x in _TURNS) \
        + "\n\nBudget\t£3m\n"
    doc = read(tmp_path, f"{how}.md", _FRONT + body)
    plain = read(tmp_path, "plain.md", _FRONT + STAMPED["plain"] + "\n\nBudget\t£3m\n")

    def spoken(document):
        return [(s.speaker.lower(), s.role, s.codable, s.text[speaker_label_end(s.text, s.speaker):].strip())
                for s in document.segments if s.text[speaker_label_end(s.text, s.speaker):].strip()]
    assert spoken(doc) == spoken(plain)
    assert [c[1:] for c in _codings(doc, nlp)] == [c[1:] for c in _codings(plain, nlp)] != []


def test_a_name_with_a_dash_is_a_turn_only_where_the_name_comes_twice(tmp_path):
    """"NAME - text" turns (as some typists write them) count only where one name is written so twice: a note's
    "Housing - the waiting list is long" stays words."""
    notes = read(tmp_path, "notes.txt", "Housing - the waiting list is long.\n\nFinance - a gap of £3m.\n")
    assert [(s.speaker, s.kind) for s in notes.segments] == [("", "paragraph"), ("", "paragraph")]
    said = read(tmp_path, "said.txt", "TOM REED - We did it: all of it.\n\nSARAH JONES - Why?\n\n"
                                      "TOM REED - Because - well - we had to.\n", interviewer_names=["Sarah Jones"])
    assert [(s.speaker, s.role) for s in said.segments] == [
        ("TOM REED", "respondent"), ("SARAH JONES", "interviewer"), ("TOM REED", "respondent")]
    assert [s.text[speaker_label_end(s.text, s.speaker):] for s in said.segments] == [
        "We did it: all of it.", "Why?", "Because - well - we had to."]


@pytest.mark.parametrize("footer", ["Transcribed by https://otter.ai", "Transcribed by Otter.ai",
                                    "Automatically transcribed by Sonix.ai.", "Transcribed by https://otter.ai/u/AbC"])
@pytest.mark.parametrize("suffix", [".txt", ".docx"])
def test_a_transcription_services_footer_is_not_a_unit_to_code(tmp_path, footer, suffix):
    """Reported: Otter's "Transcribed by https://otter.ai" at the end of its export was coded as the last
    speaker's words."""
    paragraphs = [f"{n}: {x}" for n, x in _TURNS] + [footer]
    if suffix == ".docx":
        word = docx.Document()
        for paragraph in paragraphs:
            word.add_paragraph(paragraph)
        word.save(tmp_path / "otter.docx")
        doc = read_document(tmp_path / "otter.docx", interviewer_names=["Sarah Jones"])
    else:
        doc = read(tmp_path, "otter.txt", "\n\n".join(paragraphs) + "\n", interviewer_names=["Sarah Jones"])
    last = doc.segments[-1]
    assert (last.text, last.speaker, last.kind, last.codable) == (footer, "", "note", False)
    assert [s.speaker for s in doc.segments[:-1]] == [n for n, _ in _TURNS]
    kept = read(tmp_path, "kept.txt", "Sarah Jones: Who typed it?\n\nTom Reed: Transcribed by hand, by me.\n\n"
                                      "Transcribed by my colleague Sam, who was there.\n")
    assert [(s.speaker, s.codable) for s in kept.segments] == [("Sarah Jones", True), ("Tom Reed", True),
                                                               ("Tom Reed", True)]


def _cues(lines: list[str]) -> str:
    return "".join(f"{i + 1}\n00:00:{2 * i:02d},000 --> 00:00:{2 * i + 1:02d},500\n{line}\n\n"
                   for i, line in enumerate(lines))


def test_subtitles_naming_speakers_in_brackets_or_after_a_dash_have_turns(tmp_path):
    """Reported: captions naming speakers as "[Sarah Jones] text" or "- Sarah Jones: text" (two speakers in one cue)
    had no turns, so the interviewer's questions were coded; "[Laughter]" is no speaker."""
    bracketed = read(tmp_path, "b.srt", _cues([
        "[Sarah Jones] How did you find room?", "[Tom Reed] We ring-fenced a budget.", "[Laughter] And a team.",
        "[Laughter]\n[Sarah Jones] Who do you work with?", "[Tom Reed] The health trust."]),
        interviewer_names=["Sarah Jones"])
    assert [(s.speaker, s.role, s.text) for s in bracketed.segments] == [
        ("Sarah Jones", "interviewer", "[Sarah Jones] How did you find room?"),
        ("Tom Reed", "respondent", "[Tom Reed] We ring-fenced a budget. [Laughter] And a team. [Laughter]"),
        ("Sarah Jones", "interviewer", "[Sarah Jones] Who do you work with?"),
        ("Tom Reed", "respondent", "[Tom Reed] The health trust.")]
    assert [s.text[speaker_label_end(s.text, s.speaker):].strip() for s in bracketed.segments][-1] == \
        "The health trust."
    dashed = read(tmp_path, "d.srt", _cues(["- Sarah Jones: How did you find room?\n- Tom Reed: A budget.",
                                            "And a team.", "- Sarah Jones: Who with?\n- Tom Reed: The trust."]),
                  interviewer_names=["Sarah Jones"])
    assert [(s.speaker, s.role, s.text) for s in dashed.segments] == [
        ("Sarah Jones", "interviewer", "Sarah Jones: How did you find room?"),
        ("Tom Reed", "respondent", "Tom Reed: A budget. And a team."),
        ("Sarah Jones", "interviewer", "Sarah Jones: Who with?"), ("Tom Reed", "respondent", "Tom Reed: The trust.")]
    assert dashed.metadata["timings"][:2] == [("d:1", 0.0, 1.5), ("d:2", 0.0, 3.5)]
    once = read(tmp_path, "o.srt", _cues(["[Music] Welcome to the podcast.", "- Right, so.\n- Yes."]))
    assert [(s.speaker, s.text) for s in once.segments] == [("", "[Music] Welcome to the podcast."),
                                                            ("", "- Right, so. - Yes.")]


@pytest.mark.parametrize("given", ["Sarah", "Jones", "sarah"])
def test_an_interviewer_named_by_one_name_against_full_name_labels(tmp_path, given):
    """Reported: front matter 'interviewer: Sarah' against "Sarah Jones:" labels marked no interviewer, so her
    questions were coded. One name that fits two speakers marks neither and says so."""
    body = "\n\n".join(f"{n}: {x}" for n, x in _TURNS) + "\n"
    doc = read(tmp_path, "one.txt", f"---\ninterviewer: {given}\n---\n\n" + body)
    assert [(s.speaker, s.role) for s in doc.segments] == [(n, "interviewer" if n == "Sarah Jones" else "respondent")
                                                           for n, _ in _TURNS]
    assert doc.warnings == []
    others = {"Sarah Jones": "Tom Jones", "Tom Reed": "Ann Jones"} if given == "Jones" else {"Tom Reed": "Sarah Reed"}
    for old, new in others.items():
        body = body.replace(old, new)
    two = read(tmp_path, "two.txt", f"---\ninterviewer: {given}\n---\n\n" + body)
    assert {s.role for s in two.segments} == {"respondent"}
    assert len(two.warnings) == 1 and "could be" in two.warnings[0] and "give the full name" in two.warnings[0]
