"""The 2015 report parser: cases, segments, attribution and the chart's recovered figures."""

import pandas as pd
import pytest

from casecode.corpus import CaseMatcher, check_offsets, read_cases
from casecode.studies import parse_report, quantifier_range
from casecode.errors import CasecodeWarning, CorpusError

from conftest import COUNCILS

CASE_IDS = [
    "monmouthshire", "surrey", "bristol", "oldham", "south_tyneside", "wigan",
    "east_hampshire_havant", "mid_suffolk_babergh", "staffordshire_moorlands_high_peak",
]


@pytest.fixture(scope="module")
def matcher():
    return CaseMatcher(read_cases(COUNCILS))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Staffordshire Moorland and High Peak senior managers make a huge effort", ("staffordshire_moorlands_high_peak",)),
        ("Staffordshire Moorlands and High Peak' senior managers stressed", ("staffordshire_moorlands_high_peak",)),
        ("Staffordshire Moorlands District and  \nHigh Peak Borough Councils", ("staffordshire_moorlands_high_peak",)),
        ("For example, in Havant councillors and staff spent many months", ("east_hampshire_havant",)),
        ("East Hampshire's cabinet", ("east_hampshire_havant",)),
        ("In Mid Suffolk, and across the Suffolk system", ("mid_suffolk_babergh",)),
        ("South Tynesdie managers", ("south_tyneside",)),  # a transposition typo
        ("both South Tyneside and Staffordshire Moorlands and High Peak have joint ventures",
         ("south_tyneside", "staffordshire_moorlands_high_peak")),
        ("The survey asked managers", ()),  # 'survey' is not Surrey
        ("The Suffolk Public Service Reform Programme", ()),  # the county alone is not a case
        ("Monmouthpedia in Monmouth", ()),
    ],
)
def test_case_matcher_survives_misspellings(matcher, text, expected):
    assert matcher.find(text) == expected


def test_report_has_nine_cases_grouped_as_the_report(report):
    assert list(report.cases.case_id) == CASE_IDS
    assert [g for g, _ in report.groups] == ["COUNTY COUNCILS", "METROPOLITAN COUNCILS", "DISTRICT COUNCILS"]
    assert [c for _, ids in report.groups for c in ids] == CASE_IDS


def test_report_offsets_point_at_segment_text(report):
    check_offsets(report.document)
    assert report.segments.segment_id.is_unique


def test_report_appendix_two_items_per_council(report):
    segs = report.segments
    a2 = segs[segs.kind == "appendix2"]
    counts = a2.groupby(a2.cases.map(lambda c: c[0])).size().to_dict()
    assert counts == {
        "monmouthshire": 8, "surrey": 6, "bristol": 6, "oldham": 6, "south_tyneside": 7, "wigan": 7,
        "east_hampshire_havant": 6, "mid_suffolk_babergh": 6, "staffordshire_moorlands_high_peak": 6,
    }
    assert "Really listening to local residents" in set(a2.text)


def test_report_mends_paragraphs_broken_by_the_export(report):
    segs = report.segments.set_index("segment_id")
    bristol = segs[segs.text.str.startswith("In Bristol, 100 third tier managers")].iloc[0]
    assert "Applied Programme in Service Improvement" in bristol.text
    assert bristol.cases == ("bristol",)
    surrey = segs[segs.text.str.startswith("Public service transformation")].iloc[0]
    assert surrey.text.endswith("services")


def test_report_quotes_are_attributed_by_their_byline(report):
    segs = report.segments
    quotes = segs[segs.kind == "quote"]
    assert len(quotes) == 22
    baker = quotes[quotes.text.str.contains("Simon Baker")].iloc[0]
    assert baker.cases == ("staffordshire_moorlands_high_peak",)
    assert baker.heading == "Be disciplined, focused and determined"


def test_report_passage_naming_no_council_stays_unattributed(report):
    segs = report.segments
    bason = segs[segs.text.str.startswith("Bason (2010)")].iloc[0]
    assert bason.cases == ()


EXPECTED_FIGURES = [
    ("Be bold, ambitious, united and passionate", "all", 9, 9),
    ("Build innovative partnerships", "all", 9, 9),
    ("Create an innovative organisational culture", "all but one", 8, 8),
    ("Develop and empower innovative leaders", "almost all", 7, 8),
    ("Understand and involve residents", "six", 6, 6),
    ("Move with pace, take considered risks", "six", 6, 6),
    ("Resource priority innovation processes", "five", 5, 5),
    ("Engage employees", "five", 5, 5),
    ("Be disciplined, focused and determined", "five", 5, 5),
    ("Learn from elsewhere", "several", 3, 5),
    ("Use more 'agile' processes", "several", 3, 5),
]


@pytest.mark.parametrize("heading, quantifier, low, high", EXPECTED_FIGURES)
def test_report_recovers_chart_figure(report, heading, quantifier, low, high):
    row = report.quantifiers.set_index("heading").loc[heading]
    assert (row.quantifier, row.reported_min, row.reported_max) == (quantifier, low, high)
    assert report.document.text[row.start:row.end].replace("\n", " ").startswith(row.sentence[:30])


def test_report_recovers_all_eleven_headings_in_order(report):
    assert report.action_headings == [h for h, *_ in EXPECTED_FIGURES]
    assert list(report.quantifiers.heading) == report.action_headings


@pytest.mark.parametrize(
    "phrase, expected", [("all", (9, 9)), ("all but one", (8, 8)), ("almost all", (7, 8)), ("Six", (6, 6)),
                         ("several", (3, 5)), ("12", (12, 12))]
)
def test_quantifier_range(phrase, expected):
    assert quantifier_range(phrase, 9)[:2] == expected


def test_quantifier_range_unknown_phrase_is_an_error():
    with pytest.raises(CorpusError, match="quantifier 'umpteen' has no count rule"):
        quantifier_range("umpteen", 9)


def test_report_framework_has_eight_questions_in_three_groups(report):
    groups = pd.DataFrame(report.framework).groupby("group", sort=False).size()
    assert groups.to_dict() == {"Central Focus": 1, "Key Drivers": 3, "Key Enablers": 4}
    assert all(item["prompts"] for item in report.framework)


def test_parse_report_missing_file_is_a_one_line_error(tmp_path):
    with pytest.raises(CorpusError, match=r"nope.txt: report not found"):
        parse_report(tmp_path / "nope.txt", COUNCILS)


def test_parse_report_rejects_other_text(tmp_path):
    other = tmp_path / "other.txt"
    other.write_text("# Something else\n\nNo actions here.\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="no '# KEY LEADERSHIP ACTIONS IN THE CASE STUDIES' heading"):
        parse_report(other, COUNCILS)


def test_read_cases_unknown_column(tmp_path):
    bad = tmp_path / "cases.csv"
    bad.write_text("case_id,name,colour\nx,X,red\n", encoding="utf-8")
    with pytest.raises(CorpusError) as err:
        read_cases(bad)
    assert str(err.value) == (
        f"{bad}: unknown column 'colour' in the header; allowed: case_id, name, type, members, aliases"
    )


def test_read_cases_not_utf8_is_read_as_windows_1252_with_a_warning(tmp_path):
    """A case table saved by Excel as Windows-1252 stopped with a decoding traceback; now it reads as a manifest or
    a transcript in that encoding does, with a warning naming the file."""
    table = tmp_path / "cases.csv"
    table.write_bytes("case_id,name,aliases\nynys_mon,Cyngor Sir Ynys Môn,Môn; Anglesey’s council\n".encode("cp1252"))
    with pytest.warns(CasecodeWarning) as caught:
        cases = read_cases(table)
    assert [str(w.message) for w in caught] == [
        f"{table}: not UTF-8; read as Windows-1252 — save it as UTF-8 to silence this"]
    assert cases.aliases.tolist() == [("Cyngor Sir Ynys Môn", "Môn", "Anglesey’s council")]


@pytest.mark.parametrize(
    "content, message",
    [
        (" \n", "the case table is empty; give it a header row (case_id, name, ...) and a row a case"),
        ("case_id,name\nx,X\n,Why\n", "row 3, column 'case_id': empty; give every case an id"),
        ("case_id,name\nx,X\ny,Y\nx,Ex\n", "row 4: case_id 'x' is already used in row 2; give each case its own id"),
        ("case_id,name,type\nbanes,Bath and North East Somerset, Council,unitary\n",
         "row 2: 4 cells but the header has 3 columns; quote cells that contain commas"),
    ],
    ids=["empty", "blank-case-id", "twice", "unquoted-comma"],
)
def test_read_cases_errors_name_the_file_and_row(tmp_path, content, message):
    """An empty table said "put the document's text in it", a case id given twice named neither file nor row, and
    a name with an unquoted comma shifted the type into the members without a word."""
    table = tmp_path / "cases.csv"
    table.write_text(content, encoding="utf-8")
    with pytest.raises(CorpusError) as err:
        read_cases(table)
    assert str(err.value) == f"{table}: {message}"


def test_read_cases_skips_the_empty_rows_a_spreadsheet_leaves(tmp_path):
    table = tmp_path / "cases.csv"
    table.write_text("case_id,name,type\nx,X,county\n,,\n, ,\n", encoding="utf-8")
    assert read_cases(table).case_id.tolist() == ["x"]
