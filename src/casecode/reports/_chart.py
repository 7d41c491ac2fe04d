"""Charts of how many cases take each code, drawn with matplotlib's object API (no pyplot, so no global figures).

Both charts write `<stem>.png` (150 dpi) and `<stem>.svg` and return the two paths. Codes run down the chart in
the order of the table, first code at the top.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Mapping, Sequence

import matplotlib
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.transforms import blended_transform_factory

from .._output import write_file
from ..errors import AnalysisError

#: Legend names of the series of `plot_cases_per_code`; pass `names=` to change them.
SERIES_NAMES = {
    "reference": "Reference coding",
    "automatic": "Automatic coding",
    "reported": "Reported range",
}
# Okabe and Ito's palette, which stays distinct for the common colour-vision deficiencies; one style for every
# chart casecode draws (reproduce, report, compare).
_COLORS = {"reference": "#0072B2", "automatic": "#E69F00", "reported": "#BBBBBB", "baseline": "#56B4E9",
           "range": "#222222"}
_MORE_COLORS = ("#009E73", "#CC79A7", "#D55E00", "#56B4E9")  # further series, in turn (Okabe-Ito)
_LABEL_WIDTH = 38  # characters per line of a code label on the y axis


def plot_cases_per_code(
    table: pd.DataFrame,
    path_stem: str | Path,
    title: str = "Cases per code",
    reported: bool = True,
    n_cases: int | None = None,
    unit_label: str = "Number of cases",
    names: Mapping[str, str] | None = None,
    series: Sequence[str] | None = None,
) -> tuple[Path, Path]:
    """Horizontal bars of cases per code: the reference count, the automatic count beside it when the table has
    an `automatic` column, and the range a report states (`reported_min`..`reported_max`, with
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
    more = iter(_MORE_COLORS)
    colors = {col: _COLORS.get(col) or next(more, "#333333") for col in series}
    show_reported = reported and {"reported_min", "reported_max"} <= set(table.columns)
    x_max = n_cases if n_cases is not None else _largest(table, series + ["reported_max"])
    if n_cases is not None:
        title = f"{title} (n = {n_cases} {_noun(unit_label, n_cases)})"

    fig, ax = _new_chart(len(table), title, unit_label, x_max)
    extra = [_draw_reported(ax, table, names["reported"])] if show_reported else []
    _draw_bars(ax, [(table[col], names.get(col, col), colors[col], [_count_text(v) for v in table[col]])
                    for col in series])
    ax.set_yticks(range(len(table)), [_wrap(label) for label in table["label"]])
    _legend(fig, ax, extra)
    return _save(fig, path_stem)


def plot_share_comparison(
    compare_df: pd.DataFrame,
    path_stem: str | Path,
    labels: Sequence[str] = ("baseline", "new"),
    title: str = "Share of cases taking each code",
) -> tuple[Path, Path]:
    """Bars of the share of cases (0-100%) taking each code in the baseline study and in the new one, side by
    side per code, each bar labelled with its count ("5/9").

    `compare_df` columns: `code, label, baseline_cases, baseline_n, new_cases, new_n`, as `compare_studies`
    returns them; a missing count (<NA>, a code one study lacks) is drawn as no bar labelled "n/a".
    """
    sizes = [f"{name}: n = {_fraction_total(compare_df[f'{prefix}_n'])}"
             for prefix, name in (("baseline", labels[0]), ("new", labels[1]))]
    fig, ax = _new_chart(len(compare_df), f"{title} ({'; '.join(sizes)})", "Share of cases (%)", 100)
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


def plot_cooccurrence(table: pd.DataFrame, path_stem: str | Path, title: str = "Codes found together",
                      labels: Mapping[str, str] | None = None, unit: str = "units") -> tuple[Path, Path]:
    """A heat map of a code × code co-occurrence table (`unit_cooccurrence` or `case_cooccurrence`), each cell
    labelled with its count; the diagonal (how often each code occurs) is outlined."""
    labels = labels or {}
    names = [_wrap(labels.get(code, code)) for code in table.index]
    n = len(table)
    fig = Figure(figsize=(2.5 + 0.62 * max(n, 1), 1.8 + 0.55 * max(n, 1)), layout="constrained")
    ax = fig.add_subplot()
    values = table.to_numpy(dtype=float)
    image = ax.imshow(values, cmap="cividis", vmin=0, vmax=max(values.max(), 1))  # perceptually uniform, CVD-safe
    ax.set_xticks(range(n), [str(code) for code in table.columns], rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(n), names, fontsize=8)
    threshold = values.max() / 2 if values.size else 0
    for i in range(n):
        for j in range(n):
            ax.text(j, i, f"{int(values[i, j])}", ha="center", va="center", fontsize=7,
                    color="black" if values[i, j] > threshold else "white")
        ax.add_patch(Rectangle((i - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="#D55E00", linewidth=1.2))
    ax.set_title(f"{title} (counts of {unit})", fontsize=11, loc="left")
    fig.colorbar(image, ax=ax, shrink=0.7, label=f"{unit} with both codes")
    return _save(fig, path_stem)


def plot_saturation(curve: pd.DataFrame, path_stem: str | Path,
                    title: str = "Saturation: what each added document contributes") -> tuple[Path, Path]:
    """Codes and case-code pairs seen as documents are added (`saturation_curve`): in the order they were added
    (solid) and averaged over random orders (dashed)."""
    fig = Figure(figsize=(9, 4.6), layout="constrained")
    ax = fig.add_subplot()
    x = curve["documents"]
    for column, random_column, name, color in (("case_codes", "random_case_codes", "case-code pairs", "reference"),
                                               ("codes", "random_codes", "codes", "automatic")):
        ax.plot(x, curve[column], color=_COLORS[color], linewidth=2, marker="o", markersize=3,
                label=f"{name}, in the order added")
        ax.plot(x, curve[random_column], color=_COLORS[color], linewidth=1.5, linestyle="--",
                label=f"{name}, mean over random orders")
    ax.set_title(f"{title} (n = {len(curve)} document{'s' * (len(curve) != 1)})", fontsize=11, loc="left")
    ax.set_xlabel("Documents added")
    ax.set_ylabel("Seen so far")
    top = max([float(curve[c].max()) for c in ("case_codes", "codes")] + [1]) if len(curve) else 1
    ax.set_xlim(0.5, max(len(curve), 1) + 0.5)
    ax.set_ylim(0, top * 1.12 + 0.5)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(color="#e6e6e6", zorder=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    _legend(fig, ax)
    return _save(fig, path_stem)


def _new_chart(n_rows: int, title: str, x_label: str, x_max: float) -> tuple[Figure, "matplotlib.axes.Axes"]:
    fig = Figure(figsize=(9, 1.2 + 0.55 * max(n_rows, 1)), layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(title, fontsize=11, loc="left")
    ax.set_xlabel(x_label)
    # Headroom past the largest value, so a bar's count label never touches the frame.
    ax.set_xlim(0, x_max * 1.12 + 0.5)
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
        # A white box keeps a count readable where it sits on the reported-range mark.
        ax.bar_label(container, labels=texts, padding=4, fontsize=8,
                     bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"}, zorder=5)


def _draw_reported(ax, table: pd.DataFrame, name: str) -> Rectangle:
    """The reported range of each row drawn OVER its bars: an open dark box from the reported minimum to maximum
    (a thick tick for an exact count), so the range stays visible whatever the bars hide, and the report's phrase
    at the right of the axes."""
    phrase_at = blended_transform_factory(ax.transAxes, ax.transData)  # x in axes fractions, y in rows
    phrases = table["reported_phrase"] if "reported_phrase" in table.columns else [""] * len(table)
    for row, (low, high, phrase) in enumerate(zip(table["reported_min"], table["reported_max"], phrases)):
        if _missing(low) or _missing(high):
            continue
        if high > low:
            ax.add_patch(Rectangle((low, row - 0.46), high - low, 0.92, fill=False, hatch="///",
                                   edgecolor=_COLORS["range"], linewidth=1.4, zorder=4))
        else:  # an exact count ("Six councils"): a thick tick across the row
            ax.plot([low, low], [row - 0.46, row + 0.46], color=_COLORS["range"], linewidth=3, zorder=4,
                    solid_capstyle="butt")
        if isinstance(phrase, str) and phrase:
            ax.annotate(f"“{phrase}”", (1, row), xycoords=phrase_at, xytext=(18, 0), textcoords="offset points",
                        va="center", fontsize=7.5, color="#444444", style="italic")
    # One legend entry for both marks: a hatched open box reads as "the range the report states".
    return Rectangle((0, 0), 1, 1, fill=False, hatch="///", edgecolor=_COLORS["range"], linewidth=1.4, label=name)


def _legend(fig: Figure, ax, extra: Sequence = ()) -> None:
    handles, names = ax.get_legend_handles_labels()
    handles, names = list(handles) + list(extra), list(names) + [h.get_label() for h in extra]
    fig.legend(handles, names, loc="outside lower center", ncols=len(names), fontsize=8, frameon=False)


def _save(fig: Figure, path_stem: str | Path) -> tuple[Path, Path]:
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    png, svg = stem.with_name(stem.name + ".png"), stem.with_name(stem.name + ".svg")
    write_file(png, lambda temp: fig.savefig(temp, dpi=150, bbox_inches="tight"))
    # Text stays text (editable, searchable); a fixed hash salt and no date keep the SVG byte-identical between
    # runs, so a regenerated chart diffs clean.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "casecode"}):
        write_file(svg, lambda temp: fig.savefig(temp, bbox_inches="tight", metadata={"Date": None}))
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


def _noun(unit_label: str, n: int = 2) -> str:
    """"Number of councils" -> "councils" ("council" when n is 1): the unit counted, for the n in a title."""
    words = str(unit_label).split()
    noun = words[-1] if words else "cases"
    return noun[:-1] if n == 1 and noun.endswith("s") else noun


def _fraction_total(totals) -> str:
    values = sorted({int(v) for v in totals if not _missing(v)})
    return "/".join(str(v) for v in values) or "n/a"


def _wrap(label: str) -> str:
    return "\n".join(textwrap.wrap(str(label), _LABEL_WIDTH)) or str(label)
