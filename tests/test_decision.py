"""The decision's read-outs (issue 20): what a phone judged wrong, or contested, does to its
phone, word and sentence scores. The fitted decision itself is tested on a synthesized
reading in test_mispronunciation."""

from __future__ import annotations

import numpy as np

from orato.scoring.decision import (
    CONTESTED_TOP,
    RED_FLOOR,
    RED_TOP,
    PhoneVerdicts,
    decided_scores,
)
from orato.scoring.scorer import Predictions

# Four words of one phone each, all said perfectly by the scorer's estimates.
PERFECT = Predictions(np.full(4, 2.0), np.full(4, 10.0), 10.0, 10.0)
WORD_OF_PHONE = np.arange(4)
THRESHOLD = 0.3


def verdicts(probability: float, wrong: bool = True, contested: bool = False) -> PhoneVerdicts:
    """The second phone judged with ``probability``; the others surely right."""
    p = np.zeros(4)
    p[1] = probability
    return PhoneVerdicts(p, np.asarray([False, wrong, False, False]), np.zeros(4, int),
                         np.asarray([False, contested, False, False]))  # fmt: skip


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


def test_a_contested_phone_is_not_native_like_and_its_word_keeps_its_estimate() -> None:
    scores = decided_scores(PERFECT, verdicts(0.1, wrong=False, contested=True), WORD_OF_PHONE, THRESHOLD)
    assert scores.phones[1] == CONTESTED_TOP
    assert list(scores.words) == [100.0] * 4
    assert scores.sentence == 100.0


def test_contested_phones_keep_the_scorers_order() -> None:
    """A contested phone the scorer doubted stays below a contested one it did not: a right vowel
    and a wrong one must not both show the same 85."""
    doubted = Predictions(np.array([2.0, 1.8, 2.0, 2.0]), np.full(4, 10.0), 10.0, 10.0)
    sure = decided_scores(PERFECT, verdicts(0.1, wrong=False, contested=True), WORD_OF_PHONE, THRESHOLD)
    less = decided_scores(doubted, verdicts(0.1, wrong=False, contested=True), WORD_OF_PHONE, THRESHOLD)
    assert less.phones[1] < sure.phones[1] < 90.0
