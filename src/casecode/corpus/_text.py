"""Turning a file's bytes into clean text: encoding, line endings and YAML front matter.

Researchers' files come from Word, Notepad, old Macs and transcription services; we accept the encodings they
produce and say so when we had to guess, rather than read mojibake silently.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml

from .._yaml import load_yaml
from ..errors import CorpusError

_BOMS = [
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]
# C0 controls except tab and newline (carriage returns are gone by then), and DEL: no transcript means them.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.S)
#: How files that are not text begin: (bytes, what the file is, how to make a transcript of it). A file saved by a
#: word processor and given a text file's name; an RTF file has no NUL byte to give it away, so its markup would be
#: coded as words.
_NOT_TEXT = (
    (b"{\\rtf", "an RTF (rich text) file", "save it as plain text (.txt) or as a Word document (.docx)"),
    (b"%PDF-", "a PDF file", "save its text as a .txt file, or the document as .docx"),
    (b"PK\x03\x04", "a zip archive (a Word .docx or another office file?)",
     "give a Word file its .docx name, or save the document as plain text (.txt)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office file (a Word .doc?)",
     "open it in Word and save it as .docx or plain text (.txt)"),
)


def _cp1252_or_latin1(error: UnicodeDecodeError) -> tuple[str, int]:
    # Windows-1252 leaves five bytes (0x81, 0x8D, ...) undefined; read them as Latin-1, as browsers do.
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("casecode.cp1252", _cp1252_or_latin1)


#: What an empty transcript is told.
EMPTY = "the file is empty; put the document's text in it or leave it out"


def decode_bytes(data: bytes, name: str, empty: str = EMPTY) -> tuple[str, str, list[str]]:
    """Decode a text file's bytes; return (text with \\n line endings and no BOM, encoding, warnings). A file with
    no text is refused with `empty` (what is wrong and the fix)."""
    if not data.strip():
        raise CorpusError(f"{name}: {empty}")
    warnings: list[str] = []
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = _decode_strict(data, encoding, name).lstrip("\ufeff")
            break
    else:
        for start, what, fix in _NOT_TEXT:
            if data.startswith(start):
                fix = "save it as CSV (in Excel: Save As, CSV UTF-8)" if name.lower().endswith(".csv") else fix
                raise CorpusError(f"{name}: {what}, not text; {fix}")
        if b"\x00" in data:
            raise CorpusError(
                f"{name}: contains NUL bytes but no UTF-16 byte-order mark, so it is binary or UTF-16 without a BOM;"
                " save it as UTF-8 text"
            )
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError as exc:
            text, encoding = data.decode("cp1252", errors="casecode.cp1252"), "windows-1252"
            warnings.append(f"{name}: not UTF-8; read as Windows-1252 — save it as UTF-8 to silence this")
            warnings += _mixed(data, exc.start, name)
    if "\x00" in text:
        raise CorpusError(f"{name}: contains NUL characters after decoding as {encoding}; save it as UTF-8 text")
    if not text.strip():
        raise CorpusError(f"{name}: {empty}")
    text, cleaned = clean_controls(normalise_newlines(text), name)
    return text, encoding, warnings + cleaned


_UTF8_CHAR_RE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]{1,3}")


def _mixed(data: bytes, bad: int, name: str) -> list[str]:
    """A warning when a file read as Windows-1252 also holds UTF-8 characters (pieces saved in two encodings
    joined into one): those read garbled, so name both places."""
    for match in _UTF8_CHAR_RE.finditer(data):
        try:
            char = match.group().decode("utf-8")
        except UnicodeDecodeError:
            continue
        line, first = data.count(b"\n", 0, match.start()) + 1, data.count(b"\n", 0, bad) + 1
        garbled = match.group().decode("cp1252", errors="replace")
        return [f"{name}: line {first}: byte 0x{data[bad]:02X} is not UTF-8, but line {line} holds UTF-8 ({char!r}, "
                f"read as {garbled!r}): the file mixes two encodings; fix line {first} and save the file as UTF-8"]
    return []


def clean_controls(text: str, name: str) -> tuple[str, list[str]]:
    """Replace control characters (other than tab and newline) one for one, so offsets stay put: a vertical tab
    (Word's line break) becomes a newline, any other a space. Returns the text and a warning naming the line."""
    first = _CONTROL_RE.search(text)
    if first is None:
        return text, []
    count = len(_CONTROL_RE.findall(text))
    line = text.count("\n", 0, first.start()) + 1
    text = _CONTROL_RE.sub(lambda m: "\n" if m.group() == "\x0b" else " ", text)
    more = f" (and {count - 1} more)" if count > 1 else ""
    return text, [f"{name}: line {line}: control character U+{ord(first.group()):04X}{more} replaced by "
                  f"{'a newline' if first.group() == chr(11) else 'a space'}; remove it from the file to silence this"]


def _decode_strict(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"{name}: starts with a {encoding} byte-order mark but byte {exc.start} is not valid {encoding};"
            " re-save the file as UTF-8"
        ) from None


def normalise_newlines(text: str) -> str:
    """Windows (\\r\\n) and old Mac (\\r) line endings become \\n."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


#: The largest transcript file casecode reads (bytes); a larger one is refused before it is read.
MAX_FILE_BYTES = 20_000_000


def check_size(path: Path) -> None:
    """Refuse a file over MAX_FILE_BYTES before reading it."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise CorpusError(f"{path}: {size:,} bytes is over casecode's limit of {MAX_FILE_BYTES:,} bytes for one "
                          f"transcript; split the file into parts")


def read_text_file(path: Path, empty: str = EMPTY) -> tuple[str, str, list[str]]:
    """Read and decode a text file (at most MAX_FILE_BYTES): (text, encoding, warnings); `empty` as for
    `decode_bytes`."""
    check_size(path)
    return decode_bytes(path.read_bytes(), str(path), empty)


def split_front_matter(text: str, name: str) -> tuple[dict[str, Any], int]:
    """Parse a leading `---` YAML block; return (metadata, offset where the body starts).

    A file without front matter gives ({}, 0). An opening `---` that is never closed is ordinary text (a
    markdown rule), not front matter.
    """
    match = _FRONT_MATTER_RE.match(text)
    if not match:
        return {}, 0
    simple = _simple_front_matter(match.group(1) or "")
    if simple is not None:
        return simple, match.end()
    try:
        data = load_yaml(match.group(1) or "")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 2  # the YAML starts on the file's second line
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise CorpusError(
            f"{name}: line {line}: front matter is not valid YAML ({problem}); fix the block between the '---' lines"
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise CorpusError(
            f"{name}: line 2: front matter is a {type(data).__name__}, not 'key: value' lines such as 'case: anytown'"
        )
    return {str(key).strip(): _plain_value(value) for key, value in data.items()}, match.end()


# Front matter as transcripts usually have it: "key: value" lines whose values YAML reads as text, true or false,
# or a date. `_simple_front_matter` reads those without the YAML parser (about a tenth of the time of reading a
# transcript), anything else goes to YAML.
_SIMPLE_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):[ ]+(.*?)[ ]*")
_SIMPLE_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9 ,.'()&/;-]*")  # starts with a letter: no YAML number or date
_SIMPLE_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)")
_YAML_BOOLS = {word: value for value, words in ((True, "yes Yes YES true True TRUE on On ON"),
                                                (False, "no No NO false False FALSE off Off OFF"))
               for word in words.split()}
_YAML_NULLS = {"null", "Null", "NULL"}


def _simple_front_matter(block: str) -> dict[str, Any] | None:
    """`split_front_matter`'s metadata of a front matter block made only of "key: value" lines whose values are
    plain text (starting with a letter), a YAML true/false word or a YYYY-MM-DD date, read as YAML reads them (a
    date as its ISO text, as `_plain_value` gives it); None for any other block."""
    data: dict[str, Any] = {}
    for line in block.split("\n")[:-1] if block.endswith("\n") else block.split("\n"):
        found = _SIMPLE_LINE.fullmatch(line)
        if found is None:
            return None
        key, value = found.groups()
        if key in _YAML_BOOLS or key in _YAML_NULLS:
            return None
        if value in _YAML_BOOLS:
            data[key] = _YAML_BOOLS[value]
        elif _SIMPLE_TEXT.fullmatch(value) and value not in _YAML_NULLS:
            data[key] = value
        elif _SIMPLE_DATE.fullmatch(value):
            try:
                data[key] = dt.date(*map(int, value.split("-"))).isoformat()
            except ValueError:  # not a date: YAML's own error
                return None
        else:
            return None
    return data


def _plain_value(value: Any) -> Any:
    # YAML turns 2015-06-01 into a date; keep metadata as the strings a manifest would give.
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value
