"""The coders room: the rule coder and its scope checks, the learned coder, and their combination."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import estimator_checks as checks
from spacy.tokens import Doc

from casecode.codebook import read_codebook
from casecode.coders import (CODING_COLUMNS, CombinedCoder, LearnedCoder, RuleCoder, codebook_patterns, load_nlp,
                             model_codings)
from casecode.errors import CoderError

CODEBOOK = Path(__file__).resolve().parents[1] / "codebooks" / "leadership-actions-2015.yaml"
CASES = pd.DataFrame([
    {"case_id": "wigan", "name": "Wigan", "type": "metropolitan", "members": (), "aliases": ("Wigan Council",)},
    {"case_id": "oldham", "name": "Oldham", "type": "metropolitan", "members": (), "aliases": ()},
    {"case_id": "ehh", "name": "East Hampshire and Havant", "type": "district",
     "members": ("East Hampshire", "Havant"), "aliases": ()},
])
HAVANT = ("ehh",)  # the speaker's own case in the attribution tests


@pytest.fixture(scope="module")
def nlp():
    return load_nlp()


@pytest.fixture(scope="module")
def codebook():
    return read_codebook(CODEBOOK)


@pytest.fixture(scope="module")
def coder(codebook, nlp):
    return RuleCoder(codebook, nlp, cases=CASES)


def counted(coder, text, cases=None) -> set:
    found = coder.explain(text, cases=cases)
    return set(found[found["counts"]]["code"])


# --- hard cases: each failed before its rule existed -------------------------------------------------------------

HARD = [
    # negation in scope
    ("negation-never", "We never really invested in a team for innovation.", None, "resources", False),
    ("negation-no-appetite", "There's no appetite for risk in this council.", None, "pace_risk", False),
    ("negation-nobody", "Nobody listens to staff here.", None, "employees", False),
    ("negation-after", "Investing in staff isn't something we do.", None, "resources", False),
    ("negation-lack-of", "There's a lack of investment in innovation.", None, "resources", False),
    ("negation-haven't-got", "We haven't got a ring-fenced budget.", None, "resources", False),
    ("negation-hardly", "We hardly ever talk to residents.", None, "residents", False),
    ("negation-don't-think", "I don't think we've been very good at learning from other places.", None, "learn",
     False),
    ("negation-afraid", "We're afraid to take risks.", None, "pace_risk", False),
    ("negation-risk-averse", "We're very risk averse.", None, "pace_risk", False),
    # double negation and "not just": still coded
    ("kept-never-stop", "We never stop listening to our staff.", None, "employees", True),
    ("kept-not-afraid", "We've not been afraid to take risks.", None, "pace_risk", True),
    ("kept-not-risk-averse", "We're not risk averse at all.", None, "pace_risk", True),
    ("kept-not-just", "We don't just consult residents, we co-design with them.", None, "residents", True),
    ("kept-no-blame", "We've moved to a no-blame culture.", None, "culture", True),
    # actions credited to another council
    ("other-named-first", "Wigan do that really well, engaging their staff.", HAVANT, "employees", False),
    ("other-in-x-they", "In Oldham they have a brilliant staff engagement programme.", HAVANT, "employees", False),
    ("other-named-after", "Engaging staff is something Wigan do well.", HAVANT, "employees", False),
    ("other-councils", "Other councils have innovation teams.", None, "resources", False),
    ("other-some-of-the", "Some of the other councils go door to door.", None, "residents", False),
    ("other-neighbours", "Some neighbouring authorities go door to door with residents.", None, "residents", False),
    ("own-case-named", "Wigan do that really well, engaging their staff.", ("wigan",), "employees", True),
    ("own-like-x-we", "Like Wigan, we engage staff through listening sessions.", HAVANT, "employees", True),
    ("learn-from-other", "We borrowed the idea from Wigan.", HAVANT, "learn", True),
    ("learn-went-to-see", "We went to see how Wigan did it.", HAVANT, "learn", True),
    # the past
    ("past-used-to", "We used to have staff forums.", None, "employees", False),
    ("past-in-the-past", "In the past we took lots of risks, but now we're cautious.", None, "pace_risk", False),
    ("past-years-ago", "Years ago we had a transformation fund.", None, "resources", False),
    ("kept-but-now", "In the past we were cautious, but now we take risks.", None, "pace_risk", True),
    ("kept-since", "We have been doing this since 2015: we engage staff every month.", None, "employees", True),
    ("kept-used-to-risk", "We're used to taking risks.", None, "pace_risk", True),
    ("kept-started-still", "Six years ago we started listening sessions and still run them.", None, "employees",
     True),
    # wishes and obligations
    ("wish-should", "We should engage staff more.", None, "employees", False),
    ("wish-need-to", "We need to involve residents earlier.", None, "residents", False),
    ("wish-would-like", "We'd like to use agile methods.", None, "agile", False),
    ("wish-i-wish", "I wish we had an innovation budget.", None, "resources", False),
    ("wish-want-to-start", "We want to start co-designing with service users.", None, "residents", False),
    ("kept-need-to-keep", "We need to keep investing in our staff.", None, "resources", True),
    ("kept-you-need-to", "You need to involve middle managers from the start.", None, "leaders", True),
    # hedges and hypotheticals
    ("hypothetical-one-day", "Maybe one day we'll have an innovation fund.", None, "resources", False),
    ("hypothetical-might", "I suppose we might take a few more risks.", None, "pace_risk", False),
    ("kept-hedged", "I suppose we do take risks.", None, "pace_risk", True),
    # word-sense traps
    ("trap-arts-and-culture", "The council funds arts and culture across the borough.", None, "culture", False),
    ("trap-culture-and-leisure", "We've set up a culture and leisure trust.", None, "culture", False),
    ("trap-cultural-venues", "Our cultural venues are doing well.", None, "culture", False),
    ("trap-blame-culture", "It's a blame culture here.", None, "culture", False),
    ("trap-agile-working", "We moved to agile working with hot desks.", None, "agile", False),
    ("trap-agile-hot-desks", "We've gone agile, with hot desking and laptops for everyone.", None, "agile", False),
    ("trap-my-partner", "My partner and kids live in Leeds.", None, "partnerships", False),
    ("trap-her-partner", "Her partner works at the hospital.", None, "partnerships", False),
    ("trap-risk-assessment", "We take every project through a risk assessment.", None, "pace_risk", False),
    ("trap-at-risk", "We take children at risk into care.", None, "pace_risk", False),
    ("trap-pace-place", "Our office in Pace is closing.", None, "pace_risk", False),
    ("trap-pace-police", "Interviews follow PACE rules.", None, "pace_risk", False),
    ("trap-group-leaders", "We support the group leaders with briefings.", None, "leaders", False),
    ("trap-colleagues-in-health", "We talk to colleagues in health every week.", None, "employees", False),
    ("trap-vision-impairment", "We help people with vision impairment.", None, "bold", False),
    ("trap-manchester-united", "The Manchester United foundation runs sessions here.", None, "bold", False),
    ("trap-human-resources", "Human resources handle the paperwork.", None, "resources", False),
    ("trap-inward-investment", "We attract inward investment to the town.", None, "resources", False),
    ("trap-determined-by", "The budget is determined by the government.", None, "disciplined", False),
    ("trap-community-safety", "The community safety team deals with antisocial behaviour.", None, "residents", False),
    ("trap-public-sector", "I've worked in the public sector for years.", None, "residents", False),
    ("trap-airline-pilot", "My brother is an airline pilot.", None, "agile", False),
    ("trap-foster-carers", "We recruit foster carers through the website.", None, "recruiting", False),
    ("trap-hire-consultants", "We hired consultants for the review.", None, "recruiting", False),
    ("trap-resources-tight", "Resources are really tight.", None, "resources", False),
    # capitals, inflections and curly apostrophes (Word transcripts)
    ("curly-negation", "We haven’t got a ring-fenced budget.", None, "resources", False),
    ("curly-phrase", "Don’t try to do everything at once.", None, "disciplined", True),
    ("curly-wish", "We’d like to use agile methods.", None, "agile", False),
    ("capitalised-partners", "Partners like the NHS work with us on everything.", None, "partnerships", True),
    ("upper-case", "WE BUILT PARTNERSHIPS ACROSS THE TOWN.", None, "partnerships", True),
    ("inflection-developing", "We're developing our team leaders.", None, "leaders", True),
    ("kept-determined", "We were determined to make it work.", None, "disciplined", True),
    # the past belongs to its clause; stopped actions; someone else's programme
    ("past-ago-own-clause", "We had a transformation fund ten years ago, and members are united behind the vision.",
     None, "bold", True),
    ("past-fronted-ago", "Years ago, we had a transformation fund.", None, "resources", False),
    ("past-years-back", "Corporate had an innovation fund a few years back.", None, "resources", False),
    ("past-relative-clause", "Bulky waste is copied from a private firm that used to do it for us.", None, "learn",
     True),
    ("kept-agreed-years-ago", "We agreed three priorities three years ago and we haven't budged.", None,
     "disciplined", True),
    ("stopped-next-sentence", "We ran staff listening sessions in 2022. We stopped them after that.", None,
     "employees", False),
    ("stopped-passive", "We had a small fund for ideas, but it was scrapped.", None, "resources", False),
    ("negation-topic-comment", "Pooled budgets and so on, we're honestly not there yet.", None, "partnerships", False),
    ("negation-hard-to-justify", "It's hard to justify a trip abroad to councillors.", None, "learn", False),
    ("other-not-part-of-it", "The county ran a pilot on two estates, but we weren't part of it.", None, "agile", False),
    ("kept-ours-not-theirs", "We ran a pilot on two estates and we're not involved in the county one.", None, "agile",
     True),
    ("own-staff-in-other-council", "Every quarter a couple of our managers spend a day in another authority.", None,
     "learn", True),
    ("wish-verbless-more", "And for me, more space to think.", None, "resources", False),
    # more word-sense traps
    ("trap-drone-pilot", "We hire a drone pilot twice a year.", None, "agile", False),
    ("trap-named-sprint", "The Leader's Sprint is a five k for the hospice.", None, "agile", False),
    ("trap-court-trial", "The trial at the crown court ran for weeks.", None, "agile", False),
    ("trap-coach-daughter", "I coach my daughter's under-elevens on a Saturday.", None, "leaders", False),
    ("trap-consultation-form", "We sent out a consultation form.", None, "residents", False),
    ("trap-sets-two-budgets", "Two sets of councillors, two budgets, one workforce.", None, "resources", False),
    ("trap-find-their-money", "Ideas have to find their money inside the service.", None, "resources", False),
    ("trap-team-leaders", "Team leaders and service managers go on the course.", None, "bold", False),
    ("trap-learning-sets-comma", "We run action learning sets, with a mentor from outside the council.", None, "learn",
     False),
]


@pytest.mark.parametrize("text,cases,code,expected", [h[1:] for h in HARD], ids=[h[0] for h in HARD])
def test_rule_coder_hard_case(coder, text, cases, code, expected):
    assert (code in counted(coder, text, cases)) is expected, coder.explain(text, cases=cases).to_string()


# Spoken council-manager vocabulary that must be coded, not only the report's words.
VOCABULARY = [
    ("We got the housing association and the health trust round one table.", "partnerships"),
    ("We just crack on.", "pace_risk"),
    ("We put money behind it.", "resources"),
    ("It has a ring-fenced budget.", "resources"),
    ("It was invest to save.", "resources"),
    ("We went to see how they did it in Wigan.", "learn"),
    ("We borrowed the idea from Bristol.", "learn"),
    ("We work in two-week sprints.", "agile"),
    ("We built a prototype.", "agile"),
    ("It's test and learn.", "agile"),
    ("We iterate.", "agile"),
    ("We go door to door.", "residents"),
    ("We're always listening to residents.", "residents"),
    ("We bring the community in on everything.", "residents"),
    ("We co-design with service users.", "residents"),
    ("Our middle managers lead it.", "leaders"),
    ("There's a leadership programme.", "leaders"),
    ("We offer coaching.", "leaders"),
    ("We have an appetite for risk.", "pace_risk"),
    ("It was a leap of faith.", "pace_risk"),
    ("We're not afraid to fail.", "pace_risk"),
    ("We move at pace.", "pace_risk"),
    ("We have three priorities.", "disciplined"),
    ("We focus on the priorities.", "disciplined"),
    ("We stick to it.", "disciplined"),
    ("Members don't change tack.", "disciplined"),
    ("We've set a real ambition for the town.", "bold"),
    ("We have a vision.", "bold"),
    ("We are united.", "bold"),
    ("There's a passion for it.", "bold"),
    ("Members and officers work together.", "bold"),
    ("We've worked hard on our culture.", "culture"),
    ("There's permission to fail.", "culture"),
    ("It's safe to try things.", "culture"),
    ("We've built a can-do mindset.", "culture"),
    ("The chief exec went round every depot.", "employees"),
    ("We set up a company with Norse.", "partnerships"),
    ("We spent £2 million on it.", "resources"),
    ("Staff feel empowered to try things.", "culture"),
    # paraphrase families: trying small and adjusting
    ("We tried it on two estates first.", "agile"),
    ("We tested it with a few families and adjusted as we went along.", "agile"),
    ("We pilot it in one ward before rolling it out.", "agile"),
    ("We look at what's working and tweak it.", "agile"),
    ("It's a minimum viable product.", "agile"),
    ("We started small.", "agile"),
    # borrowing, visiting, outside expertise
    ("We picked their brains.", "learn"),
    ("We went up to Leeds to see their hub.", "learn"),
    ("We copied it from a housing association.", "learn"),
    ("The idea came from a council in Wales.", "learn"),
    ("We brought in a consultant to help us.", "learn"),
    ("We had an LGA peer review.", "learn"),
    ("We pinch good ideas.", "learn"),
    ("We find out who's done it already.", "learn"),
    # money, posts and time set aside
    ("We ring-fenced a budget for it.", "resources"),
    ("We funded a post.", "resources"),
    ("We seconded an officer to the project.", "resources"),
    ("There's protected time for it.", "resources"),
    ("There's a small team whose job is improvement.", "resources"),
    ("There's money set aside for it.", "resources"),
    ("Managers get a day a month to work on ideas.", "resources"),
    ("We found the money for it.", "resources"),
    # culture, staff, residents, partners, focus, unity, pace in everyday words
    ("People feel able to challenge the chief executive.", "culture"),
    ("Nobody gets blamed when it goes wrong.", "culture"),
    ("You're allowed to have a go here.", "culture"),
    ("The crews redesigned the rounds themselves.", "employees"),
    ("I do a toolbox talk every week.", "employees"),
    ("Tenants sit on the selection panel.", "residents"),
    ("We asked people what would make it easier.", "residents"),
    ("We share a director with the county.", "partnerships"),
    ("We run it jointly with the health trust.", "partnerships"),
    ("We haven't budged on it.", "disciplined"),
    ("There's a monthly performance clinic.", "disciplined"),
    ("The leader and I are joined at the hip.", "bold"),
    ("We didn't wait for permission.", "pace_risk"),
    ("We bought it before we had a plan for it.", "pace_risk"),
]


@pytest.mark.parametrize("text,code", VOCABULARY)
def test_rule_coder_spoken_vocabulary(coder, text, code):
    assert code in counted(coder, text)


def test_rule_coder_codebook_examples_are_coded(coder, codebook):
    for code in codebook:
        for example in code.examples:
            assert code.id in counted(coder, example), (code.id, example)


def test_rule_coder_hedge_lowers_score(coder):
    plain = coder.explain("We take risks.")
    hedged = coder.explain("I suppose we take risks.")
    assert hedged["score"].max() < plain["score"].max()
    assert "hedged: 'I suppose'" in hedged["why"].iloc[0]


def test_rule_coder_longer_pattern_scores_higher(coder):
    found = coder.explain("We have an appetite for risk and pace.").set_index("pattern")
    assert found.loc["pace-appetite", "score"] == 0.8 and found.loc["pace_risk:pace", "score"] == 0.5


def test_rule_coder_explain_lists_suppressed_with_reason(coder):
    found = coder.explain("We never really invested in a team.")
    assert list(found["counts"]) == [False]
    assert found["why"].iloc[0] == "negation: 'never'"


# --- the SpanRuler surface -----------------------------------------------------------------------------------------


def test_rule_coder_span_ruler_surface(coder, codebook):
    assert coder.labels == tuple(codebook.ids)
    assert "culture" in coder and "nonsense" not in coder
    assert len(coder) == sum(len(c.patterns) + len(c.exclusions) for c in codebook)
    assert {"label", "pattern", "id", "exclusion"} <= set(coder.patterns[0])


def test_rule_coder_call_sets_span_group(coder, nlp):
    doc = coder(nlp("We listen to our staff. My partner is a nurse."))
    group = doc.spans["casecode"]
    assert [(s.label_, s.text, s.id_) for s in group] == [("employees", "listen to our staff",
                                                           "employees-engage-staff")]
    assert group[0]._.casecode_score == 0.65
    assert [s.label_ for s in doc.spans["casecode_suppressed"]] == ["partnerships"]


def test_rule_coder_same_words_two_codes_keep_own_scores(nlp):
    coder = RuleCoder(None, nlp)
    coder.add_patterns([{"label": "a", "pattern": "innovation team", "id": "a1"},
                        {"label": "b", "pattern": [{"LOWER": "innovation"}, {"LOWER": "team"}], "id": "b1"},
                        {"label": "b", "pattern": "team", "id": "b2"}])
    doc = coder(nlp("I suppose the innovation team."))
    assert [(s.label_, s._.casecode_score) for s in doc.spans["casecode"]] == [("a", 0.455), ("b", 0.455)]


def test_rule_coder_add_patterns_phrases_use_lemmas(nlp):
    coder = RuleCoder(None, nlp, scope=False)
    coder.add_patterns([{"label": "employees", "pattern": "listen to staff"}])
    assert counted(coder, "Managers listened to staff.") == {"employees"}


def test_rule_coder_bad_token_pattern_names_code(nlp):
    coder = RuleCoder(None, nlp)
    with pytest.raises(CoderError, match="pattern 'x1' of code 'bold' is not a valid spaCy token pattern"):
        coder.add_patterns([{"label": "bold", "pattern": [{"LEMMA": {"NOT_AN_OP": 1}}], "id": "x1"}])


# --- the parsed path (a trained pipeline's dependency labels), on hand-built parses --------------------------------


def _parsed(nlp, rows, cases=None) -> Doc:
    words = [r[0] for r in rows]
    doc = Doc(nlp.vocab, words=words, spaces=[True] * (len(words) - 1) + [False], lemmas=[r[1] for r in rows],
              heads=[r[2] for r in rows], deps=[r[3] for r in rows])
    doc._.casecode_cases = cases
    return doc


PARSED = [
    ("double-negation", [("We", "we", 3, "nsubj"), ("'ve", "have", 3, "aux"), ("not", "not", 3, "neg"),
                         ("been", "be", 3, "ROOT"), ("afraid", "afraid", 3, "acomp"), ("to", "to", 6, "aux"),
                         ("take", "take", 4, "xcomp"), ("risks", "risk", 6, "dobj"), (".", ".", 3, "punct")],
     None, "pace_risk", True),
    ("neg-dependency", [("We", "we", 3, "nsubj"), ("did", "do", 3, "aux"), ("n't", "not", 3, "neg"),
                        ("engage", "engage", 3, "ROOT"), ("the", "the", 5, "det"), ("workforce", "workforce", 3,
                                                                                   "dobj"), (".", ".", 3, "punct")],
     None, "employees", False),
    # Lexically "never" sits four words before "involve"; the parse puts it in the relative clause.
    ("neg-in-relative-clause", [("Managers", "manager", 5, "nsubj"), ("who", "who", 3, "nsubj"),
                                ("never", "never", 3, "neg"), ("cared", "care", 0, "relcl"),
                                ("now", "now", 5, "advmod"), ("involve", "involve", 5, "ROOT"),
                                ("residents", "resident", 5, "dobj"), (".", ".", 5, "punct")],
     None, "residents", True),
    ("neg-on-head-of-subject", [("Investing", "invest", 3, "csubj"), ("in", "in", 0, "prep"),
                                ("staff", "staff", 1, "pobj"), ("is", "be", 3, "ROOT"), ("n't", "not", 3, "neg"),
                                ("a", "a", 6, "det"), ("priority", "priority", 3, "attr"), (".", ".", 3, "punct")],
     None, "resources", False),
    ("subject-other-council", [("Oldham", "oldham", 1, "nsubj"), ("engage", "engage", 1, "ROOT"),
                               ("their", "their", 3, "poss"), ("staff", "staff", 1, "dobj"), (".", ".", 1, "punct")],
     HAVANT, "employees", False),
    ("subject-we", [("We", "we", 1, "nsubj"), ("engage", "engage", 1, "ROOT"), ("staff", "staff", 1, "dobj"),
                    ("like", "like", 5, "mark"), ("Oldham", "oldham", 5, "nsubj"), ("do", "do", 1, "advcl"),
                    (".", ".", 1, "punct")],
     HAVANT, "employees", True),
]


@pytest.mark.parametrize("rows,cases,code,expected", [p[1:] for p in PARSED], ids=[p[0] for p in PARSED])
def test_rule_coder_parsed_scope(coder, nlp, rows, cases, code, expected):
    doc = coder(_parsed(nlp, rows, cases))
    assert (code in {s.label_ for s in doc.spans["casecode"]}) is expected


# --- codings ---------------------------------------------------------------------------------------------------------

DOCUMENT = ("Interviewer: Do you listen to your staff?\n"
            "Respondent: We listen to our staff every week, and Partners are round the table. "
            "We never had an innovation fund.\n")


@pytest.fixture
def segments():
    first = DOCUMENT.index("\n") + 1
    lines = [(0, first - 1, "interviewer", False), (first, len(DOCUMENT) - 1, "respondent", True)]
    return pd.DataFrame([
        {"segment_id": f"t1:{i + 1}", "document_id": "t1", "unit": i + 1, "start": a, "end": b,
         "text": DOCUMENT[a:b], "speaker": role.title(), "role": role, "kind": "turn", "heading": "",
         "cases": HAVANT, "codable": codable}
        for i, (a, b, role, codable) in enumerate(lines)
    ])


def test_rule_coder_code_offsets_point_at_evidence(coder, segments):
    codings = coder.code(segments)
    assert list(codings.columns) == CODING_COLUMNS
    assert sorted(codings["code"]) == ["employees", "partnerships"]  # the fund is negated
    assert set(codings["segment_id"]) == {"t1:2"}  # the interviewer's turn is not codable
    assert set(codings["coder"]) == {"rules"}
    for row in codings.itertuples():
        assert DOCUMENT[row.start:row.end] == row.evidence


def test_rule_coder_code_best_or_all(coder, segments):
    text = "We take risks, we take calculated risks."
    one = segments.iloc[[1]].assign(text=text, end=lambda f: f["start"] + len(text))
    best = coder.code(one)
    assert list(best["evidence"]) == ["take calculated risks"]
    assert len(coder.code(one, keep="all")) == 2


def test_rule_coder_code_needs_text_column(coder, segments):
    with pytest.raises(CoderError, match="segments table has no 'text' column"):
        coder.code(segments.drop(columns="text"))



# --- generic words, min_score, questions, council-level evidence ------------------------------------------------------

@pytest.fixture(scope="module")
def framed(nlp):
    coder = RuleCoder(None, nlp)
    coder.add_patterns([{"label": "partnerships", "pattern": "partner", "frame": True},
                        {"label": "residents", "pattern": "community", "frame": True}])
    return coder


@pytest.mark.parametrize("text", [
    "Partners were frustrated with the delays.",  # a topic, no one here doing anything
    "The community is worried about the bus cuts.",
    "Our community has changed a lot over the years.",  # an actor, but no verb of doing
])
def test_rule_coder_generic_word_without_action_frame_is_not_counted(framed, text):
    found = framed.explain(text)
    assert len(found) == 1 and not found["counts"].iloc[0]
    assert "no action frame" in found["why"].iloc[0] and "below min_score" in found["why"].iloc[0]


@pytest.mark.parametrize("text", [
    "We brought the partners together in one room.",
    "Members asked the community what it wanted.",
    "We pilot things with partners first.",
    "And the housing partner, we've set up a company with them.",  # the verb after the generic word
])
def test_rule_coder_generic_word_in_action_frame_is_counted(framed, text):
    assert len(counted(framed, text)) == 1


def test_rule_coder_codebook_generic_words_need_a_frame(coder):
    assert "residents" not in counted(coder, "The community round here is very close-knit.")
    assert "culture" not in counted(coder, "The culture in children's services is very different.")
    assert "culture" in counted(coder, "We've worked hard on our culture.")


def test_rule_coder_min_score_is_a_parameter(nlp, segments):
    text = "Respondent: Partners were frustrated with the delays."
    one = segments.iloc[[1]].assign(text=text, end=lambda f: f["start"] + len(text))
    pattern = [{"label": "partnerships", "pattern": "partner", "frame": True}]
    default, everything = RuleCoder(None, nlp), RuleCoder(None, nlp, min_score=0)
    for c in (default, everything):
        c.add_patterns(pattern)
    assert default.min_score == 0.4 and default.code(one).empty
    assert list(everything.code(one)["score"]) == [0.3]
    with pytest.raises(CoderError, match="min_score"):
        RuleCoder(None, nlp, min_score=2)


def test_rule_coder_written_summary_needs_no_action_frame(framed, segments):
    text = "Partnerships: partners round the table."  # a report's case notes, no speaker
    one = segments.iloc[[1]].assign(text=text, end=lambda f: f["start"] + len(text), speaker="", role="")
    assert list(framed.code(one)["code"]) == ["partnerships"]
    spoken = one.assign(text="Respondent: " + text, end=lambda f: f["start"] + len(text) + 12,
                        speaker="Respondent", role="respondent")
    assert framed.code(spoken).empty


def test_rule_coder_question_keeps_only_long_patterns(coder):
    asked = coder.explain("Do we involve residents in design?")
    assert not asked["counts"].any()  # a two-word match in a question falls below min_score
    assert "question" in asked["why"].iloc[0]


def test_rule_coder_case_min_score_drops_weak_only_cases(nlp, segments):
    rows = []
    for i, (case, text) in enumerate([("a", "Respondent: We collaborate."), ("a", "Respondent: We collaborate."),
                                      ("b", "Respondent: We collaborate."),
                                      ("b", "Respondent: We set up a joint venture with the trust.")]):
        rows.append(segments.iloc[1].to_dict() | {"segment_id": f"s{i}", "document_id": f"d{case}", "unit": i,
                                                   "start": 0, "end": len(text), "text": text, "cases": (case,)})
    frame = pd.DataFrame(rows)
    patterns = [{"label": "partnerships", "pattern": "collaborate"},
                {"label": "partnerships", "pattern": "joint venture"}]
    plain, strict = RuleCoder(None, nlp), RuleCoder(None, nlp, case_min_score=0.6)
    for c in (plain, strict):
        c.add_patterns(patterns)
    assert plain.case_min_score is None and len(plain.code(frame)) == 4
    assert sorted(strict.code(frame)["segment_id"]) == ["s2", "s3"]  # case a had only one-word evidence


@pytest.mark.parametrize("text,code", [
    ("There was going to be a joint venture with the trust.", "partnerships"),
    ("We set up a joint venture with the trust, but it fizzled out.", "partnerships"),
    ("Brockley, next door, have set up a joint venture with the trust.", "partnerships"),
])
def test_rule_coder_unrealised_ended_or_neighbours_action_is_not_counted(coder, text, code):
    assert code not in counted(coder, text)


def test_rule_coder_place_after_match_is_not_the_actor(coder):
    text = "Spending time building relationships and trust with people in other organisations is vital."
    assert "partnerships" in counted(coder, text)

# --- the rule coder as a spaCy component -------------------------------------------------------------------------------

SPOKEN = ["We listen to our staff every week, and Partners are round the table.",
          "Havant set up a partnership with the police; Wigan Council did not.",
          "We never had an innovation fund, but we do take considered risks."]


def test_rule_coder_is_a_spacy_component_with_patterns_added(codebook):
    import spacy

    from casecode.coders import codebook_patterns

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("casecode_lemmatizer")
    ruler = nlp.add_pipe("casecode_rules", config={"min_score": 0.3})
    assert isinstance(ruler, RuleCoder) and len(ruler) == 0 and ruler.min_score == 0.3
    ruler.add_patterns(codebook_patterns(codebook))
    assert "employees" in ruler and len(ruler) == len(codebook_patterns(codebook))
    doc = nlp(SPOKEN[0])
    assert [(s.text, s.label_, s.id_) for s in doc.spans["casecode"]][0] == (
        "listen to our staff", "employees", "employees-engage-staff")


def test_rule_coder_to_disk_is_json_and_codes_as_before(coder, segments, tmp_path):
    import json

    coder.to_disk(tmp_path / "rules")
    assert sorted(p.name for p in (tmp_path / "rules").iterdir()) == ["cases.jsonl", "cfg", "codebook.json",
                                                                      "patterns.jsonl"]
    for path in (tmp_path / "rules").iterdir():  # every file is JSON (lines): nothing that runs code when read
        for line in path.read_text(encoding="utf-8").splitlines() if path.suffix == ".jsonl" else [path.read_text()]:
            json.loads(line)
    again = RuleCoder(None, load_nlp()).from_disk(tmp_path / "rules")
    assert again.patterns == coder.patterns and again.codebook == coder.codebook
    pd.testing.assert_frame_equal(again.code(segments), coder.code(segments))
    for text in SPOKEN:  # the cases came back too: another council's action is not the speaker's
        pd.testing.assert_frame_equal(again.explain(text, cases=HAVANT), coder.explain(text, cases=HAVANT))
    from_bytes = RuleCoder(None, load_nlp()).from_bytes(coder.to_bytes())
    pd.testing.assert_frame_equal(from_bytes.code(segments), coder.code(segments))


@pytest.mark.parametrize("engine", ["compiled", "spacy"])
def test_a_pipeline_saved_with_the_rule_component_loads_with_spacy(codebook, tmp_path, engine):
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("casecode_lemmatizer")
    nlp.add_pipe("casecode_rules", config={"engine": engine}).add_patterns(codebook_patterns(codebook))
    nlp.to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    assert loaded.get_pipe("casecode_rules").engine == engine
    for text in SPOKEN:
        spans = lambda doc: [(s.start, s.end, s.label_, s.id_, s._.casecode_score) for s in doc.spans["casecode"]]
        assert spans(loaded(text)) == spans(nlp(text))


def test_a_broken_saved_rule_coder_is_a_one_line_error(coder, tmp_path):
    coder.to_disk(tmp_path / "rules")
    (tmp_path / "rules" / "cfg").write_text('{"engine": "fast", "spans_key": "x", "scope": true, "min_score": 0.4, '
                                             '"case_min_score": null}')
    with pytest.raises(CoderError, match=re.escape(f"{tmp_path / 'rules'}: engine='fast'; use 'compiled'")):
        RuleCoder(None, load_nlp()).from_disk(tmp_path / "rules")
    (tmp_path / "rules" / "patterns.jsonl").write_text("{not json")
    with pytest.raises(CoderError, match="cannot read the saved rule coder"):
        RuleCoder(None, load_nlp()).from_disk(tmp_path / "rules")


# --- the learned coder -----------------------------------------------------------------------------------------------

from conftest import LABELS, TEXTS  # noqa: E402  (a tiny labelled training set shared with test_learned)


@pytest.fixture(scope="module")
def model():
    return LearnedCoder().fit(TEXTS, LABELS)


# The numeric estimator checks feed X as a 2-D float array; LearnedCoder takes texts (its tags say so, and
# parametrize_with_checks then skips it). These API checks need no numeric fit and do apply.
API_CHECKS = [checks.check_no_attributes_set_in_init, checks.check_parameters_default_constructible,
              checks.check_get_params_invariance, checks.check_set_params, checks.check_estimator_repr,
              checks.check_estimator_cloneable, checks.check_estimators_unfitted, checks.check_valid_tag_types,
              checks.check_do_not_raise_errors_in_init_or_set_params, checks.check_mixin_order]


@checks.parametrize_with_checks([LearnedCoder()])
def test_learned_coder_sklearn_checks(estimator, check):
    check(estimator)  # only the checks its string-input tags allow (cloning); the rest are below


@pytest.mark.parametrize("check", API_CHECKS, ids=lambda c: c.__name__)
def test_learned_coder_sklearn_api_check(check):
    check("LearnedCoder", LearnedCoder())


def test_learned_coder_contract():
    model = LearnedCoder(C=2.0)
    assert model.get_params()["C"] == 2.0 and not hasattr(model, "classes_")
    assert clone(model.set_params(threshold=0.3)).threshold == 0.3
    with pytest.raises(NotFittedError):
        model.predict(["We listen to staff"])
    assert model.fit(TEXTS, LABELS) is model
    assert {"vectorizer_", "classes_", "estimators_", "calibrated_", "coef_"} <= set(vars(model))


def test_learned_coder_predicts_codes(model):
    assert list(model.classes_) == ["employees", "residents", "resources"]
    proba = model.predict_proba(["We listen to staff a lot", "We put money into innovation"])
    assert proba.shape == (2, 3) and ((proba >= 0) & (proba <= 1)).all()
    assert proba[0].argmax() == 0 and proba[1].argmax() == 2
    assert set(np.unique(model.predict(TEXTS))) <= {0, 1}


def test_learned_coder_indicator_matrix_equals_label_lists(model):
    frame = pd.DataFrame([[int(c in labels) for c in model.classes_] for labels in LABELS], columns=model.classes_)
    other = LearnedCoder().fit(TEXTS, frame)
    assert list(other.classes_) == list(model.classes_)
    assert np.allclose(other.predict_proba(TEXTS), model.predict_proba(TEXTS))


def test_learned_coder_too_few_examples_skip_calibration():
    model = LearnedCoder().fit(["a staff b", "c d", "e f", "g staff"], [["x"], [], [], ["x"]])
    assert list(model.calibrated_) == [False]  # two positives < cv=3 folds: logistic probabilities as they are


def test_learned_coder_bytes_round_trip(model):
    again = LearnedCoder.from_bytes(model.to_bytes())
    assert np.array_equal(again.predict_proba(TEXTS), model.predict_proba(TEXTS))


def test_learned_coder_from_bad_bytes():
    with pytest.raises(CoderError, match="saved model could not be read"):
        LearnedCoder.from_bytes(b"not a saved model")


class _RunsCode:
    """Unpickling this calls os.system: what a crafted project database could hold."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        import os

        return (os.system, (self.command,))


def test_a_pickled_model_is_refused_and_never_run(tmp_path):
    import pickle

    marker = tmp_path / "ran"
    payload = pickle.dumps(_RunsCode(f"touch {marker}"))
    readers = [("saved model", LearnedCoder.from_bytes), ("saved coder", lambda data: CombinedCoder.from_bytes(data, None))]
    for where, read in readers:
        with pytest.raises(CoderError) as info:
            read(payload)
        assert str(info.value) == (f"{where} is in the old pickle format, which can run code when read, so it was not "
                                   "read; retrain it with 'casecode train -p PROJECT' (or fit the coder again)")
    assert not marker.exists()


def test_a_saved_coder_is_plain_data_with_a_format_version(model, tmp_path):
    import io
    import json

    with np.load(io.BytesIO(model.to_bytes()), allow_pickle=False) as archive:  # nothing in it needs pickle
        header = json.loads(archive["casecode.json"].tobytes())
        assert all(archive[name].dtype != object for name in archive.files)
    assert (header["format"], header["version"], header["coder"]) == ("casecode-coder", 1, "LearnedCoder")
    from casecode.coders._persist import pack

    with pytest.raises(CoderError, match="has format version 99; this casecode reads version 1"):
        LearnedCoder.from_bytes(pack({**header, "version": 99}, {}))


def test_combined_coder_to_disk_and_back_codes_the_same(model, coder, segments, tmp_path):
    combined = CombinedCoder(coder, model, blend=0.55, rule_weight=0.5, threshold=None)
    path = combined.to_disk(tmp_path / "coder.npz")
    again = CombinedCoder.from_disk(path, coder)
    assert again.settings() == combined.settings() and again is not combined
    assert np.array_equal(again.model.predict_proba(TEXTS), model.predict_proba(TEXTS))
    pd.testing.assert_frame_equal(again.code(segments), combined.code(segments))


def test_learned_coder_rejects_bad_y():
    with pytest.raises(CoderError, match="y has 1 rows for 2 texts"):
        LearnedCoder().fit(["a", "b"], [["x"]])


def test_model_codings_whole_segment_with_terms(model, segments):
    one = segments.iloc[[1]]
    codings = model_codings(model, one, threshold=0.0)
    assert set(codings["coder"]) == {"model"} and len(codings) == 3
    row = codings[codings["code"] == "employees"].iloc[0]
    assert (row.start, row.end, row.evidence) == (one.iloc[0].start, one.iloc[0].end, one.iloc[0].text)
    assert row.rule.startswith(f"model p={row.score:.2f} (top terms: ")


# --- the combination -------------------------------------------------------------------------------------------------


def test_combined_score_is_noisy_or(coder, model):
    combined = CombinedCoder(coder, model, rule_weight=0.7, threshold=0.5)
    assert combined.score(0.8, 0.0) == pytest.approx(0.56)  # a specific rule passes alone
    assert combined.score(0.5, 0.0) == pytest.approx(0.35)  # a one-word rule needs the model
    assert combined.score(None, 0.6) == pytest.approx(0.6)
    assert combined.score(0.5, None) == 0.5  # a code the model does not know: the rule alone


def test_combined_coder_settings_are_its_scikit_learn_parameters(coder, model, segments):
    from sklearn.base import clone

    combined = CombinedCoder(coder, model, blend=0.55, threshold=None)
    params = combined.get_params(deep=False)
    assert params == {"rule_coder": coder, "model": model, "rule_weight": 0.7, "threshold": None, "veto": None,
                      "weak_rule": 0.6, "blend": 0.55, "council": None, "council_cut": 0.5}
    assert combined.get_params()["model__C"] == model.C  # the model's own parameters, nested
    assert combined.set_params(rule_weight=0.5, council="max") is combined and combined.settings()["council"] == "max"
    copy = clone(combined)
    assert copy.get_params(deep=False)["rule_weight"] == 0.5 and copy.model is not model


@pytest.mark.parametrize("setting, message", [
    ({"rule_weight": 1.5}, "rule_weight=1.5; it must be a number in 0..1 (threshold, veto and blend may be None: off)"),
    ({"blend": "high"}, "blend='high'; it must be a number in 0..1"),
    ({"veto": -0.1}, "veto=-0.1; it must be a number in 0..1"),
    ({"council": "mean"}, "council='mean'; use one of max, top2, or None for any turn"),
])
def test_combined_coder_checks_its_settings_when_fitted_or_used_not_when_built(coder, setting, message, segments):
    bad = CombinedCoder(coder, LearnedCoder(), **setting)  # built without complaint, as scikit-learn expects
    for use in (lambda: bad.fit(_training_segments(), LABELS), lambda: bad.code(segments), bad.to_bytes):
        with pytest.raises(CoderError, match=re.escape(message)):
            use()


def _training_segments():
    return pd.DataFrame({"segment_id": [f"s{i}" for i in range(len(TEXTS))], "document_id": "d", "start": 0,
                         "text": TEXTS})


@pytest.mark.parametrize("check", [checks.check_no_attributes_set_in_init, checks.check_get_params_invariance,
                                   checks.check_set_params, checks.check_estimator_repr,
                                   checks.check_do_not_raise_errors_in_init_or_set_params],
                         ids=lambda c: c.__name__)
def test_combined_coder_sklearn_api_check(check, coder):
    check("CombinedCoder", CombinedCoder(coder, LearnedCoder()))


def test_combined_coder_fit_fits_its_model_and_returns_itself(coder, segments):
    combined = CombinedCoder(coder, LearnedCoder(), blend=0.5, threshold=None)
    assert combined.fit(_training_segments(), LABELS) is combined
    assert [str(c) for c in combined.model.classes_] == ["employees", "residents", "resources"]
    assert not combined.code(segments).empty


def test_saved_settings_out_of_range_are_refused_naming_the_file(model, coder, tmp_path):
    from casecode.coders._persist import pack, unpack

    header, arrays = unpack(CombinedCoder(coder, model).to_bytes())
    header["combined"]["settings"]["blend"] = 7
    path = tmp_path / "coder.npz"
    path.write_bytes(pack(header, arrays))
    with pytest.raises(CoderError, match=re.escape(f"{path}: blend=7; it must be a number in 0..1")):
        CombinedCoder.from_disk(path, coder)


def test_combined_coder_merges_rule_and_model(coder, model, segments):
    codings = CombinedCoder(coder, model).code(segments)
    assert set(codings["coder"]) == {"combined"}
    staff = codings[codings["code"] == "employees"].iloc[0]
    assert staff.evidence == "listen to our staff"  # the rule's span, not the whole turn
    assert staff.rule.startswith("rule:employees-engage-staff + model p=")
    assert "partnerships" in set(codings["code"])  # not in the model: the rule alone decides
    for row in codings.itertuples():
        assert DOCUMENT[row.start:row.end] == row.evidence


def test_combined_coder_needs_shared_codes(coder):
    stranger = LearnedCoder().fit(["a b", "c d", "e f"], np.array([[1], [0], [1]]))
    with pytest.raises(CoderError, match="none of them in the codebook"):
        CombinedCoder(coder, stranger).code(pd.DataFrame({"segment_id": ["s"], "document_id": ["d"],
                                                          "start": [0], "text": ["x"]}))


# --- the scope lexicon -----------------------------------------------------------------------------------------------


def test_scope_lexicon_is_the_data_the_checks_read():
    from casecode.coders import scope

    lexicon = scope.load_lexicon()
    assert lexicon is scope.LEXICON
    assert "never" in scope.NEGATORS and scope.NEGATORS is lexicon.negation.negators
    assert ("used", "to") in lexicon.past.cues and ("i", "suppose") in lexicon.hedges
    assert lexicon.other_councils[0][-1] == {"LEMMA": {"IN": ["council", "authority", "borough", "la",
                                                              "organisation", "organization", "place"]}}


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(colour="red"), "colour: Extra inputs are not permitted"),
    (lambda d: d["negation"].update(negators=["not", False]), "negation.negators: Value error, False is not a word; quote"),
    (lambda d: d["wish"].update(verbs=[]), "wish.verbs: Value error, give a non-empty list"),
    (lambda d: d.pop("past"), "past: Field required"),
    (lambda d: d["other_councils"].append([{"LOWR": "other"}]), "other_councils: Value error, pattern 5 token 0 "
                                                                 "has unknown attribute 'LOWR'"),
])
def test_scope_lexicon_errors_name_the_file_and_key(tmp_path, change, message):
    from importlib import resources

    import yaml

    from casecode.coders.scope import load_lexicon
    from casecode.errors import CodebookError

    data = yaml.safe_load(resources.files("casecode").joinpath("data", "scope-lexicon-en.yaml").read_text("utf-8"))
    change(data)
    path = tmp_path / "lexicon.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(CodebookError) as info:
        load_lexicon(path)
    assert str(info.value).startswith(f"{path}: {message}")


def test_scope_lexicon_bad_yaml_names_the_line(tmp_path):
    from casecode.coders.scope import load_lexicon
    from casecode.errors import CodebookError

    path = tmp_path / "lexicon.yaml"
    path.write_text("version: 1\nclauses: [unclosed\n", encoding="utf-8")
    with pytest.raises(CodebookError, match=r"lexicon.yaml: line \d+ is not valid YAML"):
        load_lexicon(path)


@pytest.mark.parametrize("text, counts", [
    ("I report to the Cabinet Member for Resources and Assets.", False),
    ("It went to the Resources Committee in March.", False),
    ("We moved resources into the new team.", True),
    ("it went to the resources committee", True),  # no capitals, no title: speech recognition output
])
def test_rule_coder_titles_of_posts_and_committees_are_not_actions(nlp, text, counts):
    coder = RuleCoder(None, nlp)
    coder.add_patterns([{"label": "resources", "pattern": "resources", "id": "resources:word"}])
    row = coder.explain(text).iloc[0]
    assert bool(row["counts"]) is counts
    if not counts:
        assert "title of a post or committee" in row["why"]


def test_a_coder_saved_by_an_earlier_casecode_still_loads_and_decides_as_saved(coder, segments):
    # Written by casecode before CombinedCoder's settings became scikit-learn parameters (same file format).
    saved = CombinedCoder.from_disk(Path(__file__).parent / "saved" / "combined-coder-v1.npz", coder)
    assert saved.settings() == {"rule_weight": 0.5, "threshold": None, "veto": None, "weak_rule": 0.6, "blend": 0.55,
                                "council": "max", "council_cut": 0.6}
    assert list(saved.model.classes_) == ["employees", "residents", "resources"]
    assert np.round(saved.model.predict_proba(TEXTS[:2]), 4).tolist() == [[0.2374, 0.1328, 0.0568],
                                                                           [0.1879, 0.1773, 0.1448]]
    # partnerships: a rule the model does not know; employees: the council's best turn is under the 0.6 cut
    assert set(saved.code(segments).code) == {"partnerships"}


def test_pattern_id_is_its_own_column_of_rule_and_combined_codings(coder, model, segments):
    rules = coder.code(segments)
    assert rules.pattern.tolist() == ["employees-engage-staff", "partnerships:partner"]
    assert all(r.rule.split(" (")[0] == r.pattern for r in rules.itertuples())  # the rule text is unchanged
    combined = CombinedCoder(coder, model, threshold=0.0).code(segments)
    by_code = dict(zip(combined.code, combined.pattern))
    assert by_code["employees"] == "employees-engage-staff" and by_code["residents"] == ""  # the model alone
