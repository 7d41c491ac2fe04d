"""Shared fixtures: paths into the repository and cheap spaCy/report objects."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "corpus" / "2015-solace"
REPORT = STUDY / "final-report-2016.txt"
COUNCILS = STUDY / "councils.csv"
CODEBOOK = ROOT / "codebooks" / "leadership-actions-2015.yaml"


@pytest.fixture(scope="session")
def report():
    from casecode.corpus import parse_report

    return parse_report(REPORT, COUNCILS)


@pytest.fixture(scope="session")
def nlp():
    from casecode.coders import load_nlp

    return load_nlp()
