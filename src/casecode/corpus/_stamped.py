"""Transcripts whose speaker labels carry a time, as transcription services and typists write them.

Otter.ai and Microsoft Teams put the speaker and a time on a line of their own, the words below it ("Sarah Jones
0:03"); Rev writes "Speaker 1 (00:03):" the same way; Zoom's saved captions "[Sarah Jones] 10:02:33"; typists
"[00:01:23] Speaker 1: text", "00:01:23 Sarah Jones: text", "Speaker 1 (00:01:23): text" or "Speaker 1: [00:01:23]
text"; Teams' older Word and text exports a cue's timing ("0:0:3.52 --> 0:0:9.1"), the name on the next line
("Jones, Sarah", read as "Sarah Jones") and the words below, one speaker's consecutive cues joined into one turn as
a subtitle's are. Such a transcript is rewritten as the plain `Name: text` turns the rest of casecode reads, so its
turns, its interviewer and its codings are those of the same words written plainly; each turn's time is kept, as a
subtitle cue's is, and shown beside the unit in the review workbook and pages. A time after the label counts only in
brackets or parentheses ("Chair: 10:30 start" may be words), and only where it opens at least half of the document's
turns: a transcript with a time mark in a turn here and there keeps those marks in its words, as before.
"""

from __future__ import annotations

import re
from collections import Counter

from ._turns import Block, find_label

UNIT_SEPARATOR = "\n\n"

# Space between a label's parts: NBSP too, as a transcript copied from a web page has it.
_S = r"[ \t\u00a0]"
_TIME = r"(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
_NAME = r"[^\W\d_][^:\n\[\]()]{0,60}?"
# A time anywhere ("\d:\d\d", or a digit then "-->"), as `_has_time` looks for it: from each colon, found by the
# regex engine's scan for a literal, not by trying a digit at every character.
_COLON_TIME = re.compile(r":(?<=\d:)\d\d")
# A cue's timing on a line of its own, as Microsoft Teams' Word and text exports write it ("0:0:3.520 -->
# 0:0:7.450"), the speaker's name alone on the next line and the words below.
_CUE_TIME = r"(?:\d{1,2}:){1,2}\d{1,2}(?:[.,]\d{1,3})?"
_CUE_TIMING = re.compile(rf"(?P<t>{_CUE_TIME}){_S}*-->{_S}*{_CUE_TIME}")
# "Smith, John" as a company directory names people (Teams writes it so); read as "John Smith".
_WORD = r"[^\W\d_][\w'’.-]*"
_SURNAME_FIRST = re.compile(rf"(?P<last>{_WORD}),{_S}+(?P<first>{_WORD}(?:{_S}+{_WORD})?)")
_STAMP = rf"(?:\[(?P<b>{_TIME})\]|\((?P<p>{_TIME})\)|(?P<t>{_TIME}))"
# A line that only names the speaker and the time; the words follow on the next line or paragraph.
_HEADERS = [
    re.compile(rf"(?P<name>{_NAME}){_S}+{_STAMP}{_S}*:?"),  # Otter, Teams, Rev, "Name [00:00:03]"
    re.compile(rf"\[(?P<name>{_NAME})\]{_S}*{_STAMP}"),  # Zoom's saved captions
    re.compile(rf"{_STAMP}{_S}+(?P<name>{_NAME}){_S}*:?"),  # "00:01:23 Sarah Jones"
]
# A line that opens a turn with its words, the time before the label or inside it.
_INLINE = [
    re.compile(rf"{_STAMP}{_S}*[-–—]?{_S}*(?P<name>{_NAME}){_S}*:{_S}+(?P<text>\S.*)"),
    re.compile(rf"(?P<name>{_NAME}){_S}*(?:\[(?P<b2>{_TIME})\]|\((?P<p2>{_TIME})\)){_S}*:{_S}+(?P<text>\S.*)"),
]
# The time just after the label's colon, in brackets: "Name: [00:00:03]" (words below) and "Name: [00:00:03] text".
_AFTER = rf"(?P<name>{_NAME}){_S}*:{_S}*(?:\[(?P<b2>{_TIME})\]|\((?P<p2>{_TIME})\))"
_AFTER_HEADER = re.compile(_AFTER)
_AFTER_INLINE = re.compile(rf"{_AFTER}{_S}*[-–—]?{_S}*(?P<text>\S.*)")
_ANY_AFTER = re.compile(rf"^{_S}*{_AFTER}", re.M)


def _seconds(stamp: str) -> float:
    parts = [float(p) for p in stamp.replace(",", ".").split(":")]
    while len(parts) < 3:
        parts.insert(0, 0.0)
    hours, minutes, seconds = parts
    return hours * 3600 + minutes * 60 + seconds


def _speaker(match: re.Match) -> tuple[str, float] | None:
    """(name, seconds) of a header or inline match whose name reads as a speaker label."""
    name = " ".join(match.group("name").split())
    label = find_label(f"{name}: x")
    if label is None or label.name != name:
        return None
    groups = match.groupdict()
    stamp = next(groups[key] for key in ("b", "p", "t", "b2", "p2") if groups.get(key))
    return name, _seconds(stamp)


def _header(line: str, after: bool = False) -> tuple[str, float] | None:
    for pattern in _HEADERS + [_AFTER_HEADER] * after:
        match = pattern.fullmatch(line)
        if match:
            return _speaker(match)
    return None


def _inline(line: str, after: bool = False) -> tuple[str, float, str] | None:
    for pattern in _INLINE + [_AFTER_INLINE] * after:
        match = pattern.fullmatch(line)
        if match:
            found = _speaker(match)
            if found:
                return (*found, match.group("text").rstrip())
    return None


def _bare_name(line: str) -> str | None:
    """The speaker a line names when it is only a name ("Sarah Jones", "Speaker 2", "Jones, Sarah"), else None."""
    flipped = _SURNAME_FIRST.fullmatch(line)
    name = f"{flipped.group('first')} {flipped.group('last')}" if flipped else line
    label = find_label(f"{name}: x")
    return " ".join(name.split()) if label is not None and (label.name == name or label.role) else None


def _cue_headers(text: str, blocks: list[Block]) -> dict[tuple[int, int], tuple[str, float] | None]:
    """{(block, line): None} for each cue timing line followed by a line that is only a speaker's name, and
    {(block, line): (name, seconds)} for that name's line; the next line may be the next paragraph's first."""
    lines = [(b, i, raw.strip()) for b, block in enumerate(blocks)
             if block.kind == "paragraph" and block.speaker is None
             for i, raw in enumerate(text[block.start:block.end].split("\n"))]
    found: dict[tuple[int, int], tuple[str, float] | None] = {}
    for k, (b, i, line) in enumerate(lines[:-1]):
        timing = _CUE_TIMING.fullmatch(line) if "-->" in line else None
        name = _bare_name(lines[k + 1][2]) if timing else None
        if name:
            found[(b, i)] = None
            found[lines[k + 1][:2]] = (name, _seconds(timing.group("t")))
    return found


def _has_time(text: str) -> bool:
    """Whether `text` holds a time: a digit, a colon and two digits ("0:03"), or a digit before a cue's "-->"
    (spaces between); the regex `\\d:\\d\\d|\\d[ \\t\\u00a0]*-->`, several times faster on a transcript's many
    characters."""
    if _COLON_TIME.search(text):
        return True
    arrow = text.find("-->")
    while arrow >= 0:
        j = arrow
        while j > 0 and text[j - 1] in " \t\u00a0":
            j -= 1
        if j > 0 and text[j - 1].isdecimal():  # str.isdecimal is the regex's \d
            return True
        arrow = text.find("-->", arrow + 3)
    return False


def restamp(text: str, blocks: list[Block]) -> tuple[str, list[Block], dict[int, tuple[float, float]]] | None:
    """The transcript rewritten with plain `Name: text` turns, its blocks, and {offset of a turn that opened with a
    time: (start, end) seconds}; None when `text` is not such a transcript (fewer than two timed labels, or no
    speaker named twice), which leaves ordinary documents exactly as they were read."""
    if not blocks or not _has_time(text):
        return None
    after = _ANY_AFTER.search(text) is not None and _stamped_after_label(text, blocks)
    cues = _cue_headers(text, blocks) if "-->" in text else {}
    units: list[tuple[str, list[str], list[tuple[int, float]]]] = []  # kind, lines, (line index, seconds)
    pending: tuple[str, float, bool] | None = None  # name, seconds, whether a cue's
    names: Counter = Counter()
    cue_speaker = None  # the speaker of the last cue: their next cue goes on in the same turn, as in subtitles
    for b, block in enumerate(blocks):
        if block.kind not in ("paragraph",) or block.speaker is not None:
            units.append((block.kind, [text[block.start:block.end]], []))
            pending = cue_speaker = None
            continue
        lines: list[str] = []
        times: list[tuple[int, float]] = []
        for i, raw in enumerate(text[block.start:block.end].split("\n")):
            line = raw.strip()
            cue = (b, i) in cues
            header = cues[(b, i)] if cue else _header(line, after)
            if cue or header:
                if header:  # a speaker with no words before the next label is dropped with their time
                    pending = (*header, cue)
                    names[header[0]] += 1
                continue
            inline = _inline(line, after)
            if inline:
                name, seconds, words = inline
                names[name] += 1
                times.append((len(lines), seconds))
                lines.append(f"{name}: {words}")
                pending = cue_speaker = None
            elif pending is not None and line and pending[2] and pending[0] == cue_speaker:
                if lines:
                    lines[-1] += f" {line}"
                else:
                    units[-1][1][-1] += f" {line}"
                pending = None
            elif pending is not None and line:
                times.append((len(lines), pending[1]))
                lines.append(f"{pending[0]}: {line}")
                cue_speaker = pending[0] if pending[2] else None
                pending = None
            else:
                lines.append(raw)
        if lines:
            units.append((block.kind, lines, times))
    stamped = sum(len(times) for _, _, times in units)
    if stamped < 2 or not any(n > 1 for n in names.values()):
        return None
    return _rebuilt(text[:blocks[0].start], units, "\n" if text.endswith("\n") else "")


def _stamped_after_label(text: str, blocks: list[Block]) -> bool:
    """True when a time just after the label opens at least half of the lines that open with a speaker label: the
    way the transcript is written, not a time mark in a turn here and there."""
    stamped = labelled = 0
    for block in blocks:
        if block.kind != "paragraph" or block.speaker is not None:
            continue
        for raw in text[block.start:block.end].split("\n"):
            line = raw.strip()
            if _AFTER_HEADER.match(line) and (_header(line, True) or _inline(line, True)):
                stamped += 1
                labelled += 1
            elif find_label(line) or _header(line) or _inline(line):
                labelled += 1
    return stamped >= 2 and 2 * stamped >= labelled


def _rebuilt(prefix: str, units, suffix: str) -> tuple[str, list[Block], dict[int, tuple[float, float]]]:
    parts, blocks, starts = [], [], []
    pos = len(prefix)
    for kind, lines, times in units:
        if parts:
            pos += len(UNIT_SEPARATOR)
        unit = "\n".join(lines)
        offsets = [0]
        for line in lines[:-1]:
            offsets.append(offsets[-1] + len(line) + 1)
        starts += [(pos + offsets[i], seconds) for i, seconds in times]
        parts.append(unit)
        blocks.append(Block(pos, pos + len(unit), kind))
        pos += len(unit)
    timings = {}
    for (offset, seconds), following in zip(starts, starts[1:] + [None]):
        timings[offset] = (seconds, max(seconds, following[1]) if following else seconds)
    return prefix + UNIT_SEPARATOR.join(parts) + suffix, blocks, timings
