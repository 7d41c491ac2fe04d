"""The transcript coder's variants leaving one training set (one writer) out, rules + model combined.

Run: python bench/ablation_transcript_coder.py [VARIANT ...] [--tolerance T] [--margin M] [--margins M,M,...]
     [--context N] [--context-features N] [--short N:E,...] [--speech-cut D,...] [--pair E,...]
     [--shard I/N --dump DIR | --merge DIR]
For each held-out writer the combined coder is fitted exactly as `casecode evaluate --study 2015` fits it
(`fit_transcript_coder`: the other sets plus the 2015 reference, blend tuned by cross-validation over writers,
council rule), then codes that writer's set; printed are turn-level micro precision, recall, F1 and council-level
kappa over the eleven chart actions for the model alone (p >= 0.5) and combined, and combined F1 on set12 onwards.
Variants: `base` (the transcript coder's model, `transcript_model`: words in one training unit only dropped),
`mindf1` (LearnedCoder with every word kept, the model before round six), `mindf2`/`mindf3`,
`win30max`/`win30avg`/`win20max`/`win40avg` (a long turn also scored by windows of that many words, half
overlapping; its probability the best window's, or the mean of that and the turn's).
`onecal` (calibration fitted on cross-validated scores of one logistic regression fitted on all the data), and with
`--context-features N`, `ctxfeat` (a turn under N words right after another speaker's turn also reads that turn's
words as separate features x 0.5).
`reachN` (a negation's `neg_` mark reaches N words instead of NEGATION_REACH; the lemma cache is emptied before
and after), `cbigram` (pairs of neighbouring content words, fillers and stop words skipped, as extra tokens:
"we um er took three people off" also reads "cb_take_three cb_three_people"), `lenbin` (a token for the turn's
length in words: up to 5, 12, 25, 50, more), `mindf2` (words and pairs seen in one training unit only dropped).
`qctxNN` (the interviewer's question before each turn read as separate features x NN/100, words of one training
unit dropped as in `base`; in round six it read every word; run it on its own, as it patches the unit texts every
coder reads), `wsense` (a token `xs_<code>` for each of the codebook's exclusions, its word-sense traps, found in
the turn; it reads every word, as `mindf1` does).
`charwbNN` (character 3-5-grams within words, `char_wb`, of the lemmas that carry no scope mark, x NN/100 beside
the words, n-grams of one training unit dropped: "partner ships" shares "partn", "rtner" and "ship" with
"partnership"; much slower to fit than `base`: its forty fits did not finish in 41 minutes on the loaded machine,
where `base`'s took about 15).
`dampN` (the tf-idf row of a text of fewer than N lemmas scaled by sqrt(lemmas / N), words of one training unit
dropped as in `base`: a fragment's two or three common words no longer carry a whole answer's weight).
`denial` (a token `xdeny` when the turn opens by answering no: "Ha. No.", "Not in any structured way", "Less than
you'd think", "we haven't", fillers and hedges skipped; words of one training unit dropped as in `base`).
`--short N:E,...` also scores each variant with a council rule that counts a turn under N words E less at council
level (the same fits).
`--speech-cut D,...` also scores each variant with the turn cut and the council cut D lower in documents that read as
raw speech-recognition output (under 1% capitals, under 0.03 punctuation marks per word; `speech_style`), and
`--pair E,...` with a council rule that also passes a council two of whose turns each score the turn cut + E (the
same fits).
`--top2 M,...` also scores each variant with the council rule "top2" (a council passes when its two strongest turns
together, noisy-or, reach the turn cut + M; the same fits).
`--margins M,M,...` also scores each variant's combined coder with those council margins (the same fits, the
council cut moved to the blend's cut + M); the speech-recognition sets (ASR_SETS) and the outsiders' sets
(OUTSIDER_SETS) are also scored together.
`--shard I/N --dump DIR` fits only every N-th held-out writer from the I-th and writes each fold's codings (every
line's) to DIR, so N processes share the fits on a busy machine; `--merge DIR` (same variants and options) then
prints the lines from those codings, fitting nothing.
`--tolerance` and `--margin` replace BLEND_TOLERANCE and COUNCIL_MARGIN; `--context N` reads a turn of fewer than N
words together with the turn before it. Held-out test sets (tests/data/unseen*) are not read.
"""

from __future__ import annotations

import argparse
import functools
import time
from pathlib import Path

import numpy as np
import pandas as pd


def windowed(width: int, how: str):
    """A LearnedCoder whose long turns are also scored by windows of `width` lemmas (with their scope marks)."""
    from casecode.coders import LearnedCoder
    from casecode.coders._learned import _positive

    class Windowed(LearnedCoder):
        def predict_proba(self, X):
            texts = self._texts(list(X))
            turn = np.column_stack([_positive(e, self.vectorizer_.transform(texts)) for e in self.estimators_])
            pieces, owner, step = [], [], width // 2
            for i, text in enumerate(texts):
                words = text.split()
                if len(words) > width * 1.5:
                    for start in range(0, len(words) - step, step):
                        pieces.append(" ".join(words[start:start + width]))
                        owner.append(i)
            if not pieces:
                return turn
            scored = self.vectorizer_.transform(pieces)
            window = np.column_stack([_positive(e, scored) for e in self.estimators_])
            best = np.zeros_like(turn)
            for k, i in enumerate(owner):
                best[i] = np.maximum(best[i], window[k])
            return np.maximum(turn, best) if how == "max" else np.where(best > 0, (turn + best) / 2, turn)

    return Windowed


def one_calibrated():
    """A LearnedCoder whose sigmoid calibration is fitted on cross-validated scores of ONE logistic regression fitted
    on all the data (CalibratedClassifierCV(ensemble=False)), not averaged over models fitted on two thirds of it."""
    from sklearn.calibration import CalibratedClassifierCV

    from casecode.coders import LearnedCoder

    class OneCalibrated(LearnedCoder):
        def _fit_one(self, features, y):
            positives = int(y.sum())
            if not self.calibration or min(positives, len(y) - positives) < self.cv:
                return LearnedCoder._fit_one(self, features, y)
            logistic = self._logistic().fit(features, y)
            calibrated = CalibratedClassifierCV(self._logistic(), method=self.calibration, cv=self.cv, ensemble=False)
            return calibrated.fit(features, y), logistic.coef_[0], True

    return OneCalibrated


def _prefixed(mark: str, weight: float):
    """A learned coder for unit texts "PREFIX<mark>TURN": the turn's words as usual, the prefix's words (in the turn's
    vocabulary) beside them times `weight`; a text without the mark has an empty prefix."""
    from scipy import sparse

    from casecode.coders import LearnedCoder

    class Prefixed(LearnedCoder):
        def _texts(self, X):
            return LearnedCoder._texts(self, [str(t).split(mark)[-1] for t in X])

        def _features(self, X, fit=False):
            X = [str(t) for t in X]
            turn = self._texts(X)
            prefix = LearnedCoder._texts(self, [t.split(mark)[0] if mark in t else "" for t in X])
            if fit:
                self.vectorizer_.fit(turn)
            return sparse.hstack([self.vectorizer_.transform(turn), weight * self.vectorizer_.transform(prefix)]).tocsr()

        def _fit_features(self, X, texts):
            return self._features(list(X), fit=True)

        def predict_proba(self, X):
            return self._proba(self._features(list(X)))

    return Prefixed


def context_features(words: int, weight: float):
    """A LearnedCoder that reads a turn of fewer than `words` words whose previous unit is another speaker's turn
    (not the interviewer's: interviewer turns are not codable) together with that turn's words as separate features,
    times `weight`. Patches the unit texts every coder reads, as `--context` does."""
    import casecode.coders._codings as codings
    import casecode.coders._combined as combined
    import casecode.coders._learned as learned

    plain, mark = codings.unit_texts, "\x1e"

    def unit_texts(segments):
        texts = plain(segments)
        if "unit" not in segments.columns or "speaker" not in segments.columns:
            return texts
        docs, units, speakers = list(segments["document_id"]), list(segments["unit"]), list(segments["speaker"])
        return [texts[i - 1] + mark + t if i and docs[i] == docs[i - 1] and units[i - 1] == units[i] - 1
                and speakers[i] and speakers[i - 1] and speakers[i] != speakers[i - 1] and len(t.split()) < words
                else t for i, t in enumerate(texts)]

    codings.unit_texts = combined.unit_texts = learned.unit_texts = unit_texts

    return _prefixed(mark, weight)


def with_context(words: int) -> None:
    """Make every coder read a turn of fewer than `words` words together with the codable turn before it."""
    import casecode.coders._codings as codings
    import casecode.coders._combined as combined
    import casecode.coders._learned as learned

    plain = codings.unit_texts

    def unit_texts(segments):
        texts, docs = plain(segments), list(segments["document_id"])
        return [texts[i - 1] + " " + t if i and docs[i] == docs[i - 1] and len(t.split()) < words else t
                for i, t in enumerate(texts)]

    codings.unit_texts = combined.unit_texts = learned.unit_texts = unit_texts


def question_features(questions: dict, weight: float, min_df: int = 1):
    """A LearnedCoder that also reads the interviewer's question before each turn (`questions`: segment id -> the
    latest interviewer turn before it in its transcript, label cut off) as separate features times `weight`: a
    short answer ("yeah we did that") reads the topic it answers. Patches the unit texts every coder reads."""
    import casecode.coders._codings as codings
    import casecode.coders._combined as combined
    import casecode.coders._learned as learned

    plain, mark = codings.unit_texts, "\x1e"

    def unit_texts(segments):
        texts = plain(segments)
        if "segment_id" not in segments.columns:
            return texts
        return [questions[s] + mark + t if s in questions else t for s, t in zip(segments["segment_id"], texts)]

    codings.unit_texts = combined.unit_texts = learned.unit_texts = unit_texts

    return functools.partial(_prefixed(mark, weight), min_df=min_df)


def interviewer_questions() -> dict:
    """Segment id -> the text of the latest interviewer turn before it in its training transcript."""
    from pathlib import Path

    from casecode.corpus import read_documents, segments_frame
    from casecode.corpus._turns import speaker_label_end
    from casecode.studies._paths import study_paths

    out = {}
    for folder in sorted((study_paths().root / "corpus" / "training-transcripts").glob("set*")):
        for document in read_documents(sorted(Path(folder).glob("*.txt"))):
            last = ""
            for seg in segments_frame(document.segments).itertuples(index=False):
                if seg.role == "interviewer":
                    last = str(seg.text)[speaker_label_end(str(seg.text), seg.speaker):].strip()
                elif seg.codable and last:
                    out[seg.segment_id] = last
    return out


def word_sense():
    """A LearnedCoder whose texts get a token `xs_<code>` for each of the codebook's exclusions (word-sense traps:
    "learning disability", "agile working", "risk register") found in the text, so the model can pool the traps of a
    code into one feature against that code's words."""
    from spacy.matcher import Matcher

    from casecode.coders import LearnedCoder, load_nlp
    from casecode.coders._rules import codebook_patterns
    from casecode.studies import load_study

    nlp = load_nlp(None)
    matcher = Matcher(nlp.vocab)
    for entry in codebook_patterns(load_study().codebook):
        if not entry.get("exclusion"):
            continue
        pattern = entry["pattern"]
        label = "xs_" + entry["label"]
        if isinstance(pattern, str):
            words = pattern.split()
            lemmas = [t.lemma_.lower() or t.lower_ for t in nlp(pattern)]
            matcher.add(label, [[{"LOWER": w.lower()} for w in words], [{"LEMMA": w} for w in lemmas]])
        else:
            matcher.add(label, [pattern])
    found: dict[str, str] = {}

    def tokens(texts):
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        for text, doc in zip(missing, nlp.pipe(missing)):
            found[text] = " ".join(sorted({nlp.vocab.strings[m] for m, _, _ in matcher(doc)}))
        return [found[t] for t in texts]

    class WordSense(LearnedCoder):
        def _texts(self, X):
            X = ["" if t is None else str(t) for t in X]
            return [(t + " " + x).strip() for t, x in zip(LearnedCoder._texts(self, X), tokens(X))]

    return WordSense


def char_ngrams(weight: float, low: int = 3, high: int = 5):
    """A LearnedCoder that also reads character n-grams (`char_wb`, `low`-`high` characters, words of one training
    unit dropped) of the turn's lemmas that carry no scope mark, times `weight`, beside its words: "partner ships"
    and "partnerships" share "partn", "rtner", "ship"; a negated or wished-for word adds none (its mark keeps it apart
    in the word features)."""
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer

    from casecode.coders import LearnedCoder

    def plain(text: str) -> str:
        return " ".join(w for w in text.split() if "_" not in w)

    class CharNgrams(LearnedCoder):
        def _fit_features(self, X, texts):
            self.chars_ = TfidfVectorizer(analyzer="char_wb", ngram_range=(low, high), min_df=self.min_df,
                                          sublinear_tf=True)
            words = self.vectorizer_.fit_transform(texts)
            return sparse.hstack([words, weight * self.chars_.fit_transform([plain(t) for t in texts])]).tocsr()

        def predict_proba(self, X):
            texts = self._texts(X)
            return self._proba(sparse.hstack([self.vectorizer_.transform(texts),
                                              weight * self.chars_.transform([plain(t) for t in texts])]).tocsr())

    return functools.partial(CharNgrams, min_df=2)


def short_damped(words: int):
    """A LearnedCoder whose tf-idf row of a text of fewer than `words` lemmas is scaled by sqrt(lemmas / words): a
    unit-length row gives the two or three common words of a fragment ("and the", "and the chief exec") the weight a
    whole answer's words share, so a fragment scored p 0.9 for a code on "and the" alone."""
    from scipy import sparse

    from casecode.coders import LearnedCoder

    def scaled(matrix, texts):
        n = np.array([len(t.split()) for t in texts], dtype=float)
        return sparse.diags(np.sqrt(np.minimum(1.0, n / words))) @ matrix

    class Damped(LearnedCoder):
        def _fit_features(self, X, texts):
            return scaled(self.vectorizer_.fit_transform(texts), texts).tocsr()

        def predict_proba(self, X):
            texts = self._texts(X)
            return self._proba(scaled(self.vectorizer_.transform(texts), texts).tocsr())

    return functools.partial(Damped, min_df=2)


#: Training sets of speech-recognition output (their READMEs say so), scored together.
ASR_SETS = ("set14", "set17", "set18", "set21", "set24", "set27", "set28", "set32", "set35", "set39",
            "set41", "set43", "set45", "set47")
#: Training sets of outsiders describing a council (partners, the police, the NHS, a CVS), scored together.
OUTSIDER_SETS = ("set31", "set36", "set40", "set42", "set48")

# Words a content-word pair skips: fillers of speech and function words (pronouns, determiners, auxiliaries,
# prepositions, conjunctions; not scikit-learn's stop list, which also drops "take", "put", "back", "together").
_SKIPPED = set("""um er erm uh ah mm hmm yeah yes no okay ok like know mean sort kind just really basically actually
literally crosstalk inaudible laugh laughs right so well oh thing stuff bit lot gonna wanna i me my we us our you your
he him his she her they them their it its this that these those there here a an the and or but if then than as of to
in on at by for with from into about be do have will would can could should shall may might must not there's what
which who whom whose when where why how all any some each every very too also quite still even only much many more
most other such own same one""".split())


def reach(words: int):
    """A LearnedCoder whose negation marks reach `words` words: the marks are worked out once with no reach (a cache
    of its own) and cut to `words` as `scope_marks` cuts them to NEGATION_REACH."""
    import casecode.coders.scope._marks as marks

    from casecode.coders import LearnedCoder
    from casecode.coders._nlp import load_nlp, pipe_shared

    def full(texts):
        missing = [t for t in dict.fromkeys(texts) if t not in _UNREACHED]
        if missing:
            saved, marks.NEGATION_REACH = marks.NEGATION_REACH, 10 ** 9
            try:
                for text, doc in zip(missing, pipe_shared(load_nlp(None), missing)):
                    _UNREACHED[text] = marks.scope_marks(doc)
            finally:
                marks.NEGATION_REACH = saved
        return [_UNREACHED[t] for t in texts]

    class Reach(LearnedCoder):
        def _texts(self, X):
            if isinstance(X, str) or not self.lemmatize or not self.scope_marks or self.pipeline:
                return LearnedCoder._texts(self, X)
            texts = ["" if t is None else str(t) for t in X]
            return [" ".join(marks._reach(list(w), "neg_", words)) for w in full(texts)]

    return Reach


_UNREACHED: dict[str, list[str]] = {}


def extra_tokens(how: str):
    """A LearnedCoder whose lemmatized texts get extra tokens: content-word pairs or a length bin."""
    from casecode.coders import LearnedCoder

    skip = _SKIPPED

    def content(word: str) -> bool:
        base = word.split("_", 1)[1] if word[:4] in ("neg_", "irr_", "oth_", "ttl_") or word[:5] == "past_" else word
        return len(base) > 1 and base not in skip and not base.isdigit()

    def more(text: str) -> str:
        words = text.split()
        if how == "cbigram":
            kept = [w for w in words if content(w)]
            return " ".join(["cb_" + a + "_" + b for a, b in zip(kept, kept[1:])])
        n = len(words)
        return "lenbin" + str(sum(n > cut for cut in (5, 12, 25, 50)))

    class Extra(LearnedCoder):
        def _texts(self, X):
            return [t + " " + more(t) if t else t for t in LearnedCoder._texts(self, X)]

    return Extra


#: A turn that opens by answering no ("Ha. No.", "Honestly, not really", "Less than you'd think", "Not in any
#: structured way", "we haven't"), fillers and hedges skipped.
_DENIAL = None


def opening_denial():
    """A LearnedCoder whose texts get a token `xdeny` when the turn opens by answering no (`_DENIAL`): a long
    answer that starts "No. There's no pot. Every new thing we do comes out of the same budget" is about what the
    council lacks, though its later sentences carry no negation the scope marks reach."""
    import re

    from casecode.coders import LearnedCoder

    global _DENIAL
    filler = r"(?:ha|haha|honestly|well|um+|er+m?|uh|ah|so|oh|look|yeah|right|sadly|frankly|truthfully|to be (?:fair|" \
             r"honest)|in (?:truth|honesty)|hand on heart|i mean|if i'?m honest|mixed)"
    _DENIAL = re.compile(rf"^\W*(?:{filler}\W+)*(?:no\b|nope|not\b|never\b|nothing\b|none\b|less than|hardly|barely|"
                         r"(?:we|i|they|it|there)(?:'?ve| have| had| do| did| does| is| was|'?s)? ?(?:n'?t|not|never|no)\b|"
                         r"(?:we|i|they) (?:haven|don|didn|wouldn|couldn|can)'?t\b)", re.IGNORECASE)

    class Denial(LearnedCoder):
        def _texts(self, X):
            raw = ["" if t is None else str(t) for t in X]
            return [t + " xdeny" if _DENIAL.match(r) else t for t, r in zip(LearnedCoder._texts(self, raw), raw)]

    return functools.partial(Denial, min_df=2)


def short_council(coder, words: int, extra: float):
    """`coder` (fitted) whose council rule asks `extra` more of a turn shorter than `words` words: at council level a
    short turn's score counts `extra` less, so a council whose only strong evidence is one short turn (a one-line
    "yeah we did that" in group talk) does not take the code; the turn decisions are otherwise unchanged."""
    import casecode.coders._combined as combined
    from casecode.coders._codings import unit_texts
    from casecode.corpus import first_case

    class Short(coder.__class__):
        def _by_council(self, rows, columns, chosen, scores):
            rows = pd.DataFrame(rows)  # the segments as dicts (CombinedCoder._code's records)
            n = np.array([len(t.split()) for t in unit_texts(rows)])
            penalty = np.where(n < words, extra, 0.0)[:, None]
            weighed = scores - penalty
            cases = [first_case(c) for c in rows["cases"]] if "cases" in rows.columns else [""] * len(rows)
            cases = [case or doc for case, doc in zip(cases, rows["document_id"])]
            members = {}
            for i, case in enumerate(cases):
                members.setdefault(case, []).append(i)
            chosen = chosen.copy()
            for k in columns:
                for units in members.values():
                    if combined.council_evidence(weighed[units, k].tolist(), self.council) < self.council_cut:
                        chosen[units, k] = False
                    elif not chosen[units, k].any():
                        chosen[units[int(np.argmax(scores[units, k]))], k] = True
            return chosen

    return Short(coder.rule_coder, coder.model, **coder.settings())


def speech_style(rows) -> np.ndarray:
    """Per row, whether its document reads as raw speech-recognition output: its codable turns (labels cut off)
    have under 1% capital letters and under 0.03 punctuation marks per word (41 of the 48 documents of the
    speech-recognition training sets, none of the others, on forty-three sets)."""
    import re

    from casecode.coders._codings import unit_texts

    upper, letters, marks, words = {}, {}, {}, {}
    docs = list(rows["document_id"])
    for doc, text in zip(docs, unit_texts(rows)):
        upper[doc] = upper.get(doc, 0) + sum(c.isupper() for c in text)
        letters[doc] = letters.get(doc, 0) + sum(c.isalpha() for c in text)
        marks[doc] = marks.get(doc, 0) + len(re.findall(r"[.,?!;:]", text))
        words[doc] = words.get(doc, 0) + len(text.split())
    flat = {d: upper[d] < 0.01 * max(letters[d], 1) and marks[d] < 0.03 * max(words[d], 1) for d in upper}
    return np.array([flat[d] for d in docs], dtype=bool)


def speech_cut(coder, shift: float):
    """`coder` (fitted) whose turn cut and council cut are both `shift` lower in documents that read as raw
    speech-recognition output (`speech_style`): everyday, unpunctuated talk scores lower on the same evidence."""
    from casecode.coders._codings import codable_segments

    class SpeechCut(coder.__class__):
        def code(self, segments, rule_codings=None):
            self._speech = speech_style(codable_segments(segments))
            return super().code(segments, rule_codings=rule_codings)

        def _decisions(self, strength, p, known, scores):
            if self.blend is None:
                return super()._decisions(strength, p, known, scores)
            return np.where(known, scores >= self.blend - shift * self._speech[:, None], ~np.isnan(strength))

        def _by_council(self, rows, columns, chosen, scores):
            return super()._by_council(rows, columns, chosen, scores + shift * self._speech[:, None])

    return SpeechCut(coder.rule_coder, coder.model, **coder.settings())


def pair_council(coder, extra: float):
    """`coder` (fitted) whose council rule also lets a council take a code when two of its turns each score at
    least the turn cut + `extra` (the evidence of several turns together), besides its strongest turn reaching the
    council cut."""
    import casecode.coders._combined as combined
    from casecode.corpus import first_case

    class Pair(coder.__class__):
        def _by_council(self, rows, columns, chosen, scores):
            cases = [first_case(c) for c in rows["cases"]] if "cases" in rows.columns else [""] * len(rows)
            cases = [case or doc for case, doc in zip(cases, rows["document_id"])]
            members = {}
            for i, case in enumerate(cases):
                members.setdefault(case, []).append(i)
            chosen = chosen.copy()
            for k in columns:
                for units in members.values():
                    strength = scores[units, k]
                    two = np.sort(strength)[-2:] if len(units) > 1 else np.zeros(0)
                    passes = combined.council_evidence(strength.tolist(), self.council) >= self.council_cut or \
                        (len(two) == 2 and two[0] >= self.blend + extra)
                    if not passes:
                        chosen[units, k] = False
                    elif not chosen[units, k].any():
                        chosen[units[int(np.argmax(strength))], k] = True
            return chosen

    return Pair(coder.rule_coder, coder.model, **coder.settings())


def top2_council(coder, margin: float):
    """`coder` (fitted) whose council rule is "top2": a council takes a code when its two strongest turns together
    (noisy-or) reach the blend's cut + `margin` (one turn alone needs the whole of it)."""
    return coder.__class__(coder.rule_coder, coder.model, **{**coder.settings(), "council": "top2",
                                                            "council_cut": round(min(1.0, coder.blend + margin), 3)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="*", default=["base"])
    parser.add_argument("--tolerance", type=float)
    parser.add_argument("--margin", type=float)
    parser.add_argument("--margins", type=lambda v: [float(m) for m in v.split(",")], default=[])
    parser.add_argument("--context", type=int)
    parser.add_argument("--context-features", type=int, metavar="N")
    parser.add_argument("--short", type=lambda v: [tuple(float(x) for x in r.split(":")) for r in v.split(",")],
                        default=[], metavar="N:E,...")
    parser.add_argument("--speech-cut", type=lambda v: [float(x) for x in v.split(",")], default=[],
                        metavar="D,...")
    parser.add_argument("--pair", type=lambda v: [float(x) for x in v.split(",")], default=[], metavar="E,...")
    parser.add_argument("--top2", type=lambda v: [float(x) for x in v.split(",")], default=[], metavar="M,...")
    parser.add_argument("--shard", metavar="I/N", help="fit only every N-th held-out set from the I-th (0-based)")
    parser.add_argument("--dump", metavar="DIR", help="write each fold's codings to DIR (with --shard)")
    parser.add_argument("--merge", metavar="DIR", help="score the folds --dump wrote, fitting nothing")
    args = parser.parse_args()

    import casecode.coders._combined as combined
    from casecode.analysis import evaluate
    from casecode.coders import LearnedCoder, RuleCoder, load_nlp
    from casecode.studies import load_study
    from casecode.studies.transcripts import (TRANSCRIPT_MIN_DF, fit_transcript_coder, training_transcripts,
                                              transcript_model)

    if args.tolerance is not None:
        combined.BLEND_TOLERANCE = args.tolerance
    if args.margin is not None:
        combined.COUNCIL_MARGIN = args.margin
    if args.context:
        with_context(args.context)
    variants = {"base": transcript_model, "mindf1": LearnedCoder,
                **{f"win{w}{how}": windowed(w, how) for w in (20, 30, 40) for how in ("max", "avg")},
                "onecal": one_calibrated(), "cbigram": extra_tokens("cbigram"), "lenbin": extra_tokens("lenbin"),
                **{f"reach{n}": reach(n) for n in (4, 5, 6, 7, 8, 10, 12, 16, 1000)},
                "mindf2": functools.partial(LearnedCoder, min_df=2),
                "mindf3": functools.partial(LearnedCoder, min_df=3)}
    if args.context_features:
        variants["ctxfeat"] = context_features(args.context_features, 0.5)
    for name in args.variants:
        if name.startswith("qctx"):  # qctx30: the interviewer's question x 0.30
            variants[name] = question_features(interviewer_questions(), int(name[4:]) / 100, TRANSCRIPT_MIN_DF)
        if name.startswith("charwb"):  # charwb50: character 3-5-grams x 0.50
            variants[name] = char_ngrams(int(name[6:]) / 100)
        if name.startswith("damp"):  # damp12: rows of texts under 12 lemmas scaled by sqrt(lemmas / 12)
            variants[name] = short_damped(int(name[4:]))
        if name == "wsense":
            variants[name] = word_sense()
        if name == "denial":
            variants[name] = opening_denial()
    study = load_study()
    units, gold = training_transcripts()
    rules = RuleCoder(study.codebook, load_nlp(None))
    rule_codings = None if args.merge else \
        pd.concat([rules.code(units), rules.code(study.scope)], ignore_index=True)

    def scores(codings, part=None):
        u = units if part is None else units[units.set.isin([part] if isinstance(part, str) else part)]
        g = gold[gold.segment_id.isin(set(u.segment_id))]
        c = codings[codings.segment_id.isin(set(u.segment_id))]
        cases = list(dict.fromkeys(x for cs in u.cases for x in cs))
        return evaluate(c, g, u, study.chart_codes, cases=cases, labels=study.codebook)

    def line(codings, label):
        ev = scores(pd.concat(codings, ignore_index=True))
        m = ev.micro
        return f"{label} P {m['precision']:.3f} R {m['recall']:.3f} F1 {m['f1']:.3f} kappa {ev.case_kappa:.3f}"

    sets = sorted(set(units.set), key=lambda s: int(s[3:]))
    asr = [s for s in ASR_SETS if s in sets]
    outsiders = [s for s in OUTSIDER_SETS if s in sets]
    margins = [None] + [m for m in args.margins if m != combined.COUNCIL_MARGIN]
    later = [(f"short{words:g}:{extra:g}", functools.partial(short_council, words=int(words), extra=extra))
             for words, extra in args.short]
    later += [(f"speechcut{d:g}", functools.partial(speech_cut, shift=d)) for d in args.speech_cut]
    later += [(f"pair{e:g}", functools.partial(pair_council, extra=e)) for e in args.pair]
    later += [(f"top2_{m:g}", functools.partial(top2_council, margin=m)) for m in args.top2]

    def fold_codings(coder, test) -> dict:
        """Label -> this fold's codings: the model alone, combined at each council margin, each later rule."""
        out = {"model": coder.model.code(test, threshold=0.5)}
        for margin in margins:
            changed = coder
            if margin is not None and coder.blend is not None and coder.council is not None:
                cut = round(min(1.0, coder.blend + margin), 3)
                changed = coder.__class__(coder.rule_coder, coder.model, **{**coder.settings(), "council_cut": cut})
            out[margin] = changed.code(test, rule_codings=rule_codings)
        for what, change in later:
            changed = change(coder) if coder.blend is not None and coder.council is not None else coder
            out[what] = changed.code(test, rule_codings=rule_codings)
        return out

    def parts(both):
        both = pd.concat(both, ignore_index=True)
        out = [" ".join(f"{s} {scores(both, s).micro['f1']:.3f}" for s in sets if int(s[3:]) >= 12)]
        for label_, part in (("asr", asr), ("outsiders", outsiders)):
            if part:
                m = scores(both, part).micro
                out.append(f"{label_} P {m['precision']:.3f} R {m['recall']:.3f} F1 {m['f1']:.3f}")
        return out

    mine = sets
    if args.shard:
        index, count = (int(x) for x in args.shard.split("/"))
        mine = [s for k, s in enumerate(sets) if k % count == index]
    for name in args.variants:
        make_model, started = variants[name], time.time()
        folds = []
        for held_set in sets if args.merge else mine:
            if args.merge:
                folds.append(pd.read_pickle(Path(args.merge) / f"{name}-{held_set}.pkl"))
                continue
            held = (units.set == held_set).to_numpy()
            train, test = units[~held], units[held]
            train_gold = gold[gold.segment_id.isin(set(train.segment_id))]
            coder = fit_transcript_coder(study, train, train_gold, rules=rules, rule_codings=rule_codings,
                                         make_model=make_model)
            # the combined coder's model is the model alone: fitted on the same units (shipped_training)
            folds.append(fold_codings(coder, test))
            if args.dump:
                Path(args.dump).mkdir(parents=True, exist_ok=True)
                pd.to_pickle(folds[-1], Path(args.dump) / f"{name}-{held_set}.pkl")
                print(f"{name} {held_set} fitted and coded | {time.time() - started:.0f} s", flush=True)
        if args.shard and not args.merge:
            continue
        for margin in margins:
            label = f"{name}" + (f"@{margin:g}" if margin is not None else f"@{combined.COUNCIL_MARGIN:g}")
            out = [line([f["model"] for f in folds], "model")] if margin is None else []
            out.append(line([f[margin] for f in folds], "combined"))
            out += parts([f[margin] for f in folds])
            print(f"{label:14s} | {' | '.join(out)} | {time.time() - started:.0f} s", flush=True)
        for what, _ in later:
            out = [line([f[what] for f in folds], "combined")] + parts([f[what] for f in folds])
            print(f"{name}+{what} | {' | '.join(out)}", flush=True)


if __name__ == "__main__":
    main()
