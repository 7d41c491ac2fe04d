"""Today's outputs, pinned: `casecode reproduce` and the codings of every training and held-out set.

A difference fails with a diff. If the change is meant (new counts, a better coder), regenerate the golden files
with `python tests/golden/regenerate.py [reproduce|codings]` and commit them on their own, saying why.
"""

import difflib
import importlib.util
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("golden_regenerate", HERE / "golden" / "regenerate.py")
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)


def _compare(part: str) -> None:
    expected, actual = golden.stored(part), golden.generate(part)
    problems = []
    for name in sorted(set(expected) | set(actual)):
        if name not in actual:
            problems.append(f"{part}/{name}: pinned but no longer produced")
        elif name not in expected:
            problems.append(f"{part}/{name}: produced but not pinned")
        elif expected[name] != actual[name]:
            diff = difflib.unified_diff(expected[name].splitlines(), actual[name].splitlines(),
                                        f"golden/{part}/{name}", "now", lineterm="", n=1)
            problems.append("\n".join(list(diff)[:40]))
    assert not problems, (
        "\n\n".join(problems)
        + f"\n\nIf this change is intended, run: python tests/golden/regenerate.py {part} and commit the files "
        "in a commit of their own that says why."
    )


@pytest.mark.parametrize("part", golden.PARTS)
def test_outputs_match_the_golden_files(part):
    _compare(part)


def test_every_transcript_set_is_pinned():
    pinned = {Path(name).stem for name in golden.stored("codings")}
    assert set(golden.transcript_sets()) == pinned
    assert any(name.startswith("heldout-") for name in pinned) and any(n.startswith("training-") for n in pinned)
