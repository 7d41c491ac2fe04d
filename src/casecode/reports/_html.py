"""One coded transcript as a self-contained HTML page, after displaCy's span view: coded stretches of text are
underlined by one coloured bar per code, stacked when codings overlap, with a label chip (code label and score)
where each coding starts; hovering shows code, score, rule and coder.

Offsets are document offsets, so each unit's text is sliced from the document text, not re-joined. Every piece of
transcript text goes through `html.escape`; the page has inline CSS and no script.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from pathlib import Path

import pandas as pd

from .._output import write_text
from ..codebook import Codebook

#: Colours of codes without a `color` in the codebook, by codebook position (displaCy-like pastels).
PALETTE = [
    "#7aecec", "#bfeeb7", "#feca74", "#ff9561", "#aa9cfc", "#c887fb", "#9cc9cc", "#ffeb80", "#ff8197",
    "#f0d0ff", "#bfe1d9", "#e4e7d2",
]
_UNKNOWN = "#dddddd"
_BAR, _GAP = 3, 2  # px: thickness of a code's bar and the white gap above it

_CSS = """
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; background: #fff; color: #222;
       max-width: 52rem; margin: 2rem auto; padding: 0 1rem; }
.cc-legend span { display: inline-block; margin: 0 .5rem .3rem 0; padding: 1px 6px; border-radius: 3px;
       font-size: .8rem; }
.cc-unit { margin: 1.2rem 0; }
.cc-meta { font-size: .8rem; color: #666; }
.cc-speaker { font-weight: bold; color: #222; }
.cc-interviewer .cc-text { color: #777; }
.cc-text { white-space: pre-wrap; margin: .2rem 0; }
.cc-run { -webkit-box-decoration-break: clone; box-decoration-break: clone; }
.cc-label { font-size: .62em; font-weight: bold; padding: 1px 4px; border-radius: 3px; margin-right: 2px;
       vertical-align: .3em; white-space: nowrap; line-height: 1; }
"""


@dataclass
class _Span:
    start: int  # offsets into the unit's text
    end: int
    code: str
    label: str
    color: str
    hint: str  # the hover text
    chip: str  # the label chip's text
    slot: int = 0  # bar position under the text, 0 nearest


def transcript_html(
    document_text: str,
    segments: pd.DataFrame,
    codings: pd.DataFrame,
    codebook: Codebook,
    title: str = "",
) -> str:
    """The page: a legend of the codes used, then each unit with its speaker and its highlighted codings.

    `segments` (SEGMENT_COLUMNS) are the document's units; `codings` (CODING_COLUMNS, optionally with
    `coding_id` and `status`) are drawn on the unit named by their `segment_id`, clipped to it.
    """
    colors = code_colors(codebook)
    by_segment: dict[object, list] = {}  # one pass over the codings (a pandas group per unit costs more)
    for row in codings.itertuples():
        by_segment.setdefault(row.segment_id, []).append(row)
    units = []
    for seg in segments.sort_values("start").itertuples(index=False):
        mine = by_segment.get(seg.segment_id, ())
        spans = _assign_slots([_span(row, seg.start, seg.end, codebook, colors) for row in mine])
        units.append(_unit_html(seg, document_text[seg.start:seg.end], spans))
    used = [c for c in codebook if c.id in set(codings["code"])]
    legend = "".join(f'<span style="background: {colors[c.id]}; color: {text_color(colors[c.id])}">'
                     f'{escape(c.label)}</span>' for c in used)
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{escape(title)}</title>\n'
        f"<style>{_CSS}</style>\n</head>\n<body>\n<h1>{escape(title)}</h1>\n"
        f'<div class="cc-legend">{legend}</div>\n' + "\n".join(units) + "\n</body>\n</html>\n"
    )


def write_transcript_html(
    document_text: str,
    segments: pd.DataFrame,
    codings: pd.DataFrame,
    codebook: Codebook,
    path: str | Path,
    title: str = "",
) -> Path:
    """Write `transcript_html(...)` to `path` (UTF-8) and return the path."""
    return write_text(path, transcript_html(document_text, segments, codings, codebook, title))


def code_colors(codebook: Codebook) -> dict[str, str]:
    """Code id → colour: the codebook's `color`, else the palette colour of the code's position."""
    return {c.id: c.color or PALETTE[i % len(PALETTE)] for i, c in enumerate(codebook)}


def _span(coding, seg_start: int, seg_end: int, codebook: Codebook, colors: dict[str, str]) -> _Span:
    start, end = max(int(coding.start), seg_start), min(int(coding.end), seg_end)
    label = codebook[coding.code].label if coding.code in codebook else str(coding.code)
    score = _score(getattr(coding, "score", None))
    extras = {"score": score, **{name: _text(getattr(coding, name, None)) for name in ("rule", "coder", "status")}}
    details = [f"{label} ({coding.code})"] + [f"{name} {value}" for name, value in extras.items() if value]
    return _Span(
        start=start - seg_start,
        end=max(end, start) - seg_start,
        code=str(coding.code),
        label=label,
        color=colors.get(coding.code, _UNKNOWN),
        hint=" · ".join(details),
        chip=f"{label} {score}".strip(),
    )


def _assign_slots(spans: list[_Span]) -> list[_Span]:
    """Give each span the lowest bar slot free at its start, so overlapping spans stack instead of hiding."""
    spans = sorted(spans, key=lambda s: (s.start, -s.end))
    slot_ends: list[int] = []
    for span in spans:
        free = [k for k, end in enumerate(slot_ends) if end <= span.start]
        span.slot = free[0] if free else len(slot_ends)
        if span.slot == len(slot_ends):
            slot_ends.append(span.end)
        else:
            slot_ends[span.slot] = span.end
    return spans


def _unit_html(seg, text: str, spans: list[_Span]) -> str:
    who = escape(str(seg.speaker)) if seg.speaker else ""
    meta = f'<span class="cc-speaker">{who}</span> ' if who else ""
    meta += f'<span class="cc-n">unit {seg.unit}</span>'
    when = str(getattr(seg, "time", "") or "")
    if when:
        meta += f' <span class="cc-time">{escape(when)}</span>'
    depth = max((s.slot for s in spans), default=-1) + 1
    style = f' style="line-height: calc(1.5em + {depth * (_BAR + _GAP)}px)"' if depth else ""
    role = f" cc-{escape(str(seg.role))}" if seg.role else ""
    return (
        f'<section class="cc-unit{role}" id="{escape(str(seg.segment_id))}">\n'
        f'<div class="cc-meta">{meta}</div>\n<p class="cc-text"{style}>{_marked_text(text, spans)}</p>\n</section>'
    )


def _marked_text(text: str, spans: list[_Span]) -> str:
    """The unit's text, escaped, cut into runs at every span boundary; each run carries the bars of the spans
    covering it, and each span's label chip sits where it starts."""
    cuts = sorted({0, len(text)} | {s.start for s in spans} | {s.end for s in spans})
    parts = []
    for left, right in zip(cuts, cuts[1:] + [None]):
        parts += [_chip(s) for s in spans if s.start == left]
        if right is None:
            break
        covering = [s for s in spans if s.start <= left and right <= s.end]
        parts.append(_run(text[left:right], covering))
    return "".join(parts)


def text_color(background: str) -> str:
    """Dark or white text, whichever reads better on `background` (#RRGGBB), by relative luminance."""
    try:
        r, g, b = (int(background[i:i + 2], 16) / 255 for i in (1, 3, 5))
    except ValueError:
        return "#222"
    return "#222" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.5 else "#fff"


def _chip(span: _Span) -> str:
    return (
        f'<span class="cc-label" data-code="{escape(span.code)}" '
        f'style="background: {span.color}; color: {text_color(span.color)}" '
        f'title="{escape(span.hint)}">{escape(span.chip)}</span>'
    )


def _run(text: str, covering: list[_Span]) -> str:
    if not covering:
        return escape(text)
    hint = "&#10;".join(escape(s.hint) for s in sorted(covering, key=lambda s: s.slot))
    return f'<span class="cc-run" style="box-shadow: {_bars(covering)}" title="{hint}">{escape(text)}</span>'


def _bars(covering: list[_Span]) -> str:
    """Stacked underlines as box shadows: for each slot a white gap then the code's colour (white when no span of
    this run holds the slot); earlier shadows paint over later ones, so each shows as a thin band."""
    by_slot = {s.slot: s.color for s in covering}
    shadows, offset = [], 0
    for slot in range(max(by_slot) + 1):
        offset += _GAP
        shadows.append(f"0 {offset}px 0 0 #fff")
        offset += _BAR
        shadows.append(f"0 {offset}px 0 0 {by_slot.get(slot, '#fff')}")
    return ", ".join(shadows)


def _score(value) -> str:
    return f"{float(value):.2f}" if _text(value) else ""


def _text(value) -> str:
    """A cell as text, with nothing for None and NaN."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)
