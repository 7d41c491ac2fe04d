"""Shared fixtures: paths into the repository and cheap spaCy/report objects."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "corpus" / "2015-solace"
REPORT = STUDY / "final-report-2016.txt"
COUNCILS = STUDY / "councils.csv"
CODEBOOK = ROOT / "codebooks" / "leadership-actions-2015.yaml"

#: A tiny labelled training set for the learned coders: (text, codes).
TRAIN = [
    ("We listen to our staff", ["employees"]), ("We engage the workforce", ["employees"]),
    ("Staff are involved in everything", ["employees"]), ("We talk to frontline staff", ["employees"]),
    ("We invest in innovation", ["resources"]), ("We put money behind it", ["resources"]),
    ("A ring-fenced budget for change", ["resources"]), ("We fund the innovation team", ["resources"]),
    ("We talk to residents", ["residents"]), ("Residents co-design services", ["residents"]),
    ("We go door to door", ["residents"]), ("Community engagement matters", ["residents"]),
]

TEXTS = [t for t, _ in TRAIN]
LABELS = [labels for _, labels in TRAIN]


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory):
    """Fitted models go to a folder of this test session, never the user's cache (notebook kernels inherit it)."""
    import os

    folder = tmp_path_factory.mktemp("casecode-cache")
    os.environ["CASECODE_CACHE"] = str(folder)
    return folder


@pytest.fixture(scope="session")
def report():
    from casecode.studies import parse_report

    return parse_report(REPORT, COUNCILS)


@pytest.fixture(scope="session")
def nlp():
    from casecode.coders import load_nlp

    return load_nlp()


def _collections(call):
    """What `call()` returns and the collection passes run during it, with a pass due every ten new objects."""
    import gc

    passes = []

    def count(phase, info):
        if phase == "start":
            passes.append(info["generation"])

    threshold = gc.get_threshold()
    gc.set_threshold(10, *threshold[1:])
    gc.callbacks.append(count)
    try:
        return call(), passes
    finally:
        gc.callbacks.remove(count)
        gc.set_threshold(*threshold)


@pytest.fixture
def gc_passes():
    """`gc_passes(call)`: what `call()` returns and the garbage collector's passes during it (a pass due every ten
    new objects, were the collector running); the collector's settings are restored after."""
    return _collections
