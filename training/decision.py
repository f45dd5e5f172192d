"""Fit and measure the mispronunciation decision (issue 20) on readings with known swaps.

    python -m training.decision --data ../shared/data/speechocean762-train --natives [--voices]

Needs ``training.train`` (each fold's CTC head and scorer) and ``training.swaps`` (the
swapped readings). Every reading, swapped or its unswapped twin, is scored by the head and
scorer of the fold that never heard its speaker. The logistic regression is fitted on the
readings of the folds other than HELD_OUT_FOLD; its threshold and the competitor weighting
are chosen by leave-one-fold-out over those folds, and its shape (the false-alarm budget that
sets the threshold, and the red band's floor) by the experts' agreement on each of those
folds with the decision fitted on the others; then it is measured once on HELD_OUT_FOLD's
speakers, as the API would answer (issue 20's table, on all swaps and on the ones a language
model finds plausible, and the experts' agreement), and written to ``orato/scoring/weights/``.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import product
from pathlib import Path

import numpy as np

from orato.acoustic.phones import phone_name
from orato.scoring.assessment import UtteranceAssessment
from orato.scoring.ctc_head import CtcHeads
from orato.scoring.decision import (
    RED_FLOOR,
    DecidedScores,
    MispronunciationDecision,
    PhoneVerdicts,
    competitors,
    decided_scores,
    decision_inputs,
    logistic,
)
from orato.scoring.engine import assessment
from orato.scoring.evidence import Evidence, evidence_from_arrays
from orato.scoring.features import PhoneFeatures, heard_features
from orato.scoring.results import NATIVE_LIKE_QUALITY, sentence_pronunciation, word_estimate
from orato.scoring.rubric import round_half_up
from orato.scoring.scorer import Predictions, ScorerEnsemble
from training import extract
from training.cache_keys import cached, digest
from training.corpus import Utterance, load_corpus, speaker_folds
from training.swaps import Swap, load_swaps, swap_path, swapped_script
from training.train import (
    CANDIDATES,
    FOLDS,
    HELD_OUT_FOLD,
    SEED,
    WEIGHTS_DIR,
    fold_heads,
    fold_scorer_path,
    heads_digest,
    held_out_path,
    load_held_out,
    out_of_fold_features,
    pearson,
    spoken_words,
)
from training.voices import AUDIOS, NATIVE_VOICE, VOICES, reading_path, reverse, script_of

CACHE_DIR = extract.CACHE_DIR / "decision"
L2 = 1.0
NEWTON_STEPS = 25
# Shares of rightly said phones (the twins') the decision may call wrong, and floors of the red
# band, tried on the inner folds (``shapes``): a smaller budget and a higher floor bring the
# experts' agreement nearer the scorer's own estimates (speechocean762's experts mark few phones
# wrong, and leniently), at the cost of issue 20's figures. A budget of 0.005 (the first
# decision's) lets a reading of about 20 phones lose a word in 1 of 10 readings.
FALSE_ALARM_BUDGETS = (0.001, 0.0015, 0.002, 0.003, 0.005)
RED_FLOORS = (30.0, 35.0, 40.0, 45.0, 50.0)
# Issue 20's targets (its right-hand column) as (lowest, highest) that the chosen shape must keep
# on the inner folds' swaps of people's readings and of Piper's, tightened by a margin where the
# shape moves them: held-out speakers wander from the inner folds' figures (swapped words shown
# green: 0.107 inner, 0.110 held out; Piper's 0.064 and 0.100).
PEOPLE_BOUNDS = {
    "swapped_words_green": (0.0, 0.20), "swapped_words_red": (0.60, 1.0), "swapped_phone_median": (0.0, 45.0),
    "sentence_drop_median": (4.0, 100.0), "auc": (0.975, 1.0), "heard_names_said": (0.88, 1.0),
}  # fmt: skip
NATIVE_BOUNDS = {
    "swapped_words_green": (0.0, 0.20), "swapped_phone_median": (0.0, 45.0), "at_95_naming_script_phone": (0.0, 0.0),
    "twin_median_word": (95.0, 100.0), "twin_p10_sentence": (90.0, 100.0),
}  # fmt: skip
# Share of rightly said phones whose competitor may be likelier by the contested margin (and
# so shown short of native-like): a reading of about 20 phones has one such phone in 1 of
# 2.5 readings, while nearly every substituted phone the decision lets pass is contested.
CONTESTED_BUDGET = 0.02
HAMA_WEIGHTS = (0.0, 0.5, 1.0)
# Where a rival's lead (log shares) starts to cap a phone, tried from the first to the last.
CONTEST_STARTS = (0.0, 1.0, 2.0, 3.0, 4.0)
GREEN, RED = 80, 70


@dataclass
class Reading:
    """One reading scored against its script (swapped or not) by its fold's models."""

    uttid: str
    fold: int
    swap: Swap | None
    evidence: Evidence
    features: PhoneFeatures
    predictions: Predictions
    voice: str | None = None  # a local voice's reading (training.voices), not a person's

    @property
    def spoken(self) -> list[bool]:
        return [w.spoken for w in self.evidence.alignment.words]

    def swapped_phone(self) -> int:
        """Index (over the reading's phones) of the swapped phone."""
        assert self.swap is not None
        words = self.evidence.alignment.words
        return sum(len(w.phones) for w in words[: self.swap.word]) + self.swap.position


def _scored(evidence: Evidence, heads: CtcHeads, scorer: ScorerEnsemble, n_words: int) -> tuple[PhoneFeatures, Predictions]:
    features = heard_features(evidence, heads, frozenset(scorer.groups))
    return features, scorer(features, n_words)


@dataclass(frozen=True)
class FoldModels:
    """Each fold's head and scorer from ``training.train``: the fold's speakers unheard."""

    scorer_name: str

    def __call__(self, fold: int) -> tuple[CtcHeads, ScorerEnsemble]:
        return fold_heads(fold), ScorerEnsemble(dict(np.load(fold_scorer_path(self.scorer_name, fold))))

    def cached(self, name: str, swaps: Sequence[Swap], build: Callable[[], list[Reading]]) -> list[Reading]:
        """``build()``'s readings of ``swaps``, pickled under ``name`` and read back while every
        fold's heads and scorer are the ones they were scored by."""
        scorers = [fold_scorer_path(self.scorer_name, fold) for fold in range(FOLDS)]
        return cached(CACHE_DIR / f"{name}.pkl", digest(scorers, heads_digest(), list(swaps)), build)


def build_readings(corpus: list[Utterance], folds: dict[str, int], swaps: list[Swap], models: FoldModels) -> list[Reading]:
    """Every swap and its twin, scored by their fold's head and scorer (cached)."""

    def build() -> list[Reading]:
        by_id = {u.uttid: u for u in corpus}
        readings = []
        for fold in range(FOLDS):
            heads, scorer = models(fold)
            for swap in (s for s in swaps if folds[s.speaker] == fold):
                utt = by_id[swap.uttid]
                with np.load(extract.evidence_path(utt.uttid)) as arrays:
                    twin = evidence_from_arrays(dict(arrays), [w.phones for w in utt.words])
                with np.load(swap_path(swap)) as arrays:
                    swapped = evidence_from_arrays(dict(arrays), swapped_script(utt, swap)[1])
                for evidence, which in ((twin, None), (swapped, swap)):
                    features, predictions = _scored(evidence, heads, scorer, len(utt.words))
                    readings.append(Reading(utt.uttid, fold, which, evidence, features, predictions))
        return readings

    return models.cached("readings", swaps, build)


def voice_readings(corpus: list[Utterance], folds: dict[str, int], swaps: list[Swap], models: FoldModels) -> list[Reading]:
    """Every cached reading of ``training.voices``, each with its twin (the voice's reading
    of its own script), scored by the head and scorer of the sentence's fold (cached)."""

    def build() -> list[Reading]:
        by_id = {u.uttid: u for u in corpus}
        readings = []
        for fold in range(FOLDS):
            heads, scorer = models(fold)
            for swap, voice, audio in product((s for s in swaps if folds[s.speaker] == fold), VOICES, AUDIOS):
                other = "swap" if audio == "true" else "true"
                paths = [reading_path(voice, swap, audio, script) for script in (audio, other)]
                if not all(p.exists() for p in paths):
                    continue
                utt = by_id[swap.uttid]
                swapped = swap if audio == "true" else reverse(swap)
                for path, script, which in zip(paths, (audio, other), (None, swapped), strict=True):
                    with np.load(path) as arrays:
                        evidence = evidence_from_arrays(dict(arrays), script_of(utt, swap, script)[1])
                    features, predictions = _scored(evidence, heads, scorer, len(utt.words))
                    readings.append(Reading(f"{voice}-{audio}-{utt.uttid}", fold, which, evidence, features,
                                            predictions, voice))  # fmt: skip
        return readings

    return models.cached("voices", swaps, build)


def natives(readings: list[Reading]) -> list[Reading]:
    """The held-out table's native readings: Piper reading the sentences as written."""
    return [r for r in readings if r.uttid.startswith(f"{NATIVE_VOICE}-true-")]


def labelled(readings: Sequence[Reading]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inputs, labels (1: the swapped phone) and twin flags of every spoken phone."""
    xs, ys, twins = [], [], []
    for r in readings:
        x = decision_inputs(r.features)
        y = np.zeros(len(x))
        if r.swap is not None:
            y[r.swapped_phone()] = 1
        said = r.features.groups["alignment"][:, 2] > 0
        xs.append(x[said]), ys.append(y[said]), twins.append(np.full(said.sum(), r.swap is None))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(twins)


def fit_logistic(x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """L2-penalised logistic regression on standardised inputs (Newton's method)."""
    mean, std = x.mean(0), np.maximum(x.std(0), 1e-6)
    z = np.concatenate([(x - mean) / std, np.ones((len(x), 1))], axis=1)
    w = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], L2)
    penalty[-1] = 0.0
    for _ in range(NEWTON_STEPS):
        p = 1 / (1 + np.exp(-np.clip(z @ w, -30, 30)))
        gradient = z.T @ (p - y) + penalty * w
        hessian = (z * (p * (1 - p))[:, None]).T @ z + np.diag(penalty)
        w -= np.linalg.solve(hessian, gradient)
    return {"mean": mean, "std": std, "coef": w[:-1], "intercept": np.asarray(w[-1])}


def choose(readings: list[Reading], budget: float) -> tuple[dict[str, np.ndarray], dict[str, object]]:
    """Threshold, competitor weightings and contested margin over ``readings``' folds: the
    threshold lets ``budget`` of the twins' phones through (leave-one-fold-out), the
    naming weighting names the said phone most often, the contest's weighting puts the most
    swapped phones beyond the margin that contests CONTESTED_BUDGET of the twins' phones (both
    of people's readings only)."""
    probabilities, labels, twin_flags = [], [], []
    heard_right = {h: 0 for h in HAMA_WEIGHTS}
    swaps = 0
    for fold in sorted({r.fold for r in readings}):
        fit = fit_logistic(*labelled([r for r in readings if r.fold != fold])[:2])
        x, y, twins = labelled([r for r in readings if r.fold == fold])
        probabilities.append(logistic(x, fit)), labels.append(y), twin_flags.append(twins)
    for r in (r for r in readings if r.swap is not None):
        swaps += 1
        for weight in HAMA_WEIGHTS:
            heard = phone_name(int(competitors(r.features, weight)[0][r.swapped_phone()]))
            heard_right[weight] += heard == r.swap.said_phone
    p, y, twins = (np.concatenate(a) for a in (probabilities, labels, twin_flags))
    threshold = float(np.quantile(p[twins], 1 - budget))
    hama_weight = max(HAMA_WEIGHTS, key=heard_right.__getitem__)
    people = [r for r in readings if r.voice is None]  # a synthetic voice's odd phones would set the margin
    contests = {weight: contested_margin(people, weight) for weight in HAMA_WEIGHTS}
    contested_weight = max(HAMA_WEIGHTS, key=lambda w: contests[w][1])
    inner = {
        "threshold": round(threshold, 4), "hama_weight": hama_weight,
        "swapped_phones_flagged": round(float((p[y == 1] >= threshold).mean()), 3),
        "twin_phones_flagged": round(float((p[twins] >= threshold).mean()), 4),
        "heard_right_by_hama_weight": {str(k): round(v / max(swaps, 1), 3) for k, v in heard_right.items()},
        "contested_margin_and_swaps_beyond_by_hama_weight": {str(k): [round(m, 3), round(s, 3)]
                                                             for k, (m, s) in contests.items()},
    }  # fmt: skip
    chosen = {"threshold": threshold, "hama_weight": hama_weight,
              "contested_hama_weight": contested_weight, "contested_margin": contests[contested_weight][0]}  # fmt: skip
    return {k: np.asarray(v) for k, v in chosen.items()}, inner


def contested_margin(readings: list[Reading], hama_weight: float) -> tuple[float, float]:
    """The margin by which a competitor is likelier than the expected phone in only
    CONTESTED_BUDGET of the twins' phones, and the share of swapped phones beyond it."""
    twins = [competitors(r.features, hama_weight)[1][r.features.groups["alignment"][:, 2] > 0]
             for r in readings if r.swap is None]  # fmt: skip
    margin = float(np.quantile(np.concatenate(twins), 1 - CONTESTED_BUDGET))
    swapped = [competitors(r.features, hama_weight)[1][r.swapped_phone()] for r in readings if r.swap is not None]
    return margin, float(np.mean(np.asarray(swapped) > margin))


def contest_start(readings: list[Reading], weights: dict[str, np.ndarray]) -> tuple[float, dict[str, int]]:
    """The latest of CONTEST_STARTS that leaves the fewest swapped phones of people's
    ``readings`` at >= 95 naming the script's phone (a later start caps fewer rightly said
    phones, whose scores the experts' phone marks agree with), and each start's count."""
    people = [r for r in readings if r.voice is None]
    counts = {}
    for start in CONTEST_STARTS:
        decision = MispronunciationDecision({**weights, "contested_start": np.asarray(start)})
        counts[start] = int(table(people, answerer(decision))["at_95_naming_script_phone"])
    fewest = min(counts.values())
    return max(s for s, n in counts.items() if n == fewest), {str(s): n for s, n in counts.items()}


def fitted(
    readings: list[Reading], corpus: list[Utterance], folds: dict[str, int], scored: OutOfFold, shape: Shape
) -> tuple[dict[str, np.ndarray], dict[str, object]]:
    """The decision's weights fitted on ``readings`` in ``shape``, and the inner choices' figures."""
    chosen, inner = choose(readings, shape.budget)
    weights = {**fit_logistic(*labelled(readings)[:2]), **chosen, **sentence_spread(corpus, folds, scored.predictions),
               "red_floor": np.asarray(shape.red_floor)}  # fmt: skip
    start, inner["swapped_at_95_by_contest_start"] = contest_start(readings, weights)
    weights["contested_start"] = np.asarray(start)
    return weights, inner


# --- the table, as the API answers -------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What a client reads of one reading: phone scores and sounds, word scores, sentence."""

    phone_scores: list[float]
    phone_heard: list[str]
    word_scores: list[int]
    pronunciation: int


Answerer = Callable[[Reading], Answer]


def no_verdicts(n: int) -> PhoneVerdicts:
    """Every phone judged right and uncontested: the scorer's estimates as they are."""
    return PhoneVerdicts(np.zeros(n), np.zeros(n, bool), np.zeros(n, int), np.zeros(n))


def decided(
    decision: MispronunciationDecision | None, features: PhoneFeatures, predictions: Predictions
) -> tuple[PhoneVerdicts, DecidedScores]:
    """The decision's verdicts and scores on a reading, or without a decision the scorer's
    estimates as they are."""
    if decision is None:
        verdicts = no_verdicts(len(features.phone_index))
        return verdicts, decided_scores(predictions, verdicts, features.word_of_phone, 1.0)
    verdicts = decision(features)
    return verdicts, decision.scores(predictions, verdicts, features.word_of_phone)


def answer_now(r: Reading) -> Answer:
    """The rules before this work: word = mean of its phones, sentence = mean of its words,
    no decision (sound_most_like: the head's likeliest sound, the expected one included)."""
    a = _assessed(r, *decided(None, r.features, r.predictions))
    phones = [[_phone_score(p.quality_score) for p in w.phones] for w in a.words]
    words = [round_half_up(sum(q) / len(q)) if w.spoken else 0 for w, q in zip(a.words, phones, strict=True)]
    return _answer(a, words, round_half_up(sum(words) / len(words)))


def answerer(decision: MispronunciationDecision | None) -> Answerer:
    """The revised contract's answer: the engine's word and sentence estimates, with the
    decision when one is given."""

    def answer(r: Reading) -> Answer:
        a = _assessed(r, *decided(decision, r.features, r.predictions))
        return _answer(a, [word_estimate(w) for w in a.words], sentence_pronunciation(a.pronunciation, r.spoken))

    return answer


def _assessed(r: Reading, verdicts: PhoneVerdicts, scores: DecidedScores) -> UtteranceAssessment:
    features = r.features
    if not len(features.head_insertions):
        features = PhoneFeatures(features.groups, features.utterance, features.phone_index, features.word_of_phone,
                                 features.head_shares, np.full((len(features.phone_index), 1), -np.inf))  # fmt: skip
    return assessment(r.evidence, features, r.predictions, verdicts, scores)


def _phone_score(quality: float) -> float:
    return round(min(max(quality, 0.0), 100.0), 1)


def _answer(a: UtteranceAssessment, words: list[int], pronunciation: int) -> Answer:
    scores, heard = [], []
    for word in a.words:
        for phone in word.phones:
            scores.append(_phone_score(phone.quality_score))
            # as results.scored_phones: a native-like phone names itself, an unspoken one silence
            native_like = scores[-1] >= NATIVE_LIKE_QUALITY
            heard.append("SIL" if not word.spoken else phone.phone if native_like else phone.sound_most_like)
    return Answer(scores, heard, words, pronunciation)


def table(readings: list[Reading], answer: Answerer) -> dict[str, float]:
    """Issue 20's figures over the swaps of ``readings`` and their twins."""
    twins = {r.uttid: answer(r) for r in readings if r.swap is None}
    swapped = [SwappedAnswer(r.swap, r.swapped_phone(), answer(r), twins[r.uttid]) for r in readings if r.swap is not None]
    return figures(swapped, list(twins.values()))


@dataclass(frozen=True)
class SwappedAnswer:
    """A swapped reading's answer, its swapped phone (index over its phones) and its twin's answer."""

    swap: Swap
    phone: int
    answer: Answer
    twin: Answer


def figures(swapped: Sequence[SwappedAnswer], twins: Sequence[Answer]) -> dict[str, float]:
    """The table's figures: the twins' band, the swapped phones' ranking, bands and names."""
    scores = np.asarray([s.answer.phone_scores[s.phone] for s in swapped])
    heard = [s.answer.phone_heard[s.phone].upper() for s in swapped]
    words = np.asarray([s.answer.word_scores[s.swap.word] for s in swapped])
    drops = np.asarray([s.twin.pronunciation - s.answer.pronunciation for s in swapped])
    return {
        "swaps": len(swapped), "readings": len(twins),
        "twin_median_word": float(np.median(np.concatenate([t.word_scores for t in twins]))),
        "twin_p10_sentence": float(np.percentile([t.pronunciation for t in twins], 10)),
        "auc": round(auc(scores, np.concatenate([t.phone_scores for t in twins])), 3),
        "swapped_phone_median": float(np.median(scores)),
        "swapped_words_green": round(float((words >= GREEN).mean()), 3),
        "swapped_words_red": round(float((words < RED).mean()), 3),
        "sentence_drop_median": float(np.median(drops)),
        "sentence_drop_zero_share": round(float(np.mean(drops <= 0)), 3),
        "heard_names_said": round(float(np.mean([h == s.swap.said_phone for h, s in zip(heard, swapped, strict=True)])), 3),
        "at_95_naming_script_phone": int(sum(score >= 95 and h == s.swap.script_phone
                                             for score, h, s in zip(scores, heard, swapped, strict=True))),
    }  # fmt: skip


def auc(wrong: np.ndarray, right: np.ndarray) -> float:
    """Probability that a wrong phone scores below a right one (ties count half)."""
    right = np.sort(right)
    below = np.searchsorted(right, wrong, side="right")
    ties = below - np.searchsorted(right, wrong, side="left")
    return float(((len(right) - below) + 0.5 * ties).sum() / (len(wrong) * len(right)))


@dataclass(frozen=True)
class OutOfFold:
    """Every utterance's features and the scorer's predictions from the head and scorer that
    never heard its speaker (``training.train``)."""

    features: dict[str, PhoneFeatures]
    predictions: dict[str, Predictions]

    @classmethod
    def load(cls, corpus: list[Utterance], folds: dict[str, int], scorer_name: str) -> OutOfFold:
        return cls(out_of_fold_features(corpus, folds), load_held_out(held_out_path(scorer_name)))


def expert_agreement(
    corpus: list[Utterance],
    folds: dict[str, int],
    scored: OutOfFold,
    decision: MispronunciationDecision | None,
    fold: int = HELD_OUT_FOLD,
) -> dict[str, float]:
    """Pearson with the experts on ``fold``'s utterances, phones, words and sentences as
    the API answers them (unspoken words 0), every score ``scored`` out of fold: the decision
    must not cost the agreement that issue 14's table measures."""
    features, predictions = scored.features, scored.predictions
    pairs: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {}
    for utt in (u for u in corpus if folds[u.speaker] == fold and u.uttid in predictions):
        f, p = features[utt.uttid], predictions[utt.uttid]
        scores = decided(decision, f, p)[1]
        spoken = spoken_words(f)
        experts = {
            "phone": np.concatenate([w.phone_accuracy if w.phone_accuracy is not None else np.full(len(w.phones), np.nan)
                                     for w in utt.words]),  # fmt: skip
            "word": np.asarray([w.accuracy for w in utt.words], float),
            "sentence_vs_accuracy": np.asarray([utt.accuracy]), "sentence_vs_total": np.asarray([utt.total]),
        }  # fmt: skip
        sentence = sentence_pronunciation(scores.sentence, [bool(s) for s in spoken])
        ours = {
            "phone": scores.phones, "word": np.where(spoken, scores.words, 0.0),
            "sentence_vs_accuracy": np.asarray([sentence]), "sentence_vs_total": np.asarray([sentence]),
        }  # fmt: skip
        for level, values in ours.items():
            pairs.setdefault(level, ([], []))[0].append(np.asarray(values, float))
            pairs[level][1].append(experts[level])
    return {level: round(pearson(np.concatenate(a), np.concatenate(b)), 3) for level, (a, b) in pairs.items()}


def sentence_spread(corpus: list[Utterance], folds: dict[str, int], predictions: dict[str, Predictions]) -> dict[str, np.ndarray]:
    """The stretch of the scorer's sentence read-out (``SentenceSpread``): about the held-out
    estimates' mean, by the experts' spread over theirs, on the tuning folds' utterances."""
    tuning = [u for u in corpus if folds[u.speaker] != HELD_OUT_FOLD and u.uttid in predictions]
    estimates = np.asarray([predictions[u.uttid].sentence_accuracy for u in tuning]) * 10.0
    experts = np.asarray([u.accuracy for u in tuning], float) * 10.0
    return {"sentence_center": np.asarray(estimates.mean()), "sentence_gain": np.asarray(experts.std() / estimates.std())}


# --- the decision's shape, on the inner folds -----------------------------------------------


@dataclass(frozen=True)
class Shape:
    """How much the decision may flag and how low it sends a sure verdict."""

    budget: float  # of the twins' phones judged wrong: sets the threshold
    red_floor: float


def shape_figures(
    tuning: list[Reading], corpus: list[Utterance], folds: dict[str, int], scored: OutOfFold
) -> dict[Shape, dict[str, dict[str, float]]]:
    """Each shape's figures on the inner folds, averaged over them: on each inner fold, the
    decision fitted on the other inner folds' readings, its agreement with the experts there
    (``expert_agreement``) and issue 20's tables of that fold's swaps, people's and Piper's.
    The floor changes no verdict, so each budget is fitted once. The sentence spread is the
    tuning folds' as a whole (``sentence_spread``): a linear stretch, it moves no Pearson."""
    per_fold: dict[Shape, list[dict[str, dict[str, float]]]] = defaultdict(list)
    for fold in sorted({r.fold for r in tuning}):
        rest = [r for r in tuning if r.fold != fold]
        people = [r for r in tuning if r.fold == fold and r.voice is None]
        piper = natives([r for r in tuning if r.fold == fold])
        for budget in FALSE_ALARM_BUDGETS:
            weights = fitted(rest, corpus, folds, scored, Shape(budget, RED_FLOOR))[0]
            for floor in RED_FLOORS:
                decision = MispronunciationDecision({**weights, "red_floor": np.asarray(floor)})
                per_fold[Shape(budget, floor)].append({
                    "agreement": expert_agreement(corpus, folds, scored, decision, fold),
                    "people": table(people, answerer(decision)), "natives": table(piper, answerer(decision)),
                })  # fmt: skip
    return {shape: _mean_figures(figures) for shape, figures in per_fold.items()}


def _mean_figures(per_fold: list[dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    return {part: {name: round(float(np.mean([f[part][name] for f in per_fold])), 4) for name in per_fold[0][part]}
            for part in per_fold[0]}  # fmt: skip


def keeps_targets(figures: dict[str, dict[str, float]]) -> bool:
    """Whether a shape's inner figures keep PEOPLE_BOUNDS and NATIVE_BOUNDS."""
    return all(low <= figures[part][name] <= high
               for part, bounds in (("people", PEOPLE_BOUNDS), ("natives", NATIVE_BOUNDS))
               for name, (low, high) in bounds.items())  # fmt: skip


def best_shape(figures: dict[Shape, dict[str, dict[str, float]]]) -> Shape:
    """The shape whose phone and word agreement with the experts sum highest among those
    that keep issue 20's targets."""
    kept = [shape for shape, f in figures.items() if keeps_targets(f)]
    if not kept:
        raise SystemExit("no false-alarm budget and red floor keeps issue 20's targets on the inner folds")
    return max(kept, key=lambda s: figures[s]["agreement"]["phone"] + figures[s]["agreement"]["word"])


def plausible_only(readings: list[Reading]) -> list[Reading]:
    """Item 3: the swaps a language model alone finds as plausible as the truth, with twins."""
    kept = {r.uttid for r in readings if r.swap is not None and r.swap.plausible}
    return [r for r in readings if r.uttid in kept]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--scorer", default=next(iter(CANDIDATES)), help="feature set of training.train's scorers")
    parser.add_argument("--natives", action="store_true", help="also the table on Piper's readings (training.voices)")
    parser.add_argument("--voices", action="store_true", help="also fit on the voices' readings of the tuning folds")
    args = parser.parse_args(argv)
    corpus = load_corpus(args.data)
    folds = speaker_folds(corpus, FOLDS, SEED)
    swaps = load_swaps()
    models = FoldModels(args.scorer)
    readings = build_readings(corpus, folds, swaps, models)
    voiced = voice_readings(corpus, folds, swaps, models) if args.natives or args.voices else []
    tuning = [r for r in readings + (voiced if args.voices else []) if r.fold != HELD_OUT_FOLD]
    held_out = [r for r in readings if r.fold == HELD_OUT_FOLD]
    scored = OutOfFold.load(corpus, folds, args.scorer)
    shapes = shape_figures(tuning, corpus, folds, scored)
    shape = best_shape(shapes)
    weights, inner = fitted(tuning, corpus, folds, scored, shape)
    decision = MispronunciationDecision(weights)
    answers = {"now": answer_now, "estimates": answerer(None), "decision": answerer(decision)}
    report: dict[str, object] = {
        "held_out_fold": HELD_OUT_FOLD, "false_alarm_budget": shape.budget, "red_floor": shape.red_floor,
        "fitted_on_voices": args.voices, "tuning_readings": len(tuning), "inner_folds": inner,
        "inner_shapes": [{"budget": s.budget, "red_floor": s.red_floor, "keeps_targets": keeps_targets(f), **f}
                         for s, f in shapes.items()],
        "sentence_spread": {k: round(float(weights[k]), 3) for k in ("sentence_center", "sentence_gain")},
        "all_swaps": {name: table(held_out, a) for name, a in answers.items()},
        "plausible_swaps": {name: table(plausible_only(held_out), a) for name, a in answers.items()},
        "expert_agreement": {name: expert_agreement(corpus, folds, scored, d)
                             for name, d in (("estimates", None), ("decision", decision))},
    }  # fmt: skip
    if args.natives:
        piper = natives([r for r in voiced if r.fold == HELD_OUT_FOLD])
        report["piper_all_swaps"] = {name: table(piper, a) for name, a in answers.items()}
        report["piper_plausible_swaps"] = {name: table(plausible_only(piper), a) for name, a in answers.items()}
    np.savez(WEIGHTS_DIR / "decision.npz", **weights)
    (WEIGHTS_DIR / "decision_report.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    from training import decision  # so that the cached readings pickle its classes by their importable name

    raise SystemExit(decision.main())
