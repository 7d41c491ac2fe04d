"""WebVTT (.vtt) and SubRip (.srt) transcripts: cues with timings and speakers.

A speaker comes from a VTT voice tag (`<v Jane Smith>`), else a `Name: text` label, else the previous cue's
speaker. Consecutive cues of one speaker merge into one unit; cues with no speaker stay one unit each. Within a
unit, cue lines and cues are joined with single spaces (subtitle line breaks are layout, and a newline would cut
a phrase in two for the coders); units are joined with blank lines. Tags and HTML entities are removed.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from ..errors import CorpusError
from ._turns import Block, find_label

UNIT_SEPARATOR = "\n\n"
EXPECTED_TIMING = "00:01:02.500 --> 00:01:05.000"  # a .vtt file's; an .srt file's has commas (see _expected)

_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})[.,](\d{1,3})"
_TIMING_RE = re.compile(rf"{_TIME}\s*-->\s*{_TIME}(?:\s+.*)?")  # VTT cue settings may follow the end time
_TIMING_LIKE_RE = re.compile(r"\d+:\d")
_VOICE_RE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]+)>")
_TAG_RE = re.compile(r"<[^>]*>|\{\\[^}]*\}")  # HTML-like cue tags and SRT {\an8} positioning codes
_VTT_BLOCKS = ("NOTE", "STYLE", "REGION")


@dataclass
class _Cue:
    start: float
    end: float
    lines: list[str] = field(default_factory=list)


@dataclass
class _Part:
    """A speaker's stretch of text: one cue, a voice within a cue, or merged cues."""

    speaker: str
    role: str
    text: str
    start: float
    end: float


# A speaker as captions write one: "[Sarah Jones] text" (counted only where one name is written so twice and is no
# sound: "[Laughter]"), and "- Sarah: text" (a dialogue dash before a label, two speakers in one cue).
_BRACKET_RE = re.compile(r"\[(?P<name>[^\[\]\n]{1,60})\][ \t]*(?=\S)")
_DIALOGUE_RE = re.compile(r"[-–—][ \t]*(?=\S)")
_SOUNDS = set("""laughter laughs laughing laugh music applause inaudible crosstalk cross talk silence pause noise coughs
    cough coughing sighs sigh unintelligible indistinct chuckles chuckling chuckle foreign background overlapping
    cheering cheers clapping phone ringing beep beeps static groans murmurs murmuring singing speaking speaks
    silent sound sounds blank break end start intro outro theme song playing plays continues unclear interruption
    interrupts overtalk audio video off mic""".split())


def read_subtitles(raw: str, name: str, vtt: bool) -> tuple[str, list[Block], list[tuple[float, float]]]:
    """(text, blocks, (start, end) seconds of each block) of a decoded .vtt or .srt file."""
    cues = _cues(raw, name, vtt)
    parts = _merged(_speakers(cues, _bracket_names(cues)))
    blocks, pos = [], 0
    for part in parts:
        blocks.append(Block(pos, pos + len(part.text), "cue", part.speaker, part.role))
        pos += len(part.text) + len(UNIT_SEPARATOR)
    return UNIT_SEPARATOR.join(part.text for part in parts), blocks, [(part.start, part.end) for part in parts]


def _cues(raw: str, name: str, vtt: bool) -> list[_Cue]:
    """Parse cues line by line, tolerating missing and extra blank lines and cue ids."""
    lines = raw.split("\n")
    cues: list[_Cue] = []
    in_cue = False
    i = _skip_block(lines, 0) if vtt and lines[0].lstrip("\ufeff").startswith("WEBVTT") else 0
    while i < len(lines):
        line = lines[i].strip()
        if not line:
            in_cue = False
        elif not in_cue and vtt and line.split()[0] in _VTT_BLOCKS:
            i = _skip_block(lines, i)
            continue
        elif "-->" in line or (not in_cue and _is_timing_like(line)):
            cues.append(_Cue(*_timing(line, name, i + 1, vtt)))
            in_cue = True
        elif _is_cue_id(lines, i, in_cue):
            pass
        elif not vtt and not in_cue and line == str(len(cues) + 1) and i + 1 < len(lines) and lines[i + 1].strip():
            # SubRip's next counter with no timing under it: its words would join the cue before, and its speaker's
            raise CorpusError(f"{name}: line {i + 2}: cue {line} has {lines[i + 1].strip()!r} where its timing "
                              f"belongs; write it as {_expected(vtt)}")
        elif cues:
            cues[-1].lines.append(line)  # also text after a stray blank line inside a cue
            in_cue = True
        else:
            raise CorpusError(
                f"{name}: line {i + 1}: text {line!r} comes before any cue; each cue needs a timing line such as"
                f" {_expected(vtt)}"
            )
        i += 1
    if not cues:
        raise CorpusError(f"{name}: no cues found; each cue needs a timing line such as {_expected(vtt)}")
    return cues


def _skip_block(lines: list[str], i: int) -> int:
    while i < len(lines) and lines[i].strip():
        i += 1
    return i


def _is_cue_id(lines: list[str], i: int, in_cue: bool) -> bool:
    """A cue id is the line just before a timing: any text in VTT, only a number (SRT's counter) inside a cue,
    where it means the blank line before it is missing. Between cues a counter may also stand apart from its
    timing by stray blank lines."""
    line = lines[i].strip()
    if in_cue and not line.isdigit():
        return False
    following = i + 1
    if line.isdigit() and not in_cue:
        while following < len(lines) and not lines[following].strip():
            following += 1
    return following < len(lines) and _is_timing_like(lines[following].strip())


def _is_timing_like(line: str) -> bool:
    return "-->" in line or bool(_TIMING_LIKE_RE.match(line))


def _expected(vtt: bool) -> str:
    """A timing line as the format writes it: SubRip (.srt) puts a comma before the milliseconds."""
    return EXPECTED_TIMING if vtt else EXPECTED_TIMING.replace(".", ",")


def _timing(line: str, name: str, lineno: int, vtt: bool) -> tuple[float, float]:
    match = _TIMING_RE.fullmatch(line)
    if not match:
        raise CorpusError(f"{name}: line {lineno}: bad timing {line!r}; write it as {_expected(vtt)}")
    groups = match.groups()
    start, end = _seconds(groups[:4]), _seconds(groups[4:])
    if end <= start:
        begins, ends = line[:line.index("-->")].strip(), line[line.index("-->") + 3:match.end(8)].strip()
        raise CorpusError(
            f"{name}: line {lineno}: the cue ends at {ends}, {'when' if end == start else 'before'} it starts at"
            f" {begins}; write an end time after the start time, as in {_expected(vtt)}"
        )
    return start, end


def _seconds(parts) -> float:
    hours, minutes, seconds, fraction = parts
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(fraction.ljust(3, "0")) / 1000


def _bracket_names(cues: list[_Cue]) -> set[str]:
    """The names written "[Name] text" at the start of a cue line at least twice, sounds left out."""
    from collections import Counter

    from ._turns import speaker_label

    seen = Counter(match.group("name").strip() for cue in cues for line in cue.lines
                   for match in [_BRACKET_RE.match(_TAG_RE.sub("", line).strip())] if match)
    return {raw for raw, n in seen.items()
            if n > 1 and speaker_label(raw) is not None and speaker_label(raw).name == raw
            and not any(word.strip(".,'’").lower() in _SOUNDS for word in raw.split())}


def _line_speaker(text: str, brackets: set[str]) -> tuple[str, object] | None:
    """(text without a dialogue dash, label) for a cue line that opens a speaker's words: "- Name: ...", or
    "[Name] ..." with a name of `brackets`; None for any other line."""
    bracket = _BRACKET_RE.match(text)
    if bracket and bracket.group("name").strip() in brackets:
        from ._turns import Label

        return text, Label(bracket.group("name").strip())
    dash = _DIALOGUE_RE.match(text)
    label = find_label(text[dash.end():]) if dash else None
    return (text[dash.end():], label) if label else None


def _speakers(cues: list[_Cue], brackets: set[str] = frozenset()) -> list[_Part]:
    """One part per cue, or per voice when a cue holds several `<v>` voices or speakers' lines ("- Name: ...",
    "[Name] ..."), with its speaker."""
    parts: list[_Part] = []
    current = ""
    for cue in cues:
        for voice, text in _voices(cue.lines, brackets):
            part = _Part(voice or "", "", text, cue.start, cue.end)
            label = None
            if voice is None:
                opened = _line_speaker(text, brackets)
                label = opened[1] if opened else find_label(text)
                part.text = opened[0] if opened else text
            if label:
                part.speaker, part.role = label.name, label.role
            elif voice is None:
                part.speaker = current  # no tag and no label: the previous speaker goes on
            current = part.speaker
            parts.append(part)
    return parts


def _voices(lines: list[str], brackets: set[str] = frozenset()) -> list[tuple[str | None, str]]:
    """Group a cue's lines by voice tag, or by a line that opens a speaker's words (`_line_speaker`): (voice or
    None, text without tags)."""
    groups: list[tuple[str | None, list[str]]] = []
    for line in lines:
        voice = _VOICE_RE.match(line)
        text = " ".join(html.unescape(_TAG_RE.sub("", line)).split())
        if voice or not groups or groups[-1][1] and _line_speaker(text, brackets):
            groups.append((voice.group(1).strip() if voice else None, []))
        if text:
            groups[-1][1].append(text)
    return [(voice, " ".join(texts)) for voice, texts in groups if texts]


def _merged(parts: list[_Part]) -> list[_Part]:
    """Merge consecutive parts of the same (non-empty) speaker."""
    merged: list[_Part] = []
    for part in parts:
        if merged and part.speaker and merged[-1].speaker == part.speaker:
            merged[-1].text += " " + part.text
            merged[-1].end = part.end
        else:
            merged.append(part)
    return merged
