"""Charts of how many cases take each code, drawn with matplotlib's object API (no pyplot, so no global figures).

Both charts write `<stem>.png` (150 dpi) and `<stem>.svg` and return the two paths. Codes run down the chart in
the order of the table, first code at the top, as the 2016 report drew them.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Mapping, Sequence

import matplotlib
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

from ..errors import AnalysisError

#: Legend names of the series of `plot_cases_per_code`; pass `names=` to change them.
SERIES_NAMES = {
    "reference": "Reference coding",
    "automatic": "Automatic coding",
    "reported": "Reported in the 2016 report",
}
_COLORS = {"reference": "#1f4e79", "automatic": "#e69f00", "reported": "#c8c8c8", "baseline": "#7f7f7f"}
_MORE_COLORS = ("#6baed6", "#009e73", "#cc79a7", "#d55e00")  # for series beyond the named ones, in turn
_LABEL_WIDTH = 38  # characters per line of a code label on the y axis
_POINT_WIDTH = 0.2  # width, in cases, of the band drawn for a reported exact count


def plot_cases_per_code(
    table: pd.DataFrame,
    path_stem: str | Path,
    title: str = "Key leadership actions identified in case studies",
    reported: bool = True,
    n_cases: int | None = None,
    unit_label: str = "Number of councils",
    names: Mapping[str, str] | None = None,
    series: Sequence[str] | None = None,
) -> tuple[Path, Path]:
    """Horizontal bars of cases per code: the reference count, the automatic count beside it when the table has
    an `automatic` column, and the range the 2016 report states (`reported_min`..`reported_max`, with
    `reported_phrase` written at the right) when `reported` is true and the table has those columns.

    `table` columns: `code, label, reference` and optionally `automatic, reported_min, reported_max,
    reported_phrase`. `n_cases` fixes the x axis (0..number of cases). `series` names the count columns to draw
    side by side, in order (default: `reference`, then `automatic` when present); `names` gives their legend names.
    """
    names = {**SERIES_NAMES, **(names or {})}
    if series is None:
        series = [col for col in ("reference", "automatic") if col in table.columns]
    series = list(series)
    missing = [col for col in series if col not in table.columns]
    if missing:
        raise AnalysisError(f"chart series {missing[0]!r} is not a column of the table; name one of "
                            f"{', '.join(map(str, table.columns))}")
    extra = iter(_MORE_COLORS)
    colors = {col: _COLORS.get(col) or next(extra, "#333333") for col in series}
    show_reported = reported and {"reported_min", "reported_max"} <= set(table.columns)
    x_max = n_cases if n_cases is not None else _largest(table, series + ["reported_max"])

    fig, ax = _new_chart(len(table), title, unit_label, x_max)
    if show_reported:
        _draw_reported(ax, table, names["reported"])
    _draw_bars(ax, [(table[col], names.get(col, col), colors[col], [_count_text(v) for v in table[col]])
                    for col in series])
    ax.set_yticks(range(len(table)), [_wrap(label) for label in table["label"]])
    _legend(fig, ax)
    return _save(fig, path_stem)


def plot_share_comparison(
    compare_df: pd.DataFrame,
    path_stem: str | Path,
    labels: Sequence[str] = ("2015", "new"),
    title: str = "Share of cases taking each code",
) -> tuple[Path, Path]:
    """Bars of the share of cases (0-100%) taking each code in the baseline study and in the new one, side by
    side per code, each bar labelled with its count ("5/9").

    `compare_df` columns: `code, label, baseline_cases, baseline_n, new_cases, new_n`, as `compare_studies`
    returns them; a missing count (<NA>, a code one study lacks) is drawn as no bar labelled "n/a".
    """
    fig, ax = _new_chart(len(compare_df), title, "Share of cases (%)", 100)
    bars = []
    for prefix, name, color in (("baseline", labels[0], _COLORS["baseline"]), ("new", labels[1], _COLORS["reference"])):
        counts, totals = compare_df[f"{prefix}_cases"], compare_df[f"{prefix}_n"]
        shares = [_share(c, n) for c, n in zip(counts, totals)]
        texts = [_fraction(c, n) for c, n in zip(counts, totals)]
        bars.append((shares, name, color, texts))
    _draw_bars(ax, bars)
    ax.set_yticks(range(len(compare_df)), [_wrap(label) for label in compare_df["label"]])
    _legend(fig, ax)
    return _save(fig, path_stem)


def _new_chart(n_rows: int, title: str, x_label: str, x_max: float) -> tuple[Figure, "matplotlib.axes.Axes"]:
    fig = Figure(figsize=(9, 1.2 + 0.55 * max(n_rows, 1)), layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(title, fontsize=11, loc="left")
    ax.set_xlabel(x_label)
    ax.set_xlim(0, x_max)
    ax.set_ylim(n_rows - 0.5, -0.5)  # inverted: the first code at the top
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.tick_params(axis="y", length=0, labelsize=9)
    ax.grid(axis="x", color="#e6e6e6", zorder=0)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


def _draw_bars(ax, bars: list[tuple[Sequence[float], str, str, Sequence[str]]]) -> None:
    """Draw one bar per row for each series (values, legend name, colour, bar labels), side by side within
    the row, each bar labelled at its end; a missing value draws no bar."""
    height = 0.8 / len(bars)
    for i, (values, name, color, texts) in enumerate(bars):
        offset = -0.4 + height * (i + 0.5)
        widths = [0 if _missing(v) else v for v in values]
        container = ax.barh([row + offset for row in range(len(widths))], widths, height=height * 0.92,
                            color=color, label=name, zorder=2)
        ax.bar_label(container, labels=texts, padding=3, fontsize=8)


def _draw_reported(ax, table: pd.DataFrame, name: str) -> None:
    """A grey band from the reported minimum to maximum behind each row, a dark whisker on its ends, and the
    report's phrase at the right of the axes."""
    phrase_at = blended_transform_factory(ax.transAxes, ax.transData)  # x in axes fractions, y in rows
    phrases = table["reported_phrase"] if "reported_phrase" in table.columns else [""] * len(table)
    labelled = False
    for row, (low, high, phrase) in enumerate(zip(table["reported_min"], table["reported_max"], phrases)):
        if _missing(low) or _missing(high):
            continue
        # An exact count ("Six councils") gets a narrow band so it stays visible; marks at the axis end may
        # overhang it (clip_on=False) rather than vanish.
        width = max(high - low, _POINT_WIDTH)
        ax.barh(row, width, left=(low + high - width) / 2, height=0.95, color=_COLORS["reported"], zorder=1,
                label=None if labelled else name, clip_on=False)
        ax.errorbar((low + high) / 2, row, xerr=(high - low) / 2, fmt="none", ecolor="#333333", capsize=6,
                    capthick=1.5, elinewidth=1, zorder=3, clip_on=False)
        labelled = True
        if isinstance(phrase, str) and phrase:
            ax.annotate(f"“{phrase}”", (1, row), xycoords=phrase_at, xytext=(18, 0), textcoords="offset points",
                        va="center", fontsize=7.5, color="#555555", style="italic")


def _legend(fig: Figure, ax) -> None:
    handles, names = ax.get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncols=len(names), fontsize=8, frameon=False)


def _save(fig: Figure, path_stem: str | Path) -> tuple[Path, Path]:
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    png, svg = stem.with_name(stem.name + ".png"), stem.with_name(stem.name + ".svg")
    fig.savefig(png, dpi=150, bbox_inches="tight")
    # Text stays text (editable, searchable); a fixed hash salt and no date keep the SVG byte-identical between
    # runs, so a regenerated chart diffs clean.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "casecode"}):
        fig.savefig(svg, bbox_inches="tight", metadata={"Date": None})
    return png, svg


def _largest(table: pd.DataFrame, columns: list[str]) -> float:
    values = [v for col in columns if col in table.columns for v in table[col] if not _missing(v)]
    return max(values, default=1) or 1


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _count_text(value) -> str:
    return "n/a" if _missing(value) else f"{value:g}"


def _share(count, total) -> float:
    return math.nan if _missing(count) or _missing(total) or not total else 100 * count / total


def _fraction(count, total) -> str:
    return "n/a" if _missing(count) or _missing(total) else f"{int(count)}/{int(total)}"


def _wrap(label: str) -> str:
    return "\n".join(textwrap.wrap(str(label), _LABEL_WIDTH)) or str(label)
