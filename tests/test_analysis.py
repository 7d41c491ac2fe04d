"""Tests of casecode.analysis: hand-computed values first, then cross-checks against sklearn, krippendorff, scipy."""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import pandas as pd
import pytest
from scipy.stats import fisher_exact
from sklearn.metrics import cohen_kappa_score, precision_recall_fscore_support

from casecode.analysis import (
    CASE_CELL_COLUMNS,
    COMPARISON_COLUMNS,
    agreement_table,
    case_code_matrix,
    cases_per_code,
    code_frequencies,
    cohen_kappa,
    compare_studies,
    evaluate,
    krippendorff_alpha,
    percent_agreement,
)
from casecode.codebook import Code, Codebook
from casecode.coders import CODING_COLUMNS
from casecode.corpus import Segment, segments_frame
from casecode.errors import AnalysisError

CODES = ["voice", "trust", "unused"]


def codings(pairs, coder="rules"):
    """A codings table from (segment_id, code) pairs, each spanning a made-up whole segment."""
    rows = [
        {"segment_id": s, "document_id": s.split(":")[0], "code": c, "start": 0, "end": 5, "evidence": "text",
         "rule": "test", "score": 1.0, "coder": coder}
        for s, c in pairs
    ]
    return pd.DataFrame(rows, columns=CODING_COLUMNS)


@pytest.fixture
def segments():
    cases = [("a",), ("a", "b"), ("b",), ("c",), ()]
    return segments_frame(
        Segment(f"d{i // 3}:{i}", f"d{i // 3}", i, 0, 5, f"text {i}", cases=c) for i, c in enumerate(cases)
    )


# --- Cohen's kappa and percent agreement ---------------------------------------------------------------------------

# The classic 2x2 example: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no; po = 0.7, pe = 0.5, kappa = 0.4.
CLASSIC_A = [1] * 25 + [0] * 25
CLASSIC_B = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15


@pytest.mark.parametrize(
    "a, b, expected",
    [
        (CLASSIC_A, CLASSIC_B, 0.4),
        ([1, 0, 1, 0], [1, 0, 1, 0], 1.0),  # perfect agreement
        ([1, 1, 0, 0], [1, 0, 1, 0], 0.0),  # chance level: po = pe = 0.5
        ([0] * 10, [0] * 10, 1.0),  # a code nobody used: pe = 1, kappa 1.0 by convention
        ([1, 0], [0, 1], -1.0),
        (["x", "y", "z", "x"], ["x", "y", "z", "y"], 1 - 0.25 / (1 - 5 / 16)),  # po .75, pe 5/16
    ],
)
def test_cohen_kappa_hand_computed(a, b, expected):
    assert cohen_kappa(a, b) == pytest.approx(expected)


@pytest.mark.parametrize("seed", range(8))
def test_cohen_kappa_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 3, 40)
    b = np.where(rng.random(40) < 0.6, a, rng.integers(0, 3, 40))
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))


def test_cohen_kappa_drops_pairs_with_a_missing_label():
    assert cohen_kappa([1, 0, None, 1], [1, 0, 1, np.nan]) == pytest.approx(1.0)
    assert math.isnan(cohen_kappa([None], [1]))


def test_cohen_kappa_length_mismatch_names_both_lengths():
    with pytest.raises(AnalysisError, match=r"differ in length \(3 and 2\)"):
        cohen_kappa([1, 0, 1], [1, 0])


@pytest.mark.parametrize(
    "a, b, expected",
    [(CLASSIC_A, CLASSIC_B, 0.7), ([1, 0, None], [1, 1, 0], 0.5), ([], [], float("nan"))],
)
def test_percent_agreement_of_two_sequences(a, b, expected):
    assert percent_agreement(a, b) == pytest.approx(expected, nan_ok=True)


def test_percent_agreement_of_a_matrix_counts_units_judged_twice():
    data = [[1, 1, 1], [1, 0, None], [0, None, None], [None, 0, 0]]
    assert percent_agreement(data) == pytest.approx(2 / 3)


# --- Krippendorff's alpha --------------------------------------------------------------------------------------------

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section C: 4 observers, 12 units, missing data.
WORKED = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, np.nan, np.nan, np.nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, np.nan, 3],
        [np.nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, np.nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, np.nan],
    ]
).T  # units × coders


@pytest.mark.parametrize(
    "level, expected", [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)]
)
def test_krippendorff_alpha_worked_example(level, expected):
    assert krippendorff_alpha(WORKED, level) == pytest.approx(expected, abs=5e-4)


def test_krippendorff_alpha_nominal_by_hand():
    # Two coders, four units: coincidences o_00 = 2, o_11 = 4, o_01 = o_10 = 1; n_0 = 3, n_1 = 5, n = 8.
    # alpha = 1 - (n - 1) * (o_01 + o_10) / (2 * n_0 * n_1) = 1 - 7 * 2 / 30.
    data = pd.DataFrame({"ann": [0, 1, 1, 0], "bob": [0, 1, 1, 1]})
    assert krippendorff_alpha(data) == pytest.approx(1 - 14 / 30)


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
@pytest.mark.parametrize("seed", range(5))
def test_krippendorff_alpha_matches_package_with_missing_data(seed, level):
    rng = np.random.default_rng(seed)
    data = rng.integers(1, 5, size=(30, 4)).astype(float)
    data[rng.random(data.shape) < 0.25] = np.nan
    expected = krippendorff.alpha(data.T, level_of_measurement=level)
    assert krippendorff_alpha(data, level) == pytest.approx(expected)


@pytest.mark.parametrize("seed", range(6))
def test_agreement_of_numbers_equals_the_value_by_value_reading(seed):
    # float judgements (what agreement_table passes) are read with arrays; the same values as objects are read one
    # by one: every statistic must come out the same to the last bit
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 2 + seed % 3, size=(200, 2 + seed % 3)).astype(float)
    data[rng.random(data.shape) < 0.2] = np.nan
    data[: seed % 2, :] = -0.0  # a negative zero equals 0.0
    frame = pd.DataFrame(data, columns=[f"c{j}" for j in range(data.shape[1])])
    as_objects = frame.astype(object)
    for level in ("nominal", "ordinal", "interval", "ratio"):
        fast, slow = krippendorff_alpha(frame, level), krippendorff_alpha(as_objects, level)
        assert fast == slow or (math.isnan(fast) and math.isnan(slow))
    assert percent_agreement(frame) == percent_agreement(as_objects)
    a, b = frame["c0"], frame["c1"]
    assert cohen_kappa(a, b) == cohen_kappa(list(a.astype(object)), list(b.astype(object)))
    assert percent_agreement(a, b) == percent_agreement(list(a.astype(object)), list(b.astype(object)))


def test_krippendorff_alpha_takes_string_labels_and_none():
    data = [["x", "x"], ["y", "y"], ["x", "y"], [None, "y"], ["z", "z"]]
    reliability = [["x", "y", "x", "nan", "z"], ["x", "y", "y", "y", "z"]]
    expected = krippendorff.alpha(np.array(reliability), level_of_measurement="nominal")
    assert krippendorff_alpha(data) == pytest.approx(expected)


@pytest.mark.parametrize(
    "data, expected",
    [
        ([[0, 0]] * 6, 1.0),  # a code nobody used: no disagreement possible, 1.0 by convention
        ([[1, None], [None, 0]], float("nan")),  # no unit judged twice
        ([[1, 1], [0, 0]], 1.0),
    ],
)
def test_krippendorff_alpha_edge_cases(data, expected):
    assert krippendorff_alpha(data) == pytest.approx(expected, nan_ok=True)


def test_krippendorff_alpha_rejects_unknown_level_and_text_for_interval():
    with pytest.raises(AnalysisError, match="'cardinal' is unknown; use one of nominal, ordinal"):
        krippendorff_alpha([[1, 1]], level="cardinal")
    with pytest.raises(AnalysisError, match="interval alpha needs numbers"):
        krippendorff_alpha([["x", "y"]], level="interval")


# --- agreement table ------------------------------------------------------------------------------------------------


def test_agreement_table_two_coders(segments):
    ann = codings([("d0:0", "voice"), ("d0:1", "voice"), ("d0:2", "trust")], "ann")
    bob = codings([("d0:0", "voice"), ("d1:3", "voice"), ("d0:2", "trust"), ("elsewhere:9", "trust")], "bob")
    per_code, disagreements = agreement_table({"ann": ann, "bob": bob}, segments, CODES)

    assert list(per_code.columns) == [
        "code", "label", "coders", "units", "percent_agreement", "kappa", "alpha", "n_present_ann", "n_present_bob",
        "note",
    ]
    voice = per_code.set_index("code").loc["voice"]
    ann_col, bob_col = [1, 1, 0, 0, 0], [1, 0, 0, 1, 0]
    assert voice["units"] == 5
    assert voice["percent_agreement"] == pytest.approx(0.6)
    assert voice["kappa"] == pytest.approx(cohen_kappa_score(ann_col, bob_col))
    assert voice["alpha"] == pytest.approx(krippendorff.alpha([ann_col, bob_col], level_of_measurement="nominal"))
    assert (voice["n_present_ann"], voice["n_present_bob"]) == (2, 2)

    unused = per_code.set_index("code").loc["unused"]
    assert (unused["percent_agreement"], unused["kappa"], unused["alpha"]) == (1.0, 1.0, 1.0)
    assert unused["note"].startswith("no coder used this code")

    assert list(disagreements.columns) == ["code", "segment_id", "text", "ann", "bob"]
    assert disagreements[["segment_id", "ann", "bob"]].values.tolist() == [["d0:1", 1, 0], ["d1:3", 0, 1]]
    assert disagreements["text"].tolist() == ["text 1", "text 3"]


def test_agreement_table_coded_units_marks_unseen_units_missing(segments):
    ann = codings([("d0:0", "voice"), ("d0:1", "voice")], "ann")
    bob = codings([("d0:0", "voice")], "bob")
    per_code, disagreements = agreement_table(
        {"ann": ann, "bob": bob}, segments, ["voice"], coded_units={"bob": ["d0:0", "d0:2"]}
    )
    row = per_code.iloc[0]
    assert row["units"] == 2  # only d0:0 and d0:2 were judged by both
    assert (row["percent_agreement"], row["kappa"]) == (1.0, 1.0)
    assert disagreements.empty


def test_agreement_table_three_coders_has_no_kappa(segments):
    tables = {name: codings([("d0:0", "voice")], name) for name in ("ann", "bob", "cy")}
    tables["cy"] = codings([("d0:0", "voice"), ("d0:1", "voice")], "cy")
    per_code, disagreements = agreement_table(tables, segments, ["voice"])
    assert math.isnan(per_code.loc[0, "kappa"])
    assert per_code.loc[0, "percent_agreement"] == pytest.approx(0.8)
    assert disagreements[["ann", "bob", "cy"]].values.tolist() == [[0, 0, 1]]


def test_agreement_table_disagreement_skips_a_coder_who_did_not_see_the_unit(segments):
    """d0:1 is coded by ann, unseen by bob and left by cy: ann and cy differ there; d0:2, seen by ann alone, is no
    disagreement."""
    tables = {"ann": codings([("d0:1", "voice"), ("d0:2", "voice")], "ann"), "bob": codings([("d0:0", "voice")], "bob"),
              "cy": codings([("d0:0", "voice")], "cy")}
    seen = {"bob": ["d0:0"], "cy": ["d0:0", "d0:1"]}
    _, disagreements = agreement_table(tables, segments, ["voice"], coded_units=seen)
    rows = disagreements[["segment_id", "ann", "bob", "cy"]].astype(object).where(disagreements.notna(), None)
    assert rows.values.tolist() == [["d0:0", 0, 1, 1], ["d0:1", 1, None, 0]]


@pytest.mark.parametrize(
    "tables, message",
    [
        ({"ann": codings([])}, r"at least two coders, got \['ann'\]"),
        ({"ann": codings([]), "bob": codings([("x:1", "voice")])}, "no coding of coder 'bob' falls on a unit"),
        ({"ann": codings([]), "text": codings([])}, "coder name 'text' clashes"),
    ],
)
def test_agreement_table_rejects_bad_input(segments, tables, message):
    with pytest.raises(AnalysisError, match=message):
        agreement_table(tables, segments, CODES)


# --- cross-tabs -----------------------------------------------------------------------------------------------------


def test_case_code_matrix_explodes_cases_and_keeps_uncoded_cases(segments):
    coded = codings([("d0:1", "voice"), ("d0:1", "voice"), ("d1:3", "trust"), ("d1:4", "trust"), ("d0:0", "other")])
    matrix = case_code_matrix(coded, segments, CODES, cases=["c", "b", "a", "z"])
    assert matrix.index.name == "case_id"
    assert list(matrix.index) == ["c", "b", "a", "z"]
    assert list(matrix.columns) == CODES
    assert matrix.values.tolist() == [[0, 1, 0], [1, 0, 0], [1, 0, 0], [0, 0, 0]]
    assert all(dtype.kind == "i" for dtype in matrix.dtypes)


def test_case_code_matrix_default_cases_in_order_of_appearance(segments):
    matrix = case_code_matrix(codings([]), segments, CODES)
    assert list(matrix.index) == ["a", "b", "c"]
    assert int(matrix.values.sum()) == 0


def test_case_code_matrix_accepts_cases_frame_and_codebook(segments):
    book = Codebook(name="t", codes=[Code(id="trust", label="Trust"), Code(id="voice", label="Voice")])
    cases = pd.DataFrame({"case_id": ["b", "a"]})
    matrix = case_code_matrix(codings([("d0:2", "voice")]), segments, book, cases)
    assert matrix.to_dict() == {"trust": {"b": 0, "a": 0}, "voice": {"b": 1, "a": 0}}


def test_case_code_matrix_unknown_segment_names_it(segments):
    with pytest.raises(AnalysisError, match="segment 'x:9' \\(1 codings in all\\)"):
        case_code_matrix(codings([("x:9", "voice")]), segments, CODES)


def test_cases_per_code_lists_cases():
    matrix = pd.DataFrame({"voice": [1, 0, 1], "trust": [0, 0, 0]}, index=pd.Index(["a", "b", "c"], name="case_id"))
    table = cases_per_code(matrix, labels={"voice": "Student voice"})
    assert table.to_dict("records") == [
        {"code": "voice", "label": "Student voice", "cases": 2, "case_ids": "a; c"},
        {"code": "trust", "label": "trust", "cases": 0, "case_ids": ""},
    ]


def test_code_frequencies_counts_codings_segments_documents():
    coded = codings([("d0:1", "voice"), ("d0:1", "voice"), ("d0:2", "voice"), ("d1:3", "trust")])
    table = code_frequencies(coded, CODES)
    assert list(table.columns) == ["code", "label", "codings", "segments", "documents"]
    assert table[["codings", "segments", "documents"]].values.tolist() == [[3, 2, 1], [1, 1, 1], [0, 0, 0]]


# --- evaluation -----------------------------------------------------------------------------------------------------


def random_coding(seed, n_units=40, codes=("a", "b", "c", "d")):
    """Units, and gold/predicted 0/1 matrices (code 'd' never predicted) with the codings they come from."""
    rng = np.random.default_rng(seed)
    units = segments_frame(Segment(f"doc:{i}", "doc", i, 0, 1, "x", cases=(f"case{i % 5}",)) for i in range(n_units))
    truth = (rng.random((n_units, len(codes))) < 0.3).astype(int)
    guess = np.where(rng.random(truth.shape) < 0.75, truth, 1 - truth)
    guess[:, -1] = 0

    def to_codings(matrix):
        return codings([(f"doc:{i}", codes[j]) for i, j in zip(*np.nonzero(matrix))])

    return units, truth, guess, to_codings(truth), to_codings(guess)


@pytest.mark.parametrize("seed", range(4))
def test_evaluate_matches_sklearn(seed):
    units, truth, guess, gold, predicted = random_coding(seed)
    result = evaluate(predicted, gold, units, ["a", "b", "c", "d"])
    p, r, f, support = precision_recall_fscore_support(truth, guess, zero_division=0)
    assert result.per_code["precision"].tolist() == pytest.approx(p.tolist())
    assert result.per_code["recall"].tolist() == pytest.approx(r.tolist())
    assert result.per_code["f1"].tolist() == pytest.approx(f.tolist())
    assert result.per_code["support"].tolist() == support.tolist()
    for average in ("micro", "macro"):
        expected = precision_recall_fscore_support(truth, guess, average=average, zero_division=0)[:3]
        assert result.averages.set_index("average").loc[average, ["precision", "recall", "f1"]].tolist() == (
            pytest.approx(list(expected))
        )
    kappas = [cohen_kappa_score(truth[:, j], guess[:, j]) for j in range(3)]
    assert result.per_code["kappa"].tolist()[:3] == pytest.approx(kappas)
    assert result.micro["kappa"] == pytest.approx(cohen_kappa_score(truth.ravel(), guess.ravel()))
    assert result.per_code.loc[3, "note"] == "never predicted: precision 0 by convention"


def test_evaluate_counts_uncoded_units_as_negatives(segments):
    gold = codings([("d0:0", "voice"), ("d0:1", "voice")])
    predicted = codings([("d0:0", "voice"), ("d0:2", "voice"), ("outside:1", "voice")])
    row = evaluate(predicted, gold, segments, ["voice"]).per_code.iloc[0]
    assert list(row.index) == ["code", "label", "support", "predicted", "tp", "fp", "fn", "precision", "recall",
                               "f1", "kappa", "note"]
    assert (row["tp"], row["fp"], row["fn"], row["support"], row["predicted"]) == (1, 1, 1, 2, 2)
    # 5 units: agreement on d0:0 (1/1), d1:3 and d1:4 (0/0); po = 0.6, pe = 0.4*0.4 + 0.6*0.6 = 0.52
    assert row["kappa"] == pytest.approx((0.6 - 0.52) / 0.48)


def test_evaluate_case_level(segments):
    # segment d0:1 belongs to cases a and b; d1:3 to c; d1:4 to no case
    gold = codings([("d0:1", "voice"), ("d1:3", "trust")])
    predicted = codings([("d0:0", "voice"), ("d0:2", "trust"), ("d1:4", "trust")])
    result = evaluate(predicted, gold, segments, CODES, cases=["a", "b", "c"])
    assert result.case_gold.values.tolist() == [[1, 0, 0], [1, 0, 0], [0, 1, 0]]
    assert result.case_predicted.values.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 0]]
    assert list(result.case_cells.columns) == CASE_CELL_COLUMNS
    assert result.case_cells.values.tolist() == [["b", "voice", 1, 0], ["b", "trust", 0, 1], ["c", "trust", 1, 0]]
    cells_gold = result.case_gold.values.ravel()
    cells_pred = result.case_predicted.values.ravel()
    assert result.case_kappa == pytest.approx(cohen_kappa_score(cells_gold, cells_pred))
    voice = result.case_per_code.set_index("code").loc["voice"]
    assert (voice["gold_cases"], voice["predicted_cases"], voice["tp"], voice["fn"]) == (2, 1, 1, 1)
    assert voice["percent_agreement"] == pytest.approx(2 / 3)
    # per code, the cases the prediction gained (credited wrongly) and lost (missed)
    by_code = result.case_per_code.set_index("code")
    assert (by_code.loc["voice", "gained"], by_code.loc["voice", "lost"]) == ("", "b")
    assert (by_code.loc["trust", "gained"], by_code.loc["trust", "lost"]) == ("b", "c")
    assert "  trust: gained b; lost c" in result.summary().splitlines()
    # Reported: kappa alone could not tell a researcher why it was low; the agreement and the gold's positive cells
    # stand beside it (9 cells, 3 disagreeing, 3 positive in gold).
    assert (result.case_agreement, result.case_gold_positive) == (pytest.approx(6 / 9), 3)
    kappa = f"{result.case_kappa:.3f}"
    assert f"cases: kappa {kappa}, agreement 0.667 over 9 case × code cells, 3 positive in gold, 3 disagreeing" in \
        result.summary().splitlines()
    assert f"## Cases (case-level kappa {kappa}, agreement 0.667 over 9 cells, 3 positive in gold; per code, " \
           f"the cases gained and lost)" in result.to_markdown()


def test_evaluation_reports_and_writes(segments, tmp_path):
    gold = codings([("d0:1", "voice")])
    result = evaluate(codings([("d0:1", "voice")]), gold, segments, CODES, cases=["a", "b", "c"])
    summary = result.summary().splitlines()
    assert summary[0] == "5 units, 3 codes"
    assert summary[1].startswith("micro: precision 1.000, recall 1.000, F1 1.000")
    assert "## Per code" in result.to_markdown()
    paths = result.write(tmp_path / "eval")
    assert sorted(p.name for p in paths) == ["averages.csv", "case_cells.csv", "case_per_code.csv", "per_code.csv"]
    assert pd.read_csv(tmp_path / "eval" / "per_code.csv")["code"].tolist() == CODES


def test_evaluation_without_cases_writes_empty_case_cells(segments, tmp_path):
    result = evaluate(codings([]), codings([]), segments, CODES)
    assert result.case_gold is None and math.isnan(result.case_kappa)
    result.write(tmp_path)
    assert list(pd.read_csv(tmp_path / "case_cells.csv").columns) == CASE_CELL_COLUMNS


# --- comparison of studies ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "base, new, expected",
    [((8, 10), (1, 6), 0.0350), ((3, 4), (1, 4), 0.4857), ((5, 5), (0, 5), 0.0079), ((2, 10), (2, 10), 1.0)],
)
def test_compare_studies_fisher_p_values(base, new, expected):
    row = compare_studies({"voice": base}, {"voice": new}).iloc[0]
    table = [[base[0], base[1] - base[0]], [new[0], new[1] - new[0]]]
    assert row["p_value"] == pytest.approx(expected, abs=1e-4)
    assert row["p_value"] == pytest.approx(fisher_exact(table).pvalue)
    assert row["significant"] == (expected < 0.05)


def test_compare_studies_matrix_against_counts():
    new = pd.DataFrame({"voice": [1, 0, 0, 0, 0, 1], "extra": [1, 1, 0, 0, 0, 0]},
                       index=pd.Index(list("uvwxyz"), name="case_id"))
    table = compare_studies({"voice": (8, 10), "trust": (3, 10)}, new, labels={"voice": "Voice"})
    assert list(table.columns) == COMPARISON_COLUMNS
    assert table["code"].tolist() == ["voice", "trust", "extra"]
    voice = table.iloc[0]
    assert (voice["label"], voice["new_cases"], voice["new_n"]) == ("Voice", 2, 6)
    assert voice["difference"] == pytest.approx(2 / 6 - 0.8)
    trust = table.iloc[1]
    assert pd.isna(trust["new_cases"]) and math.isnan(trust["p_value"]) and not trust["significant"]
    assert "small" in table.attrs["note"] and "3 tests" in table.attrs["note"]


@pytest.mark.parametrize("counts, message", [((5, 3), "5 of 3 cases"), (("x", 3), "give \\(cases taking")])
def test_compare_studies_rejects_bad_counts(counts, message):
    with pytest.raises(AnalysisError, match=message):
        compare_studies({"voice": counts}, {"voice": (1, 3)})
