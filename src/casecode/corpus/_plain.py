"""Blocks of a plain-text or markdown document: paragraphs and `#` headings after the front matter."""

from __future__ import annotations

import re

from ._turns import Block, paragraph_units

_HEADING_LINE_RE = re.compile(r"#{1,6}[ \t]+\S")


def plain_blocks(text: str, body_start: int = 0) -> list[Block]:
    """Paragraph blocks of `text[body_start:]`; a `# heading` line is a block of its own even without a blank line.

    Blocks with no letter or digit (rules such as `---` or `* * *`) are not units.
    """
    blocks: list[Block] = []
    for start, end in paragraph_units(text, body_start):
        if not any(c.isalnum() for c in text[start:end]):
            continue
        if text.find("#", start, end) < 0:  # no heading line: the paragraph is one block (as _split_headings says)
            blocks.append(_trimmed(text, start, end))
            continue
        blocks.extend(_split_headings(text, start, end))
    return blocks


def _split_headings(text: str, start: int, end: int) -> list[Block]:
    blocks: list[Block] = []
    body_start = None
    pos = start
    for line in text[start:end].split("\n"):
        line_end = pos + len(line)
        if _HEADING_LINE_RE.match(line):
            if body_start is not None:
                blocks.append(_trimmed(text, body_start, pos))
                body_start = None
            blocks.append(Block(pos, pos + len(line.rstrip()), "heading"))
        elif body_start is None:
            body_start = pos + len(line) - len(line.lstrip())
        pos = line_end + 1
    if body_start is not None:
        blocks.append(_trimmed(text, body_start, end))
    return blocks


def _trimmed(text: str, start: int, end: int) -> Block:
    return Block(start, start + len(text[start:end].rstrip()))
