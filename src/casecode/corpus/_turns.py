"""Paragraph units and speaker turns, shared by every reader.

A reader turns its file into one text plus a list of `Block`s (offsets into that text); `build_segments` numbers
them, finds speaker labels, carries a speaker over continuation paragraphs and decides roles. Readers never split
paragraphs or detect speakers themselves.

Speaker labels: the segment's `speaker` is the name only ("Jane Smith"); a role written beside it, as in
"Jane Smith (Chief Executive): ...", goes to `Document.metadata["speaker_roles"]`, so every turn of one person
groups under one speaker whether or not the role was repeated. The label stays part of the segment text.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from ._model import Segment

#: Labels that mean "the interviewer" whatever the interview's names (compared case-insensitively).
INTERVIEWER_LABELS = {"interviewer", "int", "i", "q", "question", "facilitator", "moderator", "researcher"}
_FIXED_LABELS = INTERVIEWER_LABELS | {"a", "r", "answer", "respondent", "interviewee", "participant"}
# Words that open prose or notes with a colon ("Note: ...", "Next Steps: ..."); a label containing one of them is
# not a speaker.
_NOT_NAMES = set(
    """note notes nb n.b ps p.s example examples e.g eg i.e ie summary source sources update edit warning caution tip
    important re subject date time location venue title agenda action actions outcome outcomes result results
    conclusion conclusions background context purpose aim aims objective objectives definition see also total key
    step steps next quote reference references ref tel email e-mail phone fax web website url address attendees
    present apologies minutes item items recommendation recommendations chapter section part page figure table
    appendix however therefore thus so but and yes no first second third finally overall issue issues finding
    findings point points name timestamp in on at for when after before as this that these those it we our my to
    from with if then there here what why how where who which""".split()
)
_NAME_PARTICLES = {"de", "da", "di", "du", "del", "der", "den", "van", "von", "la", "le", "bin", "ibn", "al", "y"}
_MAX_LABEL_WORDS = 6
_MAX_LABEL_CHARS = 60

# `**Name:** text`, `**Name**: text`, or `Name (Role): text`; the colon must be followed by whitespace or the end,
# or a letter (a typist's "Name:Text"), which keeps out times (10:30) and URLs (https://). A role in brackets may
# hold a colon ("(Leader: Labour)").
_BOLD_LABEL_RE = re.compile(r"\*\*(?P<label>[^*\n]{1,80}?)\s*(?::\s*\*\*|\*\*\s*:)(?=\s|$)")
_PLAIN_LABEL_RE = re.compile(r"(?P<label>[^\W\d_](?:[^:\n(]|\([^()\n]{0,60}\)){0,80}?)\s*:(?=\s|$|[^\W\d_])")
_ROLE_COLON_RE = re.compile(r"[^:\n(]*\([^()\n]{0,60}\)\s*:")
# "Q. text" / "A. text", as legal and press transcripts write them; counted only in a document with two of each.
_DOTTED_LABEL_RE = re.compile(r"(?P<label>[QA]\d*)\.[ \t]+(?=\S)")
# "Name<TAB>text", as Word's "Save as plain text" leaves a typist's bold name; counted only where a name comes twice.
_TABBED_LABEL_RE = re.compile(r"(?P<label>[^\W\d_][^\t\n:]{0,60}?) *\t+(?=\S)")
# "**Name** text" with no colon, as a Word transcript's bold names come out converted to markdown (pandoc).
_BOLD_NAME_RE = re.compile(r"\*\*(?P<label>[^\W\d_][^*\n:]{0,60}?)\*\*(?=\s|$)")
# "NAME - text" (a spaced hyphen or dash after the name), as some typists write turns; counted as the tabbed labels.
_DASHED_LABEL_RE = re.compile(r"(?P<label>[^\W\d_][^\n:]{0,60}?)[ \t]+[-–—][ \t]+(?=\S)")
# A transcription service's line at the end of its export ("Transcribed by https://otter.ai"): no one's words.
_SERVICE_LINE_RE = re.compile(
    r"(?i)[\W_]*(?:automatically[ \t]+)?transcribed[ \t]+(?:by|with|using)[ \t]+(?:https?://)?(?:www\.)?"
    r"(?:otter|rev|sonix|trint|descript|temi|happy[ \t]*scribe|notta|fireflies|tactiq|[\w-]+\.(?:ai|com|io|app))"
    r"(?:\.ai|\.com)?(?:/\S*)?[\W_]*"
)
_ROLE_RE = re.compile(r"(?P<name>[^()]+?)\s*\((?P<role>[^()]{1,60})\)")
_HEADING_MARKS_RE = re.compile(r"^#{1,6}\s+|\s+#+\s*$")
# A speaker with none of the marks speaker_label_end's other forms look for (dots, brackets, dashes, colons).
_PLAIN_NAME_RE = re.compile(r"[^\W_](?:[\w ]{0,100}\w)?")
_LIST_MARK_RE = re.compile(r"[ \t]*[-*+•–][ \t]+")  # a list item's mark: "- ", "* ", "• "


@dataclass
class Block:
    """A stretch of a document's text that becomes one unit (before speaker lines are split off).

    `kind` is paragraph, heading, row or cue. `speaker` is None when the reader does not know it (the text is
    searched for a label); a string, even "", when it does (a subtitle cue's voice), with `role` the role written
    beside the name.
    """

    start: int
    end: int
    kind: str = "paragraph"
    speaker: str | None = None
    role: str = ""


@dataclass(frozen=True)
class Label:
    """A speaker label found at the start of a paragraph or line."""

    name: str
    role: str = ""
    strong: bool = True  # False for a lone capitalised word ("Housing:"), which needs support to count
    dotted: bool = False  # "Q. ..." / "A. ...": counts only where two of each are written so
    tabbed: bool = False  # "Name<TAB>..." or the name on a line of its own: counts only where a name comes twice so


def paragraph_units(text: str, start_offset: int = 0) -> list[tuple[int, int]]:
    """(start, end) of each block of `text[start_offset:]` separated by blank lines, trimmed of whitespace."""
    spans: list[tuple[int, int]] = []
    block_start = None
    pos = start_offset
    for line in text[start_offset:].split("\n"):
        if line.strip():
            if block_start is None:
                block_start = pos + len(line) - len(line.lstrip())
            block_end = pos + len(line.rstrip())
        elif block_start is not None:
            spans.append((block_start, block_end))
            block_start = None
        pos += len(line) + 1
    if block_start is not None:
        spans.append((block_start, block_end))
    return spans


def heading_text(text: str) -> str:
    """A markdown heading without its `#` marks."""
    return _HEADING_MARKS_RE.sub("", text).strip()


def find_label(text: str, loose: bool = False) -> Label | None:
    """The speaker label at the start of `text`, if it has one. Bold (`**Name:**`) marks a label but does not
    excuse it from the checks: a bold lead-in such as "**Key issues:**" is not a speaker. With `loose`, "Q. ",
    "A. ", "Name<TAB>" and "**Name**" are labels too (`_label_filter` keeps them only where the document writes
    them so)."""
    match = _BOLD_LABEL_RE.match(text) or _PLAIN_LABEL_RE.match(text)
    if match is None and loose:
        match = _DOTTED_LABEL_RE.match(text)
        if match:
            return Label(match.group("label"), strong=False, dotted=True)
        match = _TABBED_LABEL_RE.match(text) or _BOLD_NAME_RE.match(text)
        label = speaker_label(match.group("label")) if match else _dashed_label(text)
        return Label(label.name, label.role, label.strong, tabbed=True) if label else None
    label = speaker_label(match.group("label")) if match else None
    if label is None and match is not None and loose:  # "SARAH JONES - we said: yes" (a colon later on)
        label = _dashed_label(text)
        return Label(label.name, label.role, label.strong, tabbed=True) if label else None
    return label


def _dashed_label(text: str) -> Label | None:
    match = _DASHED_LABEL_RE.match(text)
    return speaker_label(match.group("label")) if match else None


@lru_cache(maxsize=4096)  # a transcript names its few speakers again and again; a Label is frozen
def speaker_label(raw: str) -> Label | None:
    """The speaker `raw` names ("Jo Bloggs (Interviewer)", "Speaker 2"), or None when it reads as no name."""
    raw = " ".join(raw.split())
    with_role = _ROLE_RE.fullmatch(raw)
    name, role = (with_role.group("name"), with_role.group("role").strip()) if with_role else (raw, "")
    words = name.split()
    if not words or len(words) > _MAX_LABEL_WORDS or len(name) > _MAX_LABEL_CHARS or "(" in name or ")" in name:
        return None
    if any(w.strip(".,'’").lower() in _NOT_NAMES for w in words):
        return None
    fixed = name.lower() in _FIXED_LABELS or _is_numbered_label(name)
    # Speech-recognition output writes "speaker 1:" or "interviewer:" in lower case; those fixed labels count.
    if not fixed and not all(_is_name_word(w, i == 0, i == len(words) - 1) for i, w in enumerate(words)):
        return None
    weak = len(words) == 1 and not role and not fixed and not name.isupper()
    return Label(name, role, strong=not weak)


def _is_name_word(word: str, first: bool, last: bool) -> bool:
    if not first and ((word.isdigit() and last) or word.lower() in _NAME_PARTICLES):
        return True  # "Speaker 2", "Ludwig van Beethoven"
    head = word[0]
    return head.isalpha() and not head.islower() and all(c.isalnum() or c in ".-'’" for c in word)


def _is_numbered_label(name: str) -> bool:
    return re.fullmatch(r"(?i)(q|a|r|p|interviewer|respondent|participant|speaker)\s*\d+", name) is not None


def is_interviewer(speaker: str, interviewer_names: Iterable[str] = ()) -> bool:
    """True for Interviewer/INT/I/Q/Q1 labels and for names listed as the interview's interviewers, also when the
    label is only the first name or the surname of one of them ("OWEN:" or "TRANTER:" for "Owen Tranter")."""
    key = _name_key(speaker)
    if key in INTERVIEWER_LABELS or re.fullmatch(r"(q|i|int|interviewer|facilitator|moderator|researcher)\s*\d*", key):
        return True
    names = [_name_key(n) for n in interviewer_names]
    return key in names or (" " not in key and any(key in (n.split()[0], n.split()[-1]) for n in names if " " in n))


@lru_cache(maxsize=4096)  # called for every turn's label; a transcript has few speakers
def _name_key(name: str) -> str:
    """A name as compared: lower case, without full stops, "Jones, Sarah" (as Teams names people) as "sarah jones"."""
    key = " ".join(name.replace(".", " ").lower().split())
    last, comma, first = key.partition(",")
    return f"{first.strip()} {last.strip()}" if comma and first.strip() and "," not in first else key


def build_segments(
    document_id: str,
    text: str,
    blocks: list[Block],
    interviewer_names: Iterable[str] = (),
    cases: tuple[str, ...] = (),
) -> tuple[list[Segment], dict[str, str]]:
    """Number the blocks as units and attribute speakers; return (segments, {speaker: role written beside it})."""
    speaker_roles: dict[str, str] = {}
    spellings: dict[str, str] = {}  # "JANE SMITH" and "Jane Smith" are one speaker, named as first written
    segments: list[Segment] = []
    heading, current = "", ""
    for unit, (block, label) in enumerate(_turn_blocks(text, blocks), start=1):
        seg_text = text[block.start : block.end]
        seg = Segment(f"{document_id}:{unit}", document_id, unit, block.start, block.end, seg_text, cases=cases)
        if block.kind == "heading":
            seg.kind, seg.codable = "heading", False
            heading, current = heading_text(seg_text), ""  # a new section does not continue the last speaker
            seg.heading = heading
            segments.append(seg)
            continue
        if label is None and block.speaker is None and _SERVICE_LINE_RE.fullmatch(seg_text):
            seg.kind, seg.codable, seg.heading = "note", False, heading  # "Transcribed by https://otter.ai"
            current = ""
            segments.append(seg)
            continue
        if label:
            seg.speaker = spellings.setdefault(_name_key(label.name), label.name)
            if label.role:
                speaker_roles.setdefault(seg.speaker, label.role)
        elif block.speaker is None and block.kind != "row":
            seg.speaker = current  # a continuation paragraph keeps the previous speaker; a table row does not
        current = seg.speaker
        seg.kind = "turn" if seg.speaker else block.kind
        seg.heading = heading
        segments.append(seg)
    _assign_roles(segments, list(interviewer_names))
    return segments, speaker_roles


def _turn_blocks(text: str, blocks: list[Block]) -> list[tuple[Block, Label | None]]:
    """Each block with the label opening it; a block whose lines each open with a label ("Q: ...\\nA: ...") is
    split into one block per turn. Blocks that do not start with a label stay whole, so wrapped prose is safe."""
    found = [_line_labels(text, block) for block in blocks]
    accept = _label_filter([label for labels in found for _, label in labels])
    result: list[tuple[Block, Label | None]] = []
    for block, labels in zip(blocks, found):
        if block.speaker is not None:  # the reader knows the speaker
            result.append((block, Label(block.speaker, block.role) if block.speaker else None))
            continue
        labels = [(offset, label) for offset, label in labels if accept(label)]
        if not labels or labels[0][0] != block.start and not _LIST_MARK_RE.fullmatch(text[block.start:labels[0][0]]):
            result.append((block, None))
            continue
        # A turn ends where the next label's line starts (before its indent or list mark).
        ends = [text.rfind("\n", block.start, offset) + 1 for offset, _ in labels[1:]] + [block.end]
        for (start, label), end in zip(labels, ends):
            end = start + len(text[start:end].rstrip())
            result.append((Block(start, end, block.kind), label))
    return result


def _line_labels(text: str, block: Block) -> list[tuple[int, Label]]:
    """(offset, label) for each line of the block that opens with a label, if its first line does. In a list whose
    items are turns ("- **Ann Lee:** ...", "* Q: ..."), each item's label counts, its list mark left out of the
    turn, when the block opens with such an item and a lone word ("- Housing: ...") is a name used twice."""
    if block.speaker is not None or block.kind == "heading":
        return []
    labels = []
    listed = _LIST_MARK_RE.match(text, block.start)
    pos = block.start
    for line in text[block.start : block.end].split("\n"):
        indent = len(line) - len(line.lstrip())
        mark = _LIST_MARK_RE.match(line, indent) if listed else None
        indent = mark.end() if mark else indent
        label = find_label(line[indent:], loose=True)
        if label:
            labels.append((pos + indent, label))
        elif pos == block.start:
            alone = _name_alone(line.strip())  # "Sarah Jones" on a line of its own, the words below it
            return [(block.start, alone)] if alone and not listed else []
        pos += len(line) + 1
    if listed:
        uses = Counter(label.name for _, label in labels)
        labels = [(offset, label) for offset, label in labels if label.strong or uses[label.name] > 1]
    return labels


def _name_alone(line: str) -> Label | None:
    """A line that is only a speaker's name ("Sarah Jones", "Speaker 2", "Jane Smith (Chief Executive)"), as
    Otter's text export without times writes it above the words; judged with the tabbed labels."""
    if not line or line[-1] in ":.?!," or len(line) > _MAX_LABEL_CHARS:
        return None
    label = find_label(f"{line}: x")
    whole = label is not None and (label.name == line or line.startswith(label.name) and label.role)
    return Label(label.name, label.role, label.strong, tabbed=True) if whole else None


def _label_filter(labels: list[Label]):
    """Which labels count. Weak labels (lone capitalised words such as "Housing:") count only in a document that
    looks like a transcript: one with a strong label or a label used twice. Notes with one "Housing:" and one
    "Finance:" paragraph are not a transcript."""
    uses = Counter(label.name for label in labels if not label.dotted and not label.tabbed)
    transcript = any(label.strong for label in labels) or any(n > 1 for n in uses.values())
    dotted = Counter(label.name[0] for label in labels if label.dotted)
    questions_and_answers = dotted["Q"] > 1 and dotted["A"] > 1  # not an outline's "A. Background"
    tabbed = Counter(label.name for label in labels if label.tabbed)
    tabbed_turns = any(n > 1 for n in tabbed.values())  # not a table's "Budget<TAB>£3m"

    def accept(label: Label) -> bool:
        if label.dotted:
            return questions_and_answers
        if label.tabbed:
            return tabbed_turns and (label.strong or tabbed[label.name] > 1)
        return label.strong or transcript

    return accept


def interviewer_by_part(speakers: Iterable[str], names: Iterable[str]) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """The speakers a one-word interviewer name stands for ("Sarah" given, "Sarah Jones:" written) where no speaker
    is labelled by that word alone and exactly one speaker's first name or surname is it; and (name, speakers) for
    each such name that fits several speakers, which marks none of them."""
    keys = {_name_key(s): s for s in speakers}
    found: list[str] = []
    ambiguous: list[tuple[str, list[str]]] = []
    for name in names:
        key = _name_key(name)
        if not key or " " in key or key in keys or is_interviewer(key):
            continue
        fits = [s for k, s in keys.items() if " " in k and key in (k.split()[0], k.split()[-1])]
        if len(fits) == 1:
            found.append(fits[0])
        elif fits:
            ambiguous.append((name, fits))
    return found, ambiguous


def interviewer_only(where: str, text: str, segments: list[Segment], fmt: str = "txt") -> list[str]:
    """A warning for a transcript whose every turn is an interviewer's, so nothing in it is coded: most often its
    other speakers' labels are none casecode recognises ("jane: ...", "[Jane Smith] ..."), so their paragraphs
    continue the interviewer's turn. Only said: how turns are cut stays as it is."""
    turns = [seg for seg in segments if seg.speaker]
    if not turns or any(seg.role != "interviewer" for seg in turns):
        return []
    asking = ", ".join(dict.fromkeys(seg.speaker for seg in turns))
    labelled = fmt in ("vtt", "srt")  # a cue's speaker comes from its voice tag, not its text
    carried = next((seg for seg in turns if not labelled and not speaker_label_end(seg.text, seg.speaker)), None)
    if carried is None:
        return [f"{where}: every turn is an interviewer's ({asking}), so nothing in it is coded; if one of them "
                f"answers, check --interviewer and the front matter's 'interviewer:' (labels such as Interviewer, "
                f"Q or INT always ask)"]
    place = f"paragraph {carried.unit}" if fmt == "docx" else f"line {text.count(chr(10), 0, carried.start) + 1}"
    opening = " ".join(carried.text.split())
    opening = opening if len(opening) <= 40 else f"{opening[:40]}..."
    return [f"{where}: every turn is read as the interviewer's ({asking}), so nothing in it is coded: {place} "
            f"({opening!r}) opens with no speaker label casecode recognises, so it continues that turn; write each "
            f"speaker's label as 'Name: text' with the name capitalised ('Jane Smith: ...', 'Speaker 2: ...', "
            f"'Respondent: ...')"]


def _assign_roles(segments: list[Segment], interviewers: list[str]) -> None:
    if not any(seg.speaker for seg in segments):
        return  # no turns at all: every role stays ""
    interviewers = interviewers + interviewer_by_part(dict.fromkeys(s.speaker for s in segments if s.speaker),
                                                      interviewers)[0]
    asking = _numbered_interviewer(segments, interviewers)
    # Judged once per speaker, not per turn.
    asks = {s: is_interviewer(s, interviewers) or s == asking for s in {seg.speaker for seg in segments} if s}
    for seg in segments:
        if not seg.speaker:
            continue
        if asks[seg.speaker]:
            seg.role, seg.codable = "interviewer", False
        else:
            seg.role = "respondent"


# Words a question opens with once fillers are skipped ("okay so what ..."), and two-word openers ("do you").
_FILLERS = {"okay", "ok", "so", "and", "right", "um", "erm", "er", "uh", "lovely", "great", "brilliant", "thanks",
            "yeah", "well", "now", "then", "just", "alright", "good", "fine", "cool"}
_QUESTION_WORDS = {"what", "what's", "whats", "how", "how's", "why", "when", "where", "who", "which", "tell",
                   "describe", "question"}
_AUXILIARIES = {"do", "does", "did", "is", "are", "was", "were", "has", "have", "had", "can", "could", "would",
                "will", "should"}
_ASKED = {"you", "anyone", "anybody", "everyone", "everybody", "there", "that", "this", "it", "people", "the",
          "your", "any"}
# A facilitator's open prompt: "anything else", "and anything you'd like to do next", "anyone want to add".
_ANY = {"anything", "anyone", "anybody"}
_ANY_ASKED = {"else", "you", "you'd", "youd", "anyone", "anybody", "want", "wants", "to", "we", "more", "else's"}
_WORD_RE = re.compile(r"[\w'’]+")


def _numbered_interviewer(segments: list[Segment], interviewers: list[str]) -> str:
    """The interviewer of a transcript whose speakers are only numbered ("Speaker 1:", as speech recognition writes
    them) and none of them is named as the interviewer: the speaker who asks. Each speaker scores twice the share of
    their turns that look like questions (a question mark, or a question word or a "do you"-style opener after
    fillers), plus half a point for opening the transcript if they ask anything at all (a participant who opens
    with housekeeping, "the fire alarm isn't planned today ...", and never asks is no rival); the best is chosen
    when it scores at least 1 and more than half a point above every other speaker. "" when no speaker stands out.
    (Thanks in the last turn is no sign: interviewees thank too.)"""
    turns = [seg for seg in segments if seg.speaker]
    speakers = list(dict.fromkeys(seg.speaker for seg in turns))
    if len(speakers) < 2 or not all(_is_numbered_label(s) for s in speakers):
        return ""
    if any(is_interviewer(s, interviewers) for s in speakers):
        return ""
    said: dict[str, list[str]] = {speaker: [] for speaker in speakers}
    for seg in turns:
        said[seg.speaker].append(seg.text[speaker_label_end(seg.text, seg.speaker):])
    score = {}
    for speaker, own in said.items():
        asked = sum(map(_looks_like_question, own))
        score[speaker] = 2 * asked / len(own) + 0.5 * (turns[0].speaker == speaker and asked > 0)
    ranked = sorted(speakers, key=score.get, reverse=True)
    best, runner_up = score[ranked[0]], score[ranked[1]]
    return ranked[0] if best >= 1.0 and best - runner_up > 0.5 else ""


def _looks_like_question(text: str) -> bool:
    if text.rstrip().endswith("?"):
        return True
    found = _WORD_RE.findall(text)  # read once: the opening words, then (if need be) all of them
    words = [w.lower() for w in found[:12]]
    while words and words[0] in _FILLERS:
        words.pop(0)
    if not words:
        return False
    if words[0] in _QUESTION_WORDS or "question" in words[:4]:
        return True
    if len(words) > 1 and words[0] in _AUXILIARIES and words[1] in _ASKED:
        return True
    if len(words) > 1 and words[0] in _ANY and words[1] in _ANY_ASKED:  # "anything else", "anyone want to add"
        return True
    # A question after a preamble, as speech recognition writes it without a question mark: "great so i wanted to
    # start with the twenty thirty five thing where did that come from", "... can you say who you are".
    words = [w.lower() for w in found]
    if _AUXILIARIES.isdisjoint(words):
        return False  # each pattern below has an auxiliary in it
    return any(a in _QUESTION_WORDS and b in _AUXILIARIES and c in _ASKED or a in _AUXILIARIES and b == "you"
               for a, b, c in zip(words, words[1:], words[2:] + [""]))


def speaker_label_end(text: str, speaker: object) -> int:
    """Where the speaker label at the start of a turn ends (after its colon), or 0 when there is none."""
    if not isinstance(speaker, str) or not speaker.strip():
        return 0
    if text.startswith(speaker) and text[len(speaker):len(speaker) + 1] == ":" and _PLAIN_NAME_RE.fullmatch(speaker):
        return len(speaker) + 1  # "Name: text", the common case: what the checks below would find
    if _DOTTED_LABEL_RE.match(text) and text.startswith(f"{speaker}."):
        return len(speaker) + 1  # "Q. How ..." ends at its full stop
    if text.startswith(f"**{speaker}**"):
        return len(speaker) + 4  # "**Name** text"
    if text.startswith(f"[{speaker}]"):
        return len(speaker) + 2  # "[Name] text", as subtitles write a speaker
    dashed = _DASHED_LABEL_RE.match(text)
    if dashed and getattr(speaker_label(dashed.group("label")), "name", None) == speaker:
        return dashed.end()  # "NAME - text"
    rest = text[len(speaker):] if text.startswith(speaker) else None
    if rest is not None and (not rest.strip() or rest.lstrip(" ").startswith(("\t", "\n"))):
        return len(text) - len(rest.lstrip(" \t\n"))  # "Name<TAB>text", "Name\ntext" and "Name" alone
    colon = text.find(":", 0, 160)
    in_role = _ROLE_COLON_RE.match(text) if colon > 0 and text.find("(", 0, colon) >= 0 else None
    colon = in_role.end() - 1 if in_role else colon  # "Ann Lee (Leader: Labour): ..." ends at the role's colon
    if colon < 0 or speaker.strip().lower() not in text[:colon].lower().replace("*", ""):
        return 0
    return colon + 1
