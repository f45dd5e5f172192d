"""Step 5 of scoring: decide, per phone, whether another sound (or none) was said instead.

The scorer is fitted to speechocean762's ratings, where almost every phone is rated correct,
so its output hugs the high end: a phone that is plainly another phone lands in the orange
band and its word stays green (issue 20). This layer makes the decision the scorer does not:
a logistic regression over the evidence of the expected phone against its competitors (the
two CTC heads' and hama's GOP shares, the posteriors inside the aligned extent, the aligner's
log-likelihood and duration), fitted by ``training.decision`` on readings with known
substitutions. It reads only the sound: no phone identity and no word probability (a
plausible sentence must not hide a wrong sound, and French and Spanish can use it as is), and
not the scorer's estimate, which weighs the rest of the utterance (its speech rate, its other
words), so the same sound gets the same verdict whether it is scored in a whole reading or in
three of its words.

A phone judged wrong and its word go to the red band, the lower the surer the decision (speechocean762's
experts give a word with one wrong sound a median 3 of 10), and the sentence loses the words'
expected falls spread over its words. Phones judged right keep the scorer's scores, so a
native reading keeps its native band, except that a phone whose evidence names another sound
as likelier than itself is not shown native-like, the less so the likelier the other sound (a
learner would read "excellent" beside the very sound they said wrong).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from orato.acoustic.phones import BLANK
from orato.scoring.features import PhoneFeatures
from orato.scoring.scorer import PHONE_SCALE, TEN_POINT_SCALE, Predictions

# (feature group, column) of each input: expected phone's GOP share, best rival's and
# deletion's (head and hama), mean and best posterior of the expected phone and the best
# other phone's inside its extent (head and hama), the aligner's log-likelihood per frame
# and log duration; then the block-3 head's GOP and extent columns, as the head's (with them
# the tuning folds' swapped phones flagged at the same 0.5 % of twins' phones rose from 0.748
# to 0.782: MODEL_CARD.md).
INPUTS = (
    *(("head_gop", c) for c in range(3)), *(("head_segment", c) for c in range(3)),
    *(("hama_gop", c) for c in range(3)), *(("hama_segment", c) for c in range(3)),
    ("alignment", 0), ("alignment", 1),
    *(("middle_gop", c) for c in range(3)), *(("middle_segment", c) for c in range(3)),
)  # fmt: skip
SPOKEN_COLUMN = 2  # of the alignment group
GOP_SHARES = 3  # gop_features' first columns are summaries, then the 40 shares
# A phone judged wrong, and its word, score at most RED_TOP at the decision's threshold (the
# top of "poor, try again", api-scoring.md 10.1), falling linearly to a floor at certainty:
# experts rate a word with one wrong sound 3 of 10 (median), 5 at the 90th percentile. A phone
# sent lower than the word would disagree with the experts' phone marks, which are lenient (a
# floor of 0 cost the inner folds' phone agreement 0.02 more than 30). English fits its floor
# with its threshold (weights ``red_floor``: the inner folds' agreement with the experts, keeping
# issue 20's targets); French and Spanish, with no rated learners to fit one on, take RED_FLOOR.
RED_TOP = 60.0
RED_FLOOR = 30.0
QUALITY_SCALE = 100.0
# A phone the decision lets pass although a competitor is likelier than it (log shares, hama's
# weighted by ``contested_hama_weight``) by more than the weights' ``contested_start`` is
# contested: by ``contested_margin`` or more it scores at most CONTESTED_TOP, and less likely
# rivals cap it proportionally less, from 100 at the start (a cliff at the margin let a rival
# likelier by 5 log shares leave a wrong "but" at 95 while one likelier by 6.5 took it to 85;
# a start above 0 spares the many rightly said phones a rival barely passes). The cap also falls
# CONTESTED_SLOPE per point the scorer had the phone below 100: a sure 100 with a clear rival
# lands in the middle of "very good" (80-90), short of "native-like" (api-scoring.md 10.1), and
# a phone the scorer already doubted stays below one it did not (a flat cap made a wrong vowel
# and the right one both 85). It names the competitor; its word keeps the scorer's estimate.
CONTESTED_TOP = 85.0
CONTESTED_SLOPE = 0.5


@dataclass(frozen=True)
class PhoneVerdicts:
    probability: np.ndarray  # [n_phones] that another sound (or none) was said
    wrong: np.ndarray  # [n_phones] bool: judged wrong
    heard: np.ndarray  # [n_phones] class of the likeliest competitor (never the expected phone)
    # [n_phones] in [0, 1], for phones not judged wrong: how far that competitor's lead over the
    # expected phone has gone from the contest's start to the contested margin (0: not contested)
    contest: np.ndarray


@dataclass(frozen=True)
class SentenceSpread:
    """The scorer's sentence read-out (0-100) stretched about its mean by ``gain``.

    A regression's estimates are shrunk towards the mean by its errors, and a mean of four
    seeds' more so: on held-out speakers their spread is 0.8 of the experts', so a native
    reading the experts would mark 10 of 10 came out near 90. ``training.decision`` sets the
    gain to the ratio of the experts' spread to the held-out estimates' (the tuning folds'), so
    the scores spread over the bands as the experts' marks do; a linear stretch keeps their
    order, and so their Pearson with the experts, but where the clip to 0-100 flattens the top.
    """

    center: float = 0.0
    gain: float = 1.0

    def __call__(self, sentence: float) -> float:
        return self.center + self.gain * (sentence - self.center)


NO_SPREAD = SentenceSpread()


@dataclass(frozen=True)
class DecidedScores:
    """Scores on the contract's 0-100 scale, before the unspoken-word rules."""

    phones: np.ndarray
    words: np.ndarray
    sentence: float


def decision_inputs(features: PhoneFeatures) -> np.ndarray:
    """``[n_phones, len(INPUTS)]``: the evidence columns."""
    columns = [features.groups[group][:, column] for group, column in INPUTS]
    return np.stack(columns, axis=1).astype(np.float64)


def competitors(features: PhoneFeatures, hama_weight: float) -> tuple[np.ndarray, np.ndarray]:
    """The likeliest sound other than the expected phone and deletion, by the head's GOP
    shares and ``hama_weight`` times hama's (log shares added), and how much likelier than
    the expected phone it is by the same measure (negative: less likely)."""
    head = features.head_shares.astype(np.float64)
    hama = np.log(np.maximum(features.groups["hama_gop"][:, GOP_SHARES:], 1e-30))
    scores = head + hama_weight * hama
    rows = np.arange(len(scores))
    expected = scores[rows, features.phone_index].copy()
    scores[rows, features.phone_index] = -np.inf
    scores[:, BLANK] = -np.inf
    heard: np.ndarray = np.argmax(scores, axis=1)
    margin: np.ndarray = scores[rows, heard] - expected
    return heard, margin


def logistic(inputs: np.ndarray, weights: Mapping[str, np.ndarray]) -> np.ndarray:
    """A logistic regression's probability per row of ``inputs``: weights ``mean`` and ``std``
    (standardisation), ``coef`` and ``intercept``."""
    z = (inputs - weights["mean"]) / weights["std"] @ weights["coef"] + weights["intercept"]
    probability: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))
    return probability


class MispronunciationDecision:
    """Weights: ``mean``, ``std``, ``coef``, ``intercept``, ``threshold``, ``hama_weight``,
    ``contested_hama_weight``, ``contested_start``, ``contested_margin``, ``sentence_center``,
    ``sentence_gain``, ``red_floor``."""

    def __init__(self, weights: Mapping[str, np.ndarray]) -> None:
        self._w = {k: np.asarray(v, np.float64) for k, v in weights.items()}
        self.threshold = float(self._w["threshold"])
        self.sentence_spread = SentenceSpread(float(self._w["sentence_center"]), float(self._w["sentence_gain"]))
        self.red_floor = float(self._w["red_floor"])

    def probability(self, inputs: np.ndarray) -> np.ndarray:
        return logistic(inputs, self._w)

    def __call__(self, features: PhoneFeatures) -> PhoneVerdicts:
        probability = self.probability(decision_inputs(features))
        heard = competitors(features, float(self._w["hama_weight"]))[0]
        margin = competitors(features, float(self._w["contested_hama_weight"]))[1]
        spoken = features.groups["alignment"][:, SPOKEN_COLUMN] > 0  # an unspoken word scores 0 anyway
        wrong = (probability >= self.threshold) & spoken
        start, full = float(self._w["contested_start"]), float(self._w["contested_margin"])
        contest = np.clip((margin - start) / max(full - start, 1e-9), 0.0, 1.0) * (spoken & ~wrong)
        return PhoneVerdicts(probability, wrong, heard, contest)

    def scores(self, predictions: Predictions, verdicts: PhoneVerdicts, word_of_phone: np.ndarray) -> DecidedScores:
        """The scorer's ``predictions`` with these ``verdicts`` applied and the sentence spread."""
        return decided_scores(predictions, verdicts, word_of_phone, self.threshold, self.sentence_spread, self.red_floor)


def decided_scores(
    predictions: Predictions,
    verdicts: PhoneVerdicts,
    word_of_phone: np.ndarray,
    threshold: float,
    spread: SentenceSpread = NO_SPREAD,
    red_floor: float = RED_FLOOR,
) -> DecidedScores:
    """The scorer's estimates with the decision applied (module docstring), a surely wrong
    phone at ``red_floor``, the sentence's stretched by ``spread``."""
    phones = np.clip(predictions.phone_accuracy / PHONE_SCALE * QUALITY_SCALE, 0.0, QUALITY_SCALE)
    words = np.clip(predictions.word_accuracy * (QUALITY_SCALE / TEN_POINT_SCALE), 0.0, QUALITY_SCALE)
    estimate = spread(predictions.sentence_accuracy * (QUALITY_SCALE / TEN_POINT_SCALE))
    sentence = float(np.clip(estimate, 0.0, QUALITY_SCALE))
    certainty = np.clip((verdicts.probability - threshold) / max(1.0 - threshold, 1e-9), 0.0, 1.0)
    red = RED_TOP - (RED_TOP - red_floor) * certainty
    phones = np.where(verdicts.wrong, np.minimum(phones, red), phones)
    # an uncontested phone's cap is above its score: only contested phones move
    contested_top = QUALITY_SCALE - (QUALITY_SCALE - CONTESTED_TOP) * verdicts.contest
    phones = np.minimum(phones, contested_top - CONTESTED_SLOPE * (QUALITY_SCALE - phones))
    decided = words.copy()
    sure = np.zeros(len(words))  # per word, the probability of its surest wrong phone
    for phone in np.flatnonzero(verdicts.wrong):
        word = word_of_phone[phone]
        decided[word] = min(decided[word], red[phone])
        sure[word] = max(sure[word], verdicts.probability[phone])
    # The sentence loses each word's expected fall (its fall times the probability that it is
    # wrong) over the number of words: a false alarm sits near the threshold and costs a native
    # reading little, a plainly wrong sound (probability near 1) costs its whole fall.
    sentence -= float(((words - decided) * sure).sum()) / max(len(words), 1)
    return DecidedScores(phones, decided, max(sentence, 0.0))
