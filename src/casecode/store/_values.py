"""Conversions between DataFrame cells, Python values and database columns."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any, Iterable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import StoreError

# SQLite refuses statements with too many bound parameters; look ids up in slices of this size.
_CHUNK = 500


def utcnow() -> dt.datetime:
    """Now, as the naive UTC datetime every timestamp column holds."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def as_utc(value: Any, where: str) -> dt.datetime:
    """A timestamp cell (datetime, pandas Timestamp or ISO string; empty means now) as naive UTC."""
    value = clean(value)
    if value is None or value == "":
        return utcnow()
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise StoreError(f"{where}: {value!r} is not a date and time; write it as 2024-05-31T14:00") from None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.to_pydatetime()


def clean(value: Any) -> Any:
    """A DataFrame cell as a plain Python value: NaN, NA and NaT become None, numpy scalars become Python."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return None if (isinstance(value, np.floating) and np.isnan(value)) else value.item()
    return value


def text(value: Any) -> str:
    """A cell as a string column value; missing becomes ""."""
    value = clean(value)
    return "" if value is None else str(value)


def id_tuple(value: Any, where: str) -> tuple[str, ...]:
    """A cell holding a list of ids (members, aliases, cases) as a tuple of strings."""
    if isinstance(value, str):
        raise StoreError(f"{where} is the string {value!r}; pass a list or tuple of ids, e.g. ('{value}',)")
    if isinstance(value, (list, tuple, np.ndarray, pd.Series)):
        return tuple(str(v) for v in value)
    if clean(value) is None:
        return ()
    raise StoreError(f"{where} is {value!r}; pass a list or tuple of ids")


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (dt.datetime, dt.date, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def to_json(value: Any, where: str) -> str:
    """Serialize for a JSON Text column; a value JSON cannot hold is a StoreError naming `where`."""
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=_json_default, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"{where} cannot be stored as JSON ({exc}); use strings, numbers, lists and dicts") from None


def from_json(value: str | None) -> Any:
    return None if value is None else json.loads(value)


def records(data: Any, what: str) -> list[tuple[Any, dict[str, Any]]]:
    """Rows of a DataFrame (or an iterable of mappings) as (row label, dict) pairs for error messages."""
    if isinstance(data, pd.DataFrame):
        return list(zip(data.index, data.to_dict("records")))
    if isinstance(data, Mapping) or not isinstance(data, Iterable):
        raise StoreError(f"{what} must be a DataFrame or a list of dicts; got {type(data).__name__}")
    rows = []
    for i, row in enumerate(data):
        if not isinstance(row, Mapping):
            raise StoreError(f"{what} row {i} is {type(row).__name__}, not a mapping of column to value")
        rows.append((i, dict(row)))
    return rows


def require_columns(rows: list[tuple[Any, dict]], required: Sequence[str], what: str) -> None:
    """Refuse a table lacking a required column, naming the missing ones and the expected set."""
    if not rows:
        return
    present = set(rows[0][1])
    missing = [c for c in required if c not in present]
    if missing:
        raise StoreError(f"{what} lacks column(s) {', '.join(missing)}; expected {', '.join(required)}")


def known_list(ids: Sequence[str], limit: int = 20) -> str:
    """Ids for an error message, cut short after `limit`."""
    ids = list(ids)
    shown = ", ".join(ids[:limit]) or "none"
    return shown + (f" (and {len(ids) - limit} more)" if len(ids) > limit else "")


def chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def frame(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], dtypes: Mapping[str, str]) -> pd.DataFrame:
    """A DataFrame with exactly `columns`, typed by `dtypes` (others are strings), the same even when empty."""
    df = pd.DataFrame([dict(row) for row in rows], columns=list(columns))
    for column in columns:
        df[column] = df[column].astype(dtypes.get(column, "str"))
    return df
