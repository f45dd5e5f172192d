"""The alignment-free GOP against brute force: each competitor's probability must equal the CTC
probability of the edited phone sequence computed from scratch."""

from __future__ import annotations

import numpy as np
import pytest

from orato.acoustic.phones import BLANK, N_CLASSES
from orato.scoring.gop import (
    competitor_log_probs,
    competitor_posteriors,
    forward_backward,
    insertion_log_probs,
)


def _sequence_log_prob(logp: np.ndarray, labels: list[int]) -> float:
    if not labels:
        return float(logp[:, BLANK].sum())
    alpha, _ = forward_backward(logp, np.asarray(labels))
    return float(np.logaddexp(alpha[-1, -1], alpha[-1, -2]))


def _random_log_posteriors(rng: np.random.Generator, frames: int) -> np.ndarray:
    logits = rng.normal(size=(frames, N_CLASSES)) * 2
    return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))


@pytest.mark.parametrize("labels", [[5], [5, 9], [5, 5, 9], [3, 7, 3, 7, 12], [9, 2, 2, 9]])
def test_competitors_match_brute_force(labels: list[int]) -> None:
    rng = np.random.default_rng(len(labels))
    logp = _random_log_posteriors(rng, 14)
    scores = competitor_log_probs(logp, np.asarray(labels))
    for i in range(len(labels)):
        deleted = labels[:i] + labels[i + 1 :]
        assert scores[i, BLANK] == pytest.approx(_sequence_log_prob(logp, deleted), abs=1e-8)
        for q in (1, 2, 5, 9, 12, N_CLASSES - 1):
            edited = labels[:i] + [q] + labels[i + 1 :]
            assert scores[i, q] == pytest.approx(_sequence_log_prob(logp, edited), abs=1e-8)


@pytest.mark.parametrize("labels", [[5], [5, 9], [3, 3], [9, 2, 9]])
def test_insertions_match_brute_force(labels: list[int]) -> None:
    rng = np.random.default_rng(7 + len(labels))
    logp = _random_log_posteriors(rng, 12)
    relative = insertion_log_probs(logp, np.asarray(labels))
    expected = _sequence_log_prob(logp, labels)
    for gap in range(len(labels) + 1):
        for q in (2, 3, 5, 9):
            inserted = labels[:gap] + [q] + labels[gap:]
            got = relative[gap, q] + expected
            assert got == pytest.approx(_sequence_log_prob(logp, inserted), abs=1e-8)


def test_the_heard_phone_wins() -> None:
    """Posteriors that clearly say 5 then 9 favour 9 over the expected 7 at position 2."""
    logp = np.full((6, N_CLASSES), np.log(1e-4))
    for t, c in enumerate([BLANK, 5, 5, BLANK, 9, BLANK]):
        logp[t, c] = 0.0
    shares = competitor_posteriors(logp, np.asarray([5, 7]))
    assert shares[0, 5] > np.log(0.9)
    assert int(np.argmax(shares[1])) == 9
    assert shares[1, 7] < np.log(0.01)


def test_too_few_frames_give_no_insertion_odds_and_floored_shares_never_nan() -> None:
    """Three frames cannot hold "5 5 5" (repeats need a blank between them): every path is
    impossible, and what comes out must still be numbers the scorer can read."""
    logp = _random_log_posteriors(np.random.default_rng(3), 3)
    labels = np.asarray([5, 5, 5])
    with np.errstate(all="raise"):
        insertions = insertion_log_probs(logp, labels)
        shares = competitor_posteriors(logp, labels)
    assert np.all(insertions == -np.inf)
    assert np.all(np.isfinite(shares))
