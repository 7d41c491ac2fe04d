"""The 2015 reproduction end to end, the reference coding's coverage, and the replication recipe."""

import csv
import re

import docx
import pandas as pd
import pytest

from casecode.errors import CorpusError
from casecode.studies import load_study, reproduce
from casecode.studies.replication import compare, start_replication
from casecode.studies.solace2015 import map_headings, read_reference_coding

from conftest import ROOT, STUDY

COUNCIL_NAMES = [
    "Monmouthshire", "Surrey", "Bristol", "Oldham", "South Tyneside", "Wigan", "East Hampshire and Havant",
    "Mid Suffolk and Babergh", "Staffordshire Moorlands and High Peak",
]
ACTIONS = ["bold", "partnerships", "culture", "leaders", "residents", "pace_risk", "resources", "employees",
           "disciplined", "learn", "agile"]


@pytest.fixture(scope="module")
def study():
    return load_study()


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return reproduce(tmp_path_factory.mktemp("repro") / "out")


def test_reference_coding_covers_every_attributed_segment_once_decided(study):
    with (STUDY / "reference_coding.csv").open(encoding="utf-8") as fh:
        decided = {row["segment_id"] for row in csv.DictReader(fh)}
    assert decided == set(study.scope.segment_id)
    assert set(study.reference.code) <= set(study.codebook.ids)


def test_reference_coding_bad_code_names_row_and_column(study, tmp_path):
    bad = tmp_path / "ref.csv"
    bad.write_text("segment_id,code,rationale\na2-wigan-01,boldness,x\n", encoding="utf-8")
    with pytest.raises(CorpusError) as err:
        read_reference_coding(bad, study.scope, study.codebook)
    assert str(err.value).startswith(f"{bad}: row 2, column 'code': 'boldness' is not in the codebook")


def test_headings_map_to_the_eleven_codes_in_order(study):
    assert list(study.heading_codes.values()) == ACTIONS


def test_map_headings_names_an_unknown_heading(study):
    with pytest.raises(CorpusError, match="report heading 'Be lucky' matches no code label"):
        map_headings(["Be lucky"], study.codebook)


def test_reproduce_writes_every_output(run):
    names = {p.name for p in run.out.iterdir()}
    assert {
        "actions_by_council_reference.csv", "actions_by_council_automatic.csv", "councils_per_action.csv",
        "councils_per_action.png", "councils_per_action.svg", "appendix_two.docx", "appendix_two.md",
        "count_statements.csv",
        "reconciliation.md", "project",
    } <= names
    assert (run.out / "project" / "project.sqlite").is_file()
    assert not [n for n in names if n.startswith(".reproduce-")]  # the staging folder is gone


def test_reproduce_matrices_have_a_row_per_council_and_a_column_per_action(run):
    for name in ("reference", "automatic"):
        matrix = pd.read_csv(run.out / f"actions_by_council_{name}.csv", index_col=0)
        assert len(matrix) == 9
        assert list(matrix.columns) == ACTIONS
        assert set(matrix.to_numpy().ravel()) <= {0, 1}


def test_councils_per_action_puts_counts_beside_reported_ranges(run):
    table = pd.read_csv(run.out / "councils_per_action.csv")
    assert list(table.columns) == ["action", "label", "reported_phrase", "reported_min", "reported_max",
                                   "other_statements", "counted", "reference", "automatic", "councils_counted",
                                   "councils_reference", "councils_automatic"]
    assert list(table.action) == ACTIONS
    reference = pd.read_csv(run.out / "actions_by_council_reference.csv", index_col=0)
    assert table.set_index("action").reference.to_dict() == reference.sum().to_dict()
    assert (table.counted <= table.reference).all()
    statements = pd.read_csv(run.out / "count_statements.csv")
    assert set(statements.action.dropna()) == set(ACTIONS)


def test_reconciliation_gives_every_action_its_counts_and_every_difference_its_passages(run):
    table = pd.read_csv(run.out / "councils_per_action.csv")
    text = (run.out / "reconciliation.md").read_text(encoding="utf-8")
    for row in table.itertuples():
        section = text[text.index(f"(`{row.action}`)"):]
        section = section[: section.find("\n## ") if "\n## " in section else None]
        assert f"| the report's counting sentence only | {row.counted} |" in section
        assert f"| any evidence | {row.reference} |" in section
        assert f"Automatic coding: {row.automatic} councils" in section
        inside = row.reported_min <= row.counted <= row.reported_max
        assert ("lies inside the reported range" in section) == inside
        if not inside:
            assert re.search(r"^- \*\*", section, re.M)  # the councils behind the difference, each listed


def test_appendix_two_docx_holds_all_nine_councils_and_ticks(run):
    document = docx.Document(run.out / "appendix_two.docx")
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    for name in COUNCIL_NAMES:
        assert name in headings
    assert "Leadership actions by council (Appendix Two items only)" in headings
    items_table, evidence_table = document.tables[-2:]
    reference = pd.read_csv(run.out / "actions_by_council_reference.csv", index_col=0)
    ticks = sum(cell.text == "✓" for row in evidence_table.rows[1:] for cell in row.cells)
    assert ticks == int(reference.to_numpy().sum())
    leaders = [row.cells[4].text for row in items_table.rows[1:]]  # only Monmouthshire names it in Appendix Two
    assert leaders.count("✓") == 1


def test_appendix_two_writers_live_with_the_study_and_the_old_names_still_work():
    import casecode.reports
    from casecode.studies import appendix_two_docx

    with pytest.warns(DeprecationWarning, match="moved to casecode.studies.appendix_two_docx"):
        assert casecode.reports.appendix_two_docx is appendix_two_docx
    assert "appendix_two_docx" not in casecode.reports.__all__


def test_appendix_two_markdown_lists_items_with_codes(run):
    text = (run.out / "appendix_two.md").read_text(encoding="utf-8")
    assert "Really listening to local residents — coded: Understand and involve residents" in text


def test_reproduce_store_keeps_reference_and_suggestions(run):
    from casecode.store import open_project

    with open_project(run.project) as project:
        statuses = project.codings().status.value_counts().to_dict()
        assert statuses["reference"] > 100 and statuses["suggested"] > 100
        assert len(project.cases()) == 9
        assert project.baseline("solace-2015")["n_cases"] == 9
        assert project.load_model("combined")


def test_replication_starts_open_with_baseline_and_compares(tmp_path):
    from casecode.workflow import add_files, code_project

    demo = ROOT / "corpus" / "demo-replication"
    project = start_replication(tmp_path / "rep")
    try:
        meta = project.models().set_index("name").meta["combined"]
        assert "training transcripts" in meta["trained_on"] and set(meta["combination"]) >= {"blend", "threshold"}
        add_files(project, manifest=demo / "manifest.csv")
        suggestions = code_project(project)
        assert len(suggestions) > 0 and (suggestions.coder == "combined").all()
        files = compare(project, tmp_path / "cmp", include_suggested=True)
    finally:
        project.close()
    names = {p.name for p in files}
    assert {"comparison.csv", "comparison_2015.png", "comparison_report.docx", "appendix_two.docx"} <= names
    table = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    assert (table.baseline_n == 9).all() and (table.new_n == 5).all()
    assert table.p_value.between(0, 1).all()
    report = docx.Document(tmp_path / "cmp" / "comparison_report.docx")
    assert any("Fisher" in p.text for p in report.paragraphs)


def test_replication_of_one_council_says_one_transcript_and_names_its_role(tmp_path):
    """The comparison report's first page counts in the singular for one council ("1 transcripts from 1
    councils" before), and its Appendix Two names the role the file's front matter gives."""
    from casecode.workflow import add_files, code_project

    (tmp_path / "ynys.md").write_text(
        "---\ncase: Cyngor Sir Ynys Môn\ninterviewee: Siân Owen\nrole: Leader\ninterviewer: Sam Greer\n---\n"
        "Sam Greer: Partners?\n\nSiân Owen: We built a partnership with the health trust and the police.\n",
        encoding="utf-8")
    project = start_replication(tmp_path / "rep")
    try:
        add_files(project, [tmp_path / "ynys.md"])
        code_project(project)
        compare(project, tmp_path / "cmp", include_suggested=True)
    finally:
        project.close()
    text = [p.text for p in docx.Document(tmp_path / "cmp" / "comparison_report.docx").paragraphs]
    assert any("“New study” means the 1 transcript from 1 council in this project" in t for t in text)
    assert any("— Siân Owen, Leader, Cyngor Sir Ynys Môn" in t for t in text)


def test_new_appendix_quotes_the_sentence_without_the_speaker_label():
    from casecode.corpus import speaker_label_end
    from casecode.studies.replication import _sentence_around

    text = "Ann Lee (Director): We tried it on one estate. Then we rolled it out. It worked."
    start = text.index("rolled")
    assert _sentence_around(text, start, start + 6, speaker_label_end(text, "Ann Lee")) == "Then we rolled it out."
    assert _sentence_around(text, 20, 25, speaker_label_end(text, "Ann Lee")) == "We tried it on one estate."
    # Its own sentence ends, not the findings report's: an ellipsis or a bracket does not end a sentence here.
    text = "Ann Lee: We waited… Then [we] rolled it out. It worked."
    start = text.index("rolled")
    assert _sentence_around(text, start, start + 6, speaker_label_end(text, "Ann Lee")) == (
        "We waited… Then [we] rolled it out.")


def test_training_transcripts_hold_every_set_and_every_code():
    from casecode.studies.transcripts import training_transcripts

    units, gold = training_transcripts(ROOT)
    assert set(units.set) == {f"set{i}" for i in range(1, 52)}
    assert units.codable.all() and set(gold.segment_id) <= set(units.segment_id)
    per_code = gold.code.value_counts()
    assert all(per_code.get(code, 0) >= 20 for code in ("bold", "partnerships", "culture", "leaders", "residents",
                                                           "pace_risk", "resources", "employees", "disciplined",
                                                           "learn", "agile"))


# The interviewer each writer of sets 35-51 names (their README): workshops of seven or eight numbered speakers
# whose facilitator is not Speaker 1, first-name and surname labels, speech-recognition calls whose interviewee
# speaks first, partners' groups whose interviewer is labelled by name.
_NAMED_INTERVIEWERS = {
    ("set35", "mardale-district-council"): "Speaker 1", ("set35", "ollerton-borough-council"): "Speaker 8",
    ("set35", "ruddington-city-council"): "Kath", ("set35", "sandrock-district-council"): "Speaker 2",
    ("set36", "tarrant-borough-council"): "Interviewer", ("set36", "brackenridge-district-council"): "INTERVIEWER",
    ("set36", "cresswick-city-council"): "Q", ("set36", "felbridge-county-council"): "Speaker 1",
    ("set37", "hollowmead-district-council"): "Interviewer", ("set37", "kestlebury-borough-council"): "INTERVIEWER",
    ("set37", "marrowfield-city-council"): "Q", ("set37", "netherstow-county-council"): "Speaker 1",
    ("set38", "pennockby-district-council"): "Interviewer", ("set38", "quillford-borough-council"): "Q",
    ("set38", "rushwick-city-council"): "DAVIES", ("set38", "thornaby-vale-district-council"): "Speaker 1",
    ("set39", "upwey-district-council"): "Speaker 1", ("set39", "venngreen-borough-council"): "Speaker 1",
    ("set39", "westleton-city-council"): "Speaker 2", ("set39", "yaxford-district-council"): "Speaker 1",
    ("set40", "ashwell-district-council"): "Interviewer", ("set40", "bramcote-borough-council"): "TOM REEVE",
    ("set40", "coldstow-city-council"): "Speaker 1", ("set40", "dewsall-county-council"): "Priya Lal",
    ("set41", "zeal"): "Speaker 1", ("set41", "abbotsham"): "Hannah", ("set41", "bratton"): "Speaker 2",
    ("set41", "clannaborough"): "Speaker 1", ("set42", "dolton"): "Interviewer", ("set42", "eggesford"): "Q",
    ("set42", "frithelstock"): "Interviewer", ("set42", "germansweek"): "Speaker 1",
    ("set43", "romansleigh"): "Speaker 1", ("set43", "shebbear"): "Speaker 1", ("set43", "thelbridge"): "Speaker 1",
    ("set43", "uplowman"): "Speaker 1", ("set44", "washfield"): "Q", ("set44", "yarcombe"): "Q",
    ("set44", "cadeleigh"): "Q", ("set44", "dunterton"): "Q",
    ("set45", "beaford"): "Speaker 1", ("set45", "winkleigh"): "Speaker 1", ("set45", "meeth"): "Speaker 1",
    ("set45", "langtree"): "Speaker 1", ("set46", "parkham"): "Interviewer", ("set46", "alwington"): "Q",
    ("set46", "landcross"): "Speaker 1", ("set46", "huntshaw"): "Tom Breck",
    ("set47", "duloe"): "Speaker 1", ("set47", "lanreath"): "Speaker 1", ("set47", "pelynt"): "Speaker 1",
    ("set47", "lansallos"): "Speaker 1", ("set48", "lanteglos"): "Interviewer", ("set48", "braddock"): "Q",
    ("set48", "boconnoc"): "Speaker 1", ("set48", "lanhydrock"): "Tom Rilla",
    ("set49", "lanivet"): "Interviewer", ("set49", "withiel"): "Q", ("set49", "helland"): "Speaker 1",
    ("set49", "blisland"): "Tom Reyes", ("set50", "ladock"): "Interviewer", ("set50", "grampound"): "Q",
    ("set50", "veryan"): "Speaker 1", ("set50", "philleigh"): "Hollis Yeo", ("set51", "gerrans"): "Interviewer",
    ("set51", "feock"): "Q", ("set51", "kenwyn"): "Speaker 1", ("set51", "cuby"): "Leon Hartigan",
}


@pytest.mark.parametrize("folder, document", sorted(_NAMED_INTERVIEWERS))
def test_training_transcripts_interviewer_is_the_one_their_writer_names(folder, document):
    from casecode.corpus import read_document, segments_frame

    doc = read_document(ROOT / "corpus" / "training-transcripts" / folder / f"{document}.txt")
    segments = segments_frame(doc.segments)
    assert set(segments.speaker[segments.role == "interviewer"]) == {_NAMED_INTERVIEWERS[folder, document]}

def test_training_transcripts_missing_folder_is_a_one_line_error(tmp_path):
    from casecode.studies.transcripts import training_transcripts

    with pytest.raises(CorpusError, match="no training sets"):
        training_transcripts(tmp_path)


def test_transcript_coder_is_fitted_once_and_refitted_when_the_cache_is_damaged(monkeypatch, tmp_path):
    from casecode.coders import CombinedCoder, LearnedCoder, RuleCoder, load_nlp
    from casecode.studies import transcripts

    from conftest import LABELS, TEXTS

    monkeypatch.setenv("CASECODE_CACHE", str(tmp_path))
    fits = []

    def cheap_fit(study, units, gold, nlp_name=None, make_model=None, rules=None):
        fits.append(len(units))
        model = LearnedCoder(calibration=None).fit(TEXTS, LABELS)
        return CombinedCoder(rules or RuleCoder(study.codebook, load_nlp()), model, blend=0.6, threshold=None)

    monkeypatch.setattr(transcripts, "fit_transcript_coder", cheap_fit)
    first = transcripts.transcript_coder()
    cached = list(tmp_path.glob("transcript-coder-*.npz"))
    assert len(fits) == 1 and len(cached) == 1 and fits[0] > 700
    again = transcripts.transcript_coder()
    assert len(fits) == 1 and again.settings() == first.settings() == {**first.settings(), "blend": 0.6}
    cached[0].write_bytes(b"not a saved coder")
    transcripts.transcript_coder()
    assert len(fits) == 2 and cached[0].read_bytes() != b"not a saved coder"
    # the blank pipeline under a project's name for it ("blank:en") is the same coder: no second fit
    transcripts.transcript_coder("blank:en")
    transcripts.transcript_coder("blank")
    assert len(fits) == 2 and len(list(tmp_path.glob("transcript-coder-*.npz"))) == 1


def test_a_second_study_of_another_domain_reproduces_through_the_same_command(tmp_path, monkeypatch):
    """The toy schools study is only data (corpus/schools-demo/) and a few lines under studies/."""
    from typer.testing import CliRunner

    from casecode.cli import app
    from casecode.store import open_project

    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, ["reproduce", "--study", "schools-demo", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "Case-level agreement with the reference: 0.889" in result.output
    automatic = pd.read_csv(tmp_path / "out" / "cases_by_code_automatic.csv", index_col=0)
    assert automatic.to_dict("index") == {
        "ashgrove_primary_school": {"mentoring": 1, "parents": 0, "data": 1},
        "birchfield_academy": {"mentoring": 0, "parents": 1, "data": 0},
        "cedar_high_school": {"mentoring": 1, "parents": 1, "data": 1},
    }
    table = pd.read_csv(tmp_path / "out" / "cases_per_code.csv")
    assert list(zip(table.code, table.reference, table.automatic)) == [("mentoring", 2, 2), ("parents", 2, 2),
                                                                      ("data", 1, 2)]
    svg = (tmp_path / "out" / "cases_per_code.svg").read_text(encoding="utf-8")
    assert "Practices the demonstration schools describe" in svg and "Key leadership" not in svg
    with open_project(tmp_path / "out" / "project") as project:
        assert project.coder == "rules" and len(project.codings()) == 7 and len(project.cases()) == 3
    unknown = CliRunner().invoke(app, ["reproduce", "--study", "nowhere", "--out", str(tmp_path / "x")])
    assert unknown.exit_code == 1 and "unknown study 'nowhere'; choose one of 2015, schools-demo" in unknown.output


# --- the study's evaluation: held-out folders are arguments ----------------------------------------------------------


@pytest.fixture
def quick_evaluation(monkeypatch):
    """`evaluate --study 2015` with its in-sample sections stubbed and a small transcript coder, so the held-out
    plumbing is tested in seconds (the figures themselves are pinned by the golden codings)."""
    from conftest import LABELS, TEXTS

    from casecode.coders import CombinedCoder, LearnedCoder, RuleCoder, load_nlp
    from casecode.studies import evaluation

    for name in ("placement_evaluation", "appendix_evaluation", "training_evaluation"):
        monkeypatch.setattr(evaluation, name, lambda *a, **k: {})
    coder = CombinedCoder(RuleCoder(load_study().codebook, load_nlp()), LearnedCoder().fit(TEXTS, LABELS))
    monkeypatch.setattr(evaluation, "transcript_coder", lambda *a, **k: coder)
    return evaluation


def test_evaluate_study_scores_each_heldout_folder_it_is_given_and_pools_them(quick_evaluation, tmp_path):
    from typer.testing import CliRunner

    from casecode.cli import app

    folders = [ROOT / "tests" / "data" / "unseen", ROOT / "tests" / "data" / "unseen2"]
    args = ["evaluate", "--study", "2015", "--out", str(tmp_path / "ev")]
    result = CliRunner().invoke(app, args + [a for f in folders for a in ("--heldout", str(f))])
    assert result.exit_code == 0, result.output
    titles = [line for line in result.output.splitlines() if line and not line.startswith(" ")]
    assert titles == [f"Held-out transcripts ({folders[0]}), never tuned on; model fitted on all training sets",
                      f"Held-out set 2 ({folders[1]}), never tuned on; same coder",
                      "All held-out sets pooled (unseen, unseen2); same coder"]
    assert re.search(r"^  combined  micro P \d\.\d{3} R \d\.\d{3} F1 \d\.\d{3}", result.output, re.M)
    assert re.search(r"\| case-level kappa -?\d\.\d{3}, agreement \d\.\d{3} over \d+ cells, \d+ positive in gold$",
                     result.output, re.M)
    assert {p.name for p in (tmp_path / "ev").iterdir()} == {"unseen", "unseen2", "heldout"}
    # no folder given: no held-out section, and no held-out folder read of the library's own accord
    assert quick_evaluation.evaluate_study("2015") == []


@pytest.mark.parametrize("make, message", [
    (lambda tmp: tmp / "missing", "missing: no such folder; --heldout names a folder of transcripts (*.txt) and their "
                                  "gold.csv (document, unit, code)"),
    (lambda tmp: (tmp / "x.txt").write_text("Q: hi\n") and tmp, "no gold.csv; a held-out folder holds transcripts"),
])
def test_evaluate_study_refuses_a_folder_that_is_not_a_heldout_set_before_any_work(make, message, tmp_path,
                                                                                   monkeypatch):
    from typer.testing import CliRunner

    from casecode.cli import app
    from casecode.studies import evaluation

    monkeypatch.setattr(evaluation, "load_study", lambda *a: pytest.fail("the study was loaded before the check"))
    result = CliRunner().invoke(app, ["evaluate", "--study", "2015", "--heldout", str(make(tmp_path))])
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_heldout_needs_study():
    from typer.testing import CliRunner

    from casecode.cli import app

    result = CliRunner().invoke(app, ["evaluate", "--heldout", "tests/data/unseen"])
    assert result.exit_code == 1
    assert "Error: --heldout goes with --study (casecode evaluate --study 2015 --heldout DIR)" in result.output


@pytest.mark.parametrize("embeddings", [False, True])
def test_evaluation_measures_the_embedding_coder_only_when_asked(embeddings, monkeypatch):
    """Installed or not, the slow sentence-embedding coder is neither imported nor fitted without --embeddings."""
    import sys

    import casecode.coders as coders
    from casecode.studies import evaluation

    class StandIn:  # the embedding coder, as if the extra were installed
        pass

    for name, value in (("embeddings_available", lambda: True), ("EmbeddingCoder", StandIn)):
        if embeddings:
            monkeypatch.setattr(coders, name, value)
        else:  # gone, so reaching for either (or importing the module) fails the test
            monkeypatch.delattr(coders, name, raising=False)
    if not embeddings:
        monkeypatch.setitem(sys.modules, "casecode.coders._embed", None)
    fitted = []
    monkeypatch.setattr(evaluation, "cross_fit", lambda segments, labels, step: fitted.append(step) or
                        segments.iloc[:0].assign(code="", coder=""))
    monkeypatch.setattr(evaluation, "evaluate", lambda codings, *a, **k: len(codings))
    names = set(evaluation.placement_evaluation(load_study(), embeddings=embeddings))
    expected = {"rules", "model", "combined"} | ({"emb-model", "emb-comb"} if embeddings else set())
    assert names == expected and len(fitted) == len(expected) - 1


def test_evaluate_passes_embeddings_on_and_refuses_it_without_the_extra(quick_evaluation, monkeypatch):
    from typer.testing import CliRunner

    import casecode.coders as coders
    from casecode.cli import app

    asked = []
    monkeypatch.setattr(quick_evaluation, "placement_evaluation", lambda *a, **k: asked.append(a[3:]) or {})
    monkeypatch.setattr(coders, "embeddings_available", lambda: True)
    assert CliRunner().invoke(app, ["evaluate", "--study", "2015"]).exit_code == 0
    assert CliRunner().invoke(app, ["evaluate", "--study", "2015", "--embeddings"]).exit_code == 0
    assert asked == [(False,), (True,)]
    monkeypatch.setattr(coders, "embeddings_available", lambda: False)
    monkeypatch.setattr(quick_evaluation, "load_study", lambda *a: pytest.fail("the study was loaded before the check"))
    result = CliRunner().invoke(app, ["evaluate", "--study", "2015", "--embeddings"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "Error: --embeddings needs the sentence-embedding model, which is not installed; install the extra" in (
        result.output)
    alone = CliRunner().invoke(app, ["evaluate", "--embeddings"])
    assert alone.exit_code == 1
    assert "Error: --embeddings goes with --study (casecode evaluate --study 2015 --embeddings)" in alone.output


@pytest.mark.parametrize("name, message", [
    ("schools-demo", "study 'schools-demo' has no evaluation (casecode reproduce --study schools-demo rebuilds it); "
                     "the studies casecode can evaluate: '2015'"),
    ("2016", "unknown study '2016'; the studies casecode can evaluate: '2015'"),
])
def test_evaluate_study_refusal_names_the_study_given_and_those_it_can_evaluate(name, message, monkeypatch):
    """Found in an audit: the refusal hard-coded '2015' ("the study casecode can evaluate is '2015'") and called a
    study casecode ships, schools-demo, unknown. It is built from catalogue.EVALUABLE and names the study given."""
    from typer.testing import CliRunner

    from casecode.cli import app
    from casecode.errors import CorpusError
    from casecode.studies import catalogue, evaluation

    monkeypatch.setattr(evaluation, "load_study", lambda *a: pytest.fail("the study was loaded before the check"))
    result = CliRunner().invoke(app, ["evaluate", "--study", name])
    assert result.exit_code == 1 and result.output == f"Error: {message}\n"
    monkeypatch.setattr(catalogue, "EVALUABLE", ("2015", "2031"))
    evaluation.check_evaluable("2031")
    with pytest.raises(CorpusError, match=r"the studies casecode can evaluate: '2015', '2031'$"):
        evaluation.check_evaluable(name)


def test_check_study_message_lists_the_studies_a_replication_can_start_from(monkeypatch):
    """The refusal is built from catalogue.REPLICABLE, so a study added there is named (and accepted) too."""
    from casecode.errors import StoreError
    from casecode.studies import catalogue
    from casecode.studies.replication import check_study

    monkeypatch.setattr(catalogue, "REPLICABLE", ("2015", "2031"))
    check_study("2031")
    with pytest.raises(StoreError) as refused:
        check_study("2016")
    assert str(refused.value) == "unknown study '2016'; choose a study casecode can start a replication from: " \
                                 "'2015', '2031'"
