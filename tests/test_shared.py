"""The small helpers several rooms share (casecode._shared)."""

import numpy as np
import pandas as pd
import pytest

from casecode._shared import cell_text, rule_parts


@pytest.mark.parametrize("value, expected", [
    (None, ""), (float("nan"), ""), (np.nan, ""), (np.float64("nan"), ""), (pd.NA, ""), (pd.NaT, ""),
    ("", ""), ("bold", "bold"), (" bold ", " bold "), (0, "0"), (0.0, "0.0"), (12, "12"), (np.int64(3), "3"),
    (False, "False"),
])
def test_cell_text_is_empty_only_for_a_missing_value(value, expected):
    assert cell_text(value) == expected


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA])
def test_rule_parts_reads_a_missing_rule_or_pattern_as_empty(missing):
    assert rule_parts(missing, missing) == rule_parts("", "")
    assert rule_parts("bold-1 (hedged: 'a bit')", missing).text == "bold-1 (hedged: 'a bit')"
    assert rule_parts(missing, "bold-1").pattern == "bold-1"


def test_rule_parts_still_reads_pattern_notes_and_model():
    parts = rule_parts("rule:bold-1 (hedged: 'a bit'; question) + model p=0.74 (top terms: fund, budget)", "bold-1")
    assert parts.notes == ["hedged: 'a bit'", "question"] and parts.model and parts.p == 0.74
    assert parts.terms == ["fund", "budget"] and parts.text == ""
