"""Co-occurrence, codes by attribute and the saturation curve, on made-up data with answers worked by hand."""

import pandas as pd
import pytest

from casecode.analysis import (
    case_cooccurrence,
    codes_by_attribute,
    saturation_curve,
    segment_attributes,
    unit_cooccurrence,
)
from casecode.errors import AnalysisError

CODES = ["x", "y", "z"]


@pytest.fixture
def segments():
    # doc A (case 1): units a1, a2; doc B (case 1): b1; doc C (case 2): c1, c2
    return pd.DataFrame({
        "segment_id": ["a1", "a2", "b1", "c1", "c2"],
        "document_id": ["A", "A", "B", "C", "C"],
        "speaker": ["Ann", "Ann", "Bo", "Cy", "Di"],
        "cases": [("k1",), ("k1",), ("k1",), ("k2",), ("k2",)],
    })


@pytest.fixture
def codings():
    return pd.DataFrame({
        "segment_id": ["a1", "a1", "a2", "b1", "c1", "c2", "c2"],
        "code": ["x", "y", "y", "y", "z", "x", "z"],
    })


def test_unit_cooccurrence_counts_units_with_both_codes(codings):
    table = unit_cooccurrence(codings, CODES)
    assert table.loc["x", "y"] == 1 and table.loc["y", "x"] == 1  # a1
    assert table.loc["x", "z"] == 1  # c2
    assert table.loc["y", "z"] == 0
    assert [table.loc[c, c] for c in CODES] == [2, 3, 2]  # units carrying x, y, z


def test_case_cooccurrence_counts_cases_with_both_codes():
    matrix = pd.DataFrame({"x": [1, 1, 0], "y": [1, 0, 1], "z": [0, 1, 1]}, index=["k1", "k2", "k3"])
    table = case_cooccurrence(matrix)
    assert table.loc["x", "y"] == 1 and table.loc["x", "z"] == 1 and table.loc["y", "z"] == 1
    assert [table.loc[c, c] for c in CODES] == [2, 2, 2]


def test_cooccurrence_of_no_codings_is_all_zero():
    empty = pd.DataFrame({"segment_id": [], "code": []})
    assert unit_cooccurrence(empty, CODES).to_numpy().sum() == 0


def test_codes_by_attribute_counts_cases_per_value(segments, codings):
    cases = pd.DataFrame({"case_id": ["k1", "k2"], "type": ["district", "county"]})
    documents = pd.DataFrame({"document_id": ["A", "B", "C"], "metadata": [
        {"speaker_roles": {"Ann": "Chief Executive"}}, {"speaker_roles": {"Bo": "Chief Executive"}},
        {"speaker_roles": {"Cy": "Director", "Di": "Chief Executive"}}]})
    attrs = segment_attributes(segments, documents, cases)
    by_type = codes_by_attribute(codings, attrs, CODES, "case_type")
    assert by_type.loc["district"].tolist() == [1, 1, 1, 0]  # cases, x, y, z
    assert by_type.loc["county"].tolist() == [1, 1, 0, 1]
    by_role = codes_by_attribute(codings, attrs, CODES, "role")
    # chief executives spoke in both councils: x in both (a1, c2), y only in k1, z only in k2 (c2)
    assert by_role.loc["Chief Executive"].tolist() == [2, 2, 1, 1]
    assert by_role.loc["Director"].tolist() == [1, 0, 0, 1]


def test_saturation_curve_in_given_order(segments, codings):
    curve = saturation_curve(codings, segments, ["A", "B", "C"], CODES, n_orders=None)
    assert curve["new_codes"].tolist() == [2, 0, 1]
    assert curve["codes"].tolist() == [2, 2, 3]
    # pairs: A gives (k1,x),(k1,y); B nothing new; C gives (k2,z),(k2,x)
    assert curve["new_case_codes"].tolist() == [2, 0, 2]
    assert curve["case_codes"].tolist() == [2, 2, 4]


def test_saturation_curve_random_orders_average_exactly(segments, codings):
    curve = saturation_curve(codings, segments, ["A", "B", "C"], CODES, n_orders=None)
    # first document alone: A has 2 codes, B 1, C 2 -> mean 5/3; after all three: always 3
    assert curve["random_codes"].tolist() == pytest.approx([5 / 3, pytest.approx(8 / 3), 3])
    assert curve["random_case_codes"].iloc[-1] == pytest.approx(4)
    # the new pairs of all steps add up to the final total in every order
    assert sum(curve["random_new_case_codes"]) == pytest.approx(4)


def test_saturation_curve_sampled_orders_are_seeded(segments, codings):
    one = saturation_curve(codings, segments, ["A", "B", "C"], CODES, n_orders=50, seed=3)
    two = saturation_curve(codings, segments, ["A", "B", "C"], CODES, n_orders=50, seed=3)
    pd.testing.assert_frame_equal(one, two)


def test_saturation_curve_refuses_a_repeated_document(segments, codings):
    with pytest.raises(AnalysisError, match="names a document twice"):
        saturation_curve(codings, segments, ["A", "A"], CODES)


def test_codes_by_attribute_leaves_out_units_not_coded(segments, codings):
    """An interviewer's turns carry no role and are never coded: they made '(none)' a role of every case."""
    asked = pd.DataFrame({"segment_id": ["q1", "q2"], "document_id": ["A", "C"], "speaker": ["Tom", "Tom"],
                          "cases": [("k1",), ("k2",)]})
    units = pd.concat([segments.assign(codable=True), asked.assign(codable=False)], ignore_index=True)
    documents = pd.DataFrame({"document_id": ["A", "B", "C"], "metadata": [
        {"speaker_roles": {"Ann": "Chief Executive"}}, {},
        {"speaker_roles": {"Di": "Chief Executive"}, "interviewee": "Cy", "role": "Director"}]})
    by_role = codes_by_attribute(codings, segment_attributes(units, documents), CODES, "role")
    assert by_role.index.tolist() == ["(none)", "Chief Executive", "Director"]
    assert by_role.loc["(none)"].tolist() == [1, 0, 1, 0]  # Bo's b1 in k1 only, not Tom's questions in k2
    assert by_role.loc["Director"].tolist() == [1, 0, 0, 1]  # Cy, the interviewee named by the file
