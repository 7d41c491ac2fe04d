"""The progress helper: a bar on a terminal, nothing otherwise, the items always passed through unchanged."""

from __future__ import annotations

import io

import pytest

from casecode._progress import progress, progress_enabled


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_silent_when_not_a_terminal(monkeypatch):
    monkeypatch.delenv("CASECODE_PROGRESS", raising=False)
    stream = io.StringIO()
    assert list(progress(range(5), desc="coding", stream=stream)) == [0, 1, 2, 3, 4]
    assert stream.getvalue() == ""
    assert not progress_enabled(stream)


def test_progress_draws_a_bar_on_a_terminal(monkeypatch):
    monkeypatch.delenv("CASECODE_PROGRESS", raising=False)
    stream = _Terminal()
    assert list(progress(iter(range(3)), total=3, desc="coding", unit="unit", stream=stream)) == [0, 1, 2]
    shown = stream.getvalue()
    assert "coding" in shown and "/3" in shown and "unit" in shown


@pytest.mark.parametrize("value, expected", [("0", False), ("off", False), ("1", True), ("yes", True)])
def test_progress_environment_switch(monkeypatch, value, expected):
    monkeypatch.setenv("CASECODE_PROGRESS", value)
    assert progress_enabled(_Terminal()) is expected
    assert progress_enabled(io.StringIO()) is expected


def test_progress_skips_short_work(monkeypatch):
    monkeypatch.delenv("CASECODE_PROGRESS", raising=False)
    stream = _Terminal()
    assert list(progress(range(3), desc="coding", min_total=10, stream=stream)) == [0, 1, 2]
    assert stream.getvalue() == ""
