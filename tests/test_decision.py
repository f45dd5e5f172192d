"""The decision's read-outs (issue 20): what a phone judged wrong, or contested, does to its
phone, word and sentence scores. The fitted decision itself is tested on a synthesized
reading in test_mispronunciation."""

from __future__ import annotations

import numpy as np

from orato.scoring.decision import (
    CONTESTED_TOP,
    RED_FLOOR,
    RED_TOP,
    MispronunciationDecision,
    PhoneVerdicts,
    SentenceSpread,
    decided_scores,
)
from orato.scoring.engine import DECISION_WEIGHTS, load_weights
from orato.scoring.scorer import Predictions

# Four words of one phone each, all said perfectly by the scorer's estimates.
PERFECT = Predictions(np.full(4, 2.0), np.full(4, 10.0), 10.0, 10.0)
WORD_OF_PHONE = np.arange(4)
THRESHOLD = 0.3


def verdicts(probability: float, wrong: bool = True, contest: float = 0.0) -> PhoneVerdicts:
    """The second phone judged with ``probability`` and contested by ``contest``; the others
    surely right."""
    p = np.zeros(4)
    p[1] = probability
    return PhoneVerdicts(p, np.asarray([False, wrong, False, False]), np.zeros(4, int),
                         np.asarray([0.0, contest, 0.0, 0.0]))  # fmt: skip


def test_a_sure_wrong_phone_is_red_and_costs_the_sentence_its_words_whole_fall() -> None:
    scores = decided_scores(PERFECT, verdicts(1.0), WORD_OF_PHONE, THRESHOLD)
    assert scores.phones[1] == RED_FLOOR
    assert scores.words[1] == RED_FLOOR
    assert scores.sentence == 100.0 - (100.0 - RED_FLOOR) / 4
    assert list(scores.phones[[0, 2, 3]]) == [100.0] * 3 and list(scores.words[[0, 2, 3]]) == [100.0] * 3


def test_a_wrong_phone_at_the_threshold_costs_the_sentence_its_expected_fall() -> None:
    scores = decided_scores(PERFECT, verdicts(THRESHOLD), WORD_OF_PHONE, THRESHOLD)
    assert scores.phones[1] == RED_TOP
    fall = 100.0 - RED_TOP
    assert scores.words[1] == RED_TOP
    assert np.isclose(scores.sentence, 100.0 - THRESHOLD * fall / 4)


def test_the_english_decision_sends_a_sure_wrong_phone_to_its_fitted_floor() -> None:
    """English fits its red floor with its threshold (the weights' ``red_floor``); between the
    threshold and certainty a wrong phone falls linearly from the red band's top to it."""
    weights = load_weights(DECISION_WEIGHTS)
    floor = float(weights["red_floor"])
    assert RED_FLOOR <= floor < RED_TOP
    decision = MispronunciationDecision({**weights, "threshold": np.asarray(THRESHOLD)})
    sure = decision.scores(PERFECT, verdicts(1.0), WORD_OF_PHONE)
    assert sure.phones[1] == sure.words[1] == floor
    halfway = decision.scores(PERFECT, verdicts((1.0 + THRESHOLD) / 2), WORD_OF_PHONE)
    assert np.isclose(halfway.phones[1], (RED_TOP + floor) / 2)


def test_a_contested_phone_is_not_native_like_and_its_word_keeps_its_estimate() -> None:
    scores = decided_scores(PERFECT, verdicts(0.1, wrong=False, contest=1.0), WORD_OF_PHONE, THRESHOLD)
    assert scores.phones[1] == CONTESTED_TOP
    assert list(scores.words) == [100.0] * 4
    assert scores.sentence == 100.0


def test_contested_phones_keep_the_scorers_order() -> None:
    """A contested phone the scorer doubted stays below a contested one it did not: a right vowel
    and a wrong one must not both show the same 85."""
    doubted = Predictions(np.array([2.0, 1.8, 2.0, 2.0]), np.full(4, 10.0), 10.0, 10.0)
    sure = decided_scores(PERFECT, verdicts(0.1, wrong=False, contest=1.0), WORD_OF_PHONE, THRESHOLD)
    less = decided_scores(doubted, verdicts(0.1, wrong=False, contest=1.0), WORD_OF_PHONE, THRESHOLD)
    assert less.phones[1] < sure.phones[1] < 90.0


def test_the_contest_cap_grows_with_the_rivals_lead() -> None:
    """A rival that only draws level leaves the phone as the scorer had it; one halfway to the
    contested margin keeps it out of the top of the native band; a clear one, out of it."""
    caps = [decided_scores(PERFECT, verdicts(0.1, wrong=False, contest=c), WORD_OF_PHONE, THRESHOLD).phones[1]
            for c in (0.0, 0.5, 1.0)]  # fmt: skip
    assert caps[0] == 100.0
    assert caps[1] == 100.0 - (100.0 - CONTESTED_TOP) / 2
    assert caps[2] == CONTESTED_TOP


def test_the_sentence_spread_stretches_the_estimate_about_its_center_and_clips_to_the_scale() -> None:
    spread = SentenceSpread(center=80.0, gain=1.5)
    right = verdicts(0.0, wrong=False)

    def sentence(estimate: float) -> float:
        predictions = Predictions(np.full(4, 2.0), np.full(4, 10.0), estimate, estimate)
        return decided_scores(predictions, right, WORD_OF_PHONE, THRESHOLD, spread).sentence

    assert sentence(8.0) == 80.0
    assert sentence(9.0) == 95.0 and sentence(7.0) == 65.0
    assert sentence(9.9) == 100.0 and sentence(2.0) == 0.0
