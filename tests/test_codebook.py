"""The codebook room: validation messages, and the shipped 2015 leadership-actions codebook."""

import re
from pathlib import Path

import pytest

from casecode.codebook import read_codebook, write_codebook
from casecode.errors import CodebookError

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "codebooks" / "leadership-actions-2015.yaml"
REPORT = Path("/work/shared/study/000_aa51f6fa554a6e86.txt")

ELEVEN = ["bold", "partnerships", "culture", "leaders", "residents", "pace_risk", "resources", "employees",
          "disciplined", "learn", "agile"]
# The report's "##" headings under KEY LEADERSHIP ACTIONS IN THE CASE STUDIES, in order.
HEADINGS = [
    "Be bold, ambitious, united and passionate", "Build innovative partnerships",
    "Create an innovative organisational culture", "Develop and empower innovative leaders",
    "Understand and involve residents", "Move with pace, take considered risks",
    "Resource priority innovation processes", "Engage employees", "Be disciplined, focused and determined",
    "Learn from elsewhere", "Use more 'agile' processes",
]
RARER = {"commissioning": "Commissioning for innovation", "digital": "Maximising digital expertise",
         "cross_council": "Fostering cross council networks",
         "recruiting": "Recruiting staff with the right attitudes for innovation"}


@pytest.fixture(scope="module")
def shipped():
    return read_codebook(SHIPPED)


# --- validation messages -------------------------------------------------------------------------------------------

_CODE = "- id: bold\n  label: Bold\n"
BAD = [
    ("duplicate-id", "name: t\ncodes:\n- {id: bold, label: Bold}\n- {id: bold, label: Again}\n",
     "top level: duplicate code id 'bold'; every code needs its own id"),
    ("unknown-field", "name: t\ncodes:\n- {id: bold, label: Bold, colour: '#FFFFFF'}\n",
     "code 'bold' field 'colour': unknown field; did you mean 'color'? Correct its spelling or remove it"),
    # Reported: a misspelt required field ("lable") was reported as 'label' missing, never naming the typo.
    ("misspelt-required-field", "name: t\ncodes:\n- {id: bold, lable: Bold}\n",
     "code 'bold' field 'lable': unknown field; did you mean 'label'? Correct its spelling or remove it"),
    ("unknown-field-unlike-any", "name: t\ncodes:\n- {id: bold, label: Bold, weight: 2}\n",
     "code 'bold' field 'weight': unknown field; remove it or check its spelling"),
    ("empty-label", "name: t\ncodes:\n- {id: bold, label: '  '}\n",
     "code 'bold' field 'label': empty label; give the code a readable name"),
    ("bad-id", "name: t\ncodes:\n- {id: Bold, label: Bold}\n",
     "code 'Bold' field 'id': id 'Bold' must be lower-case letters, digits and _ and start with a letter"),
    ("token-attribute", f"name: t\ncodes:\n{_CODE}  patterns:\n  - pattern: [{{LEMA: bold}}]\n",
     "code 'bold' field 'patterns[0].pattern': token 0 has unknown attribute 'LEMA'; use one of LEMMA, LOWER, "
     "ORTH, POS, OP"),
    ("token-not-mapping", f"name: t\ncodes:\n{_CODE}  patterns:\n  - pattern: [bold]\n",
     "code 'bold' field 'patterns[0].pattern': token 0 is 'bold', not a mapping such as {LEMMA: staff}"),
    ("token-op", f"name: t\ncodes:\n{_CODE}  patterns:\n  - pattern: [{{LEMMA: bold, OP: '++'}}]\n",
     "code 'bold' field 'patterns[0].pattern': token 0 has OP '++'; use one of ?, *, +, ! or {0,3}"),
    ("yaml-boolean", f"name: t\ncodes:\n{_CODE}  patterns:\n  - pattern: [{{LOWER: {{IN: [to, on]}}}}]\n",
     "code 'bold' field 'patterns[0].pattern': token 0 LOWER value True is not text; quote words such as 'on' "
     "or 'no'"),
    ("empty-phrase", f"name: t\ncodes:\n{_CODE}  patterns:\n  - pattern: ''\n",
     "code 'bold' field 'patterns[0].pattern': empty phrase; write the words to match, e.g. 'listen to staff'"),
    ("not-a-pattern", f"name: t\ncodes:\n{_CODE}  patterns:\n  - pattern: 5\n",
     "code 'bold' field 'patterns[0].pattern': give a phrase (text) or a token list such as [{LEMMA: staff}]"),
    ("bad-exclusion", f"name: t\ncodes:\n{_CODE}  exclusions:\n  - pattern: [{{LEMMA: bold, FOO: 1}}]\n",
     "code 'bold' field 'exclusions[0].pattern': token 0 has unknown attribute 'FOO'; use one of LEMMA, LOWER, "
     "ORTH, POS, OP"),
    # found in an outside-in audit: "Input should be a valid dictionary or instance of Pattern"
    ("bare-phrase", "name: t\ncodes:\n- {id: bold, label: Bold, patterns: [listen to staff]}\n",
     "code 'bold' field 'patterns[0]': each pattern is a mapping; write '- pattern: listen to staff' (a phrase or a "
     "token list)"),
    ("missing-codes", "name: t\n", "field 'codes': required field is missing"),
    ("top-level-list", "- a\n- b\n", "top level must be a mapping with 'name' and 'codes'; got list"),
    ("yaml-syntax", "name: t\ncodes:\n- id: bold\n label: x\n",
     "YAML error at line 4, column 2: expected <block end>, but found '<block mapping start>'; fix the "
     "indentation or quoting there"),
]


@pytest.mark.parametrize("text,message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_read_codebook_bad_file_one_line_message(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CodebookError) as info:
        read_codebook(path)
    assert str(info.value) == f"{path}: {message}"
    assert "\n" not in str(info.value)


def test_read_codebook_missing_file_names_path(tmp_path):
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(CodebookError, match=re.escape(f"{path}: codebook not found")):
        read_codebook(path)


@pytest.mark.parametrize("name", ["leadership-actions-2015", "leadership-actions-2015.yaml"])
def test_a_shipped_codebook_is_read_by_name_from_any_folder(tmp_path, monkeypatch, shipped, name):
    monkeypatch.chdir(tmp_path)
    assert read_codebook(name) == shipped


def test_an_unknown_codebook_name_lists_the_shipped_ones(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CodebookError) as info:
        read_codebook("leadership-actions-2051")
    assert str(info.value) == ("leadership-actions-2051: codebook not found; check the path, or name a shipped "
                               "codebook (innovation-framework-2016, leadership-actions-2015)")


def test_write_codebook_round_trip(tmp_path, shipped):
    assert read_codebook(write_codebook(shipped, tmp_path / "copy.yaml")) == shipped


# --- the shipped codebook ------------------------------------------------------------------------------------------


def test_shipped_codebook_has_eleven_actions_in_report_order(shipped):
    assert shipped.name == "leadership-actions-2015"
    assert shipped.chart_ids == ELEVEN
    assert [shipped[i].label for i in ELEVEN] == HEADINGS


def test_shipped_codebook_rarer_actions_not_charted(shipped):
    assert shipped.ids == ELEVEN + list(RARER)
    assert {i: shipped[i].label for i in RARER} == RARER
    assert not any(shipped[i].in_chart for i in RARER)


def test_shipped_codebook_codes_are_complete(shipped):
    for code in shipped:
        assert code.definition and code.include and code.exclude, code.id
        assert code.patterns and 2 <= len(code.examples) <= 3, code.id
    colours = [c.color for c in shipped]
    assert None not in colours and len(set(colours)) == len(colours)


def test_shipped_codebook_lemmas_are_lemmas(shipped):
    """A token pattern's LEMMA must be what the lemmatizer produces ("unite", not "united"), or it never fires."""
    from casecode.coders import load_nlp

    nlp = load_nlp()
    wrong = []
    for code in shipped:
        for pat in code.patterns + code.exclusions:
            for token in [] if pat.is_phrase else pat.pattern:
                value = token.get("LEMMA")
                for word in value.get("IN", []) if isinstance(value, dict) else [value] if value else []:
                    lemma = " ".join(t.lemma_ for t in nlp(word))
                    if lemma != word:
                        wrong.append(f"{code.id}: {word} -> {lemma}")
    assert wrong == []


@pytest.mark.skipif(not REPORT.exists(), reason="the 2016 report is not available here")
def test_shipped_codebook_examples_are_quoted_from_the_report(shipped):
    def norm(text):
        text = text.replace("“", '"').replace("”", '"').replace("’", "'").replace("‘", "'")
        return re.sub(r"\s+", " ", text)

    report = norm(REPORT.read_text(encoding="utf-8"))
    missing = [(c.id, ex) for c in shipped for ex in c.examples if norm(ex) not in report]
    assert missing == []


def test_generated_pattern_ids_follow_the_words_not_the_position():
    from casecode.codebook._model import codebook_from_dict

    def ids(patterns):
        patterns = [{"pattern": p} for p in patterns]
        book = codebook_from_dict({"name": "b", "codes": [{"id": "engage", "label": "E", "patterns": patterns,
                                                           "exclusions": [{"pattern": "engagement party"}]}]})
        code = book.codes[0]
        return [code.pattern_id(i) for i in range(len(code.patterns))] + [code.pattern_id(0, exclusion=True)]

    before = ids(["listen to staff", [{"LEMMA": {"IN": ["involve", "engage"]}}, {"OP": "?"}, {"LOWER": "staff"}]])
    after = ids(["ask the crews", "listen to staff", [{"LEMMA": {"IN": ["involve", "engage"]}}, {"OP": "?"},
                                                        {"LOWER": "staff"}], "listen to staff"])
    assert before == ["engage:listen-to-staff", "engage:involve-staff", "engage:trap:engagement-party"]
    assert after == ["engage:ask-the-crews", "engage:listen-to-staff", "engage:involve-staff",
                     "engage:listen-to-staff-2", "engage:trap:engagement-party"]


def test_a_codebook_over_the_size_limit_or_a_folder_is_refused_in_one_line(tmp_path, monkeypatch):
    """Found in an outside-in audit: a codebook was read whole whatever its size, and a folder given as the codebook
    ended in the generic 'Is a directory; check the path, the free space and the permissions'."""
    import casecode.codebook._model as model

    path = tmp_path / "book.yaml"
    path.write_text("name: t\ncodes:\n- {id: bold, label: Bold}\n", encoding="utf-8")
    monkeypatch.setattr(model, "MAX_CODEBOOK_BYTES", 20)
    with pytest.raises(CodebookError) as err:
        read_codebook(path)
    assert str(err.value) == (f"{path}: {path.stat().st_size:,} bytes is over casecode's limit of 20 bytes for a "
                              f"codebook; is it the codebook?")
    with pytest.raises(CodebookError) as err:
        read_codebook(tmp_path)
    assert str(err.value) == f"{tmp_path}: is a folder; name the codebook's .yaml file in it"
