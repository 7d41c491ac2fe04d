"""Property tests (hypothesis): any input to the transcript readers, the speaker-turn finder, the offset mapping or
the codebook loader gives a valid result whose offsets slice back to the text, or a casecode error; never another
exception. Inputs are kept small so 500 examples each run in seconds."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casecode.codebook import Codebook, codebook_from_dict, read_codebook
from casecode.corpus import paragraph_units, read_document, speaker_label_end
from casecode.corpus._plain import plain_blocks
from casecode.corpus._turns import build_segments, find_label
from casecode.errors import CasecodeError

SETTINGS = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FOLDER = Path(tempfile.mkdtemp(prefix="casecode-properties-"))

# Pieces transcripts are made of, so that generated text hits labels, front matter, headings and line endings.
PIECES = ["Jane Smith:", "JANE SMITH:", "Q:", "A:", "Interviewer:", "Jane Smith (Chief Executive):", "**Ana:**",
          "---", "case: Fenmoor", "case: [a, b]", "&a x", "*a", "# Heading", "## Partnerships", "\n", "\n\n", "\r\n",
          "\r", "\t", " ", ":", "We listen to staff.", "ring-fenced", "é", "\u00a0", "\x07", "\x0b", "\ufeff", "(",
          "1:", "Note:"]
TEXT = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=6)), max_size=16).map("".join)
CUES = ["WEBVTT\n\n", "00:00:01.000 --> 00:00:02.000\n", "00:00:01,000 --> 00:00:02,000\n", "1\n", "<v Jane>",
        "</v>", "Jane: ", "NOTE x\n", "\n", "\n\n", "We listen to staff.", "00:01.000 --> 00:02.000\n", "<i>", "&amp;"]
SUBTITLES = st.lists(st.one_of(st.sampled_from(CUES), st.text(max_size=6)), max_size=16).map("".join)


def _check_document(doc) -> None:
    """Offsets slice back to the text, units count from 1, and no control character survives."""
    assert doc.document_id
    last_end = 0
    for unit, seg in enumerate(doc.segments, start=1):
        assert seg.unit == unit
        assert 0 <= seg.start <= seg.end <= len(doc.text)
        assert seg.start >= last_end
        assert doc.text[seg.start:seg.end] == seg.text
        last_end = seg.end
    assert not any(ord(c) < 32 and c not in "\t\n" for c in doc.text)


def _read(data: bytes, suffix: str):
    path = FOLDER / f"input{suffix}"
    path.write_bytes(data)
    try:
        return read_document(path)
    except CasecodeError:
        return None


@SETTINGS
@given(TEXT, st.sampled_from(["utf-8", "utf-16", "cp1252"]), st.sampled_from([".txt", ".md"]))
def test_text_reader_gives_slicing_offsets_or_a_casecode_error(text, encoding, suffix):
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    doc = _read(data, suffix)
    if doc is not None:
        _check_document(doc)


@SETTINGS
@given(st.binary(max_size=200))
def test_text_reader_takes_any_bytes(data):
    doc = _read(data, ".txt")
    if doc is not None:
        _check_document(doc)


@SETTINGS
@given(SUBTITLES, st.sampled_from([".vtt", ".srt"]))
def test_subtitle_reader_gives_slicing_offsets_or_a_casecode_error(text, suffix):
    doc = _read(text.encode("utf-8"), suffix)
    if doc is not None:
        _check_document(doc)
        assert len(doc.metadata["timings"]) == len(doc.segments)


@SETTINGS
@given(TEXT)
def test_speaker_turn_finder_names_a_label_that_ends_with_its_colon(text):
    label = find_label(text)
    if label is not None:
        assert label.name.strip() and ":" not in label.name
        end = speaker_label_end(text, label.name)
        assert 0 <= end <= len(text)
        assert end == 0 or text[end - 1] == ":"


@SETTINGS
@given(TEXT, st.integers(min_value=0, max_value=30))
def test_offset_mapping_slices_back_to_the_text(text, start):
    text = text.replace("\r", "\n")
    start = min(start, len(text))
    spans = paragraph_units(text, start)
    previous = start
    for begin, end in spans:
        assert previous <= begin < end <= len(text)
        assert text[begin:end].strip() == text[begin:end]
        previous = end
    blocks = plain_blocks(text, start)
    segments, _ = build_segments("doc", text, blocks)
    for seg in segments:
        assert text[seg.start:seg.end] == seg.text and seg.segment_id == f"doc:{seg.unit}"


YAML_PIECES = ["name: book\n", "codes:\n", "- id: bold\n", "  label: Bold\n", "  patterns:\n", "  - pattern: x\n",
               "  - pattern: [{LOWER: x}]\n", "  - pattern: [{LOWER: {REGEX: '(['}}]\n", "  - pattern: [{OP: '{,}'}]\n",
               "  in_chart: maybe\n", "  color: '#12345G'\n", "- id: Bold\n", "&a ", "*a", "  id: bold\n", "[", "]",
               "{", "}", ": ", "- ", "\t", "'", '"', "~\n", "codes: []\n"]
YAML = st.lists(st.one_of(st.sampled_from(YAML_PIECES), st.text(max_size=4)), max_size=16).map("".join)


@SETTINGS
@given(YAML)
def test_codebook_loader_gives_a_codebook_or_a_casecode_error(text):
    path = FOLDER / "codebook.yaml"
    path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    try:
        book = read_codebook(path)
    except CasecodeError as exc:
        assert "\n" not in str(exc).strip()
        return
    assert isinstance(book, Codebook) and len(book) >= 1 and len(set(book.ids)) == len(book.ids)


JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                   max_size=3), max_leaves=6)
CODE = st.fixed_dictionaries({"id": st.sampled_from(["bold", "agile", "X", ""]), "label": st.text(max_size=5)},
                             optional={"patterns": st.lists(st.fixed_dictionaries({"pattern": JSONISH}), max_size=3),
                                       "in_chart": JSONISH, "color": st.text(max_size=8)})


@SETTINGS
@given(st.fixed_dictionaries({"name": JSONISH, "codes": st.lists(CODE, max_size=3)}) | JSONISH)
def test_codebook_validation_gives_a_codebook_or_a_casecode_error(raw):
    try:
        book = codebook_from_dict(raw, "generated.yaml")
    except CasecodeError as exc:
        assert str(exc).startswith("generated.yaml: ")
        return
    assert isinstance(book, Codebook) and len(book) >= 1


@pytest.fixture(scope="module", autouse=True)
def _cleanup():
    yield
    import shutil

    shutil.rmtree(FOLDER, ignore_errors=True)
