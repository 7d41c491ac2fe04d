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


@pytest.mark.parametrize("forced, shown", [("1", True), ("", False)])
def test_coding_many_units_shows_a_bar_only_on_request_or_a_terminal(monkeypatch, capsys, forced, shown):
    import pandas as pd

    from casecode.codebook import read_codebook
    from casecode.workflow import code_files  # noqa: F401  (the same coder `casecode code FILES` runs)
    from casecode.coders import RuleCoder, load_nlp

    from conftest import CODEBOOK

    monkeypatch.setenv("CASECODE_PROGRESS", forced)
    if not forced:
        monkeypatch.delenv("CASECODE_PROGRESS")
    text = "Ann Lee: We listen to our staff."
    segments = pd.DataFrame({"segment_id": [f"d:{i}" for i in range(250)], "document_id": "d",
                             "unit": range(250), "start": 0, "end": len(text), "text": text, "speaker": "Ann Lee",
                             "role": "respondent", "kind": "turn", "heading": "", "cases": [()] * 250,
                             "codable": True})
    codings = RuleCoder(read_codebook(CODEBOOK), load_nlp()).code(segments)
    assert len(codings) == 250
    err = capsys.readouterr().err
    assert ("coding" in err and "/250" in err) is shown
