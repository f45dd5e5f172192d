"""Alignment-free goodness of pronunciation from CTC phone posteriors.

For every expected phone, the probability of the whole expected phone sequence is compared
with the same sequence where that one phone is replaced by each other phone, or deleted
(the "CTC GOP" of Xu et al. 2021 / Cao et al. 2024). No frame boundaries are imposed, which
suits CTC's peaky posteriors, and the competitor that wins names the sound the learner made.

All sums over paths use the forward (alpha) and backward (beta) variables of the expected
sequence: a substitution at position i only changes one state, so its probability is a short
forward recursion through that state between the unchanged prefix and suffix, computed for
every position and every competitor at once.
"""

from __future__ import annotations

import numpy as np

from orato.acoustic.phones import BLANK

NEG_INF = -np.inf
# Log-probabilities below this are treated as impossible in the features; keeps -inf and
# 0 * inf out of the scorers when a clip is too short for its phone sequence.
LOG_FLOOR = -1e4


def _extended(labels: np.ndarray) -> np.ndarray:
    """CTC's blank-interleaved state sequence: blank l1 blank l2 ... lN blank."""
    ext = np.full(2 * len(labels) + 1, BLANK, dtype=np.int64)
    ext[1::2] = labels
    return ext


def _skip_allowed(ext: np.ndarray) -> np.ndarray:
    """Whether state s may be entered from s-2 (a label differing from the previous label)."""
    allowed = np.zeros(len(ext), bool)
    allowed[3::2] = ext[3::2] != ext[1:-2:2]
    allowed[1] = True  # the first label may start the path (entered from the virtual start)
    return allowed


def forward_backward(logp: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CTC alpha and beta, ``[T, 2N+1]`` each, both including the emission at ``t``."""
    ext = _extended(labels)
    n_frames, n_states = len(logp), len(ext)
    emit = logp[:, ext]
    skip = _skip_allowed(ext)
    alpha = np.full((n_frames, n_states), NEG_INF)
    alpha[0, :2] = emit[0, :2]
    for t in range(1, n_frames):
        prev = alpha[t - 1]
        total = prev.copy()
        total[1:] = np.logaddexp(total[1:], prev[:-1])
        total[2:] = np.where(skip[2:], np.logaddexp(total[2:], prev[:-2]), total[2:])
        alpha[t] = total + emit[t]
    beta = np.full((n_frames, n_states), NEG_INF)
    beta[-1, -2:] = emit[-1, -2:]
    skip_out = np.zeros(n_states, bool)  # s may jump to s+2
    skip_out[:-2] = skip[2:]
    for t in range(n_frames - 2, -1, -1):
        nxt = beta[t + 1]
        total = nxt.copy()
        total[:-1] = np.logaddexp(total[:-1], nxt[1:])
        total[:-2] = np.where(skip_out[:-2], np.logaddexp(total[:-2], nxt[2:]), total[:-2])
        beta[t] = total + emit[t]
    return alpha, beta


def _padded(logp: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """alpha and beta padded so every edit reads them the same way.

    Row r of ``alpha_p`` is alpha at frame r-1 (row 0: before the first frame) and row r of
    ``beta_p`` is beta at frame r (row T: after the last frame). Column ``s + 2`` of
    ``alpha_p`` is state s, with column 1 a virtual start label; column s of ``beta_p`` is
    state s, with column 2N+1 a virtual end label.
    """
    n_frames, n_states = len(logp), 2 * len(labels) + 1
    alpha, beta = forward_backward(logp, labels)
    alpha_p = np.full((n_frames + 1, n_states + 2), NEG_INF)
    alpha_p[1:, 2:] = alpha
    alpha_p[0, 1] = 0.0
    beta_p = np.full((n_frames + 1, n_states + 2), NEG_INF)
    beta_p[:-1, :-2] = beta
    beta_p[-1, n_states] = 0.0
    return alpha_p, beta_p


def _through_one_state(
    logp: np.ndarray,
    alpha_p: np.ndarray,
    beta_p: np.ndarray,
    before: np.ndarray,
    after: np.ndarray,
    prev_label: np.ndarray,
    next_label: np.ndarray,
) -> np.ndarray:
    """``[K, C]``: log P of paths that leave the expected prefix, spend one or more frames in
    a single state of class c, and join the expected suffix.

    ``before[k]`` is the blank state the new state follows (the label before it is one state
    earlier, class ``prev_label[k]``); ``after[k]`` is the blank state it precedes (the label
    after it is one state later, class ``next_label[k]``). CTC's rule that a label may not
    directly follow an identical label applies on both sides.

    The way in (from the blank before, or from the label before) is the same for every class
    but ``prev_label[k]``, which may only come from the blank; likewise the way out. So each is
    worked out once per phone and frame, and the one forbidden class per phone is set apart:
    two ``[K, C]`` log-additions a frame instead of four, the same numbers to the last bit.
    """
    rows = np.arange(len(before))
    # The class each phone may not take on either side; -1 (a virtual start or end) forbids none.
    prev_rows, next_rows = rows[prev_label >= 0], rows[next_label >= 0]
    prev_cols, next_cols = prev_label[prev_rows], next_label[next_rows]
    # [T, K] each: the prefix at frame t-1 (in the blank before, or in the label before) and
    # the suffix at frame t+1 (in the blank after, or in the label after).
    in_blank, in_label = alpha_p[:-1, before + 2], alpha_p[:-1, before + 1]
    out_blank, out_label = beta_p[1:, after], beta_p[1:, after + 1]
    entry, leave = np.logaddexp(in_blank, in_label), np.logaddexp(out_blank, out_label)
    inside = np.full((len(before), logp.shape[1]), NEG_INF)
    total = np.full_like(inside, NEG_INF)
    # Frame by frame, so the working set is [K, C], not [T, K, C] (tens of megabytes a stretch).
    for t in range(len(logp)):
        barred_in = np.logaddexp(inside[prev_rows, prev_cols], in_blank[t, prev_rows])
        inside = np.logaddexp(inside, entry[t][:, None])
        inside[prev_rows, prev_cols] = barred_in
        inside += logp[t][None, :]
        through = inside + leave[t][:, None]
        through[next_rows, next_cols] = inside[next_rows, next_cols] + out_blank[t, next_rows]
        total = np.logaddexp(total, through)
    return total


def competitor_log_probs(logp: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``[N, C]``: log P(sequence with phone i replaced by class c), where column ``BLANK``
    holds the deletion of phone i. Column ``labels[i]`` is log P(expected sequence).

    ``logp`` is ``[T, C]`` CTC log-posteriors over blank (class 0) and the phones of any
    head: the English head's 39 ARPAbet phones or the fr/es head's units.
    """
    n = len(labels)
    alpha_p, beta_p = _padded(logp, labels)
    prev_label = np.concatenate([[-1], labels[:-1]])  # -1: the virtual start, never equal
    next_label = np.concatenate([labels[1:], [-1]])
    state = 2 * np.arange(n) + 1  # each phone's label state
    total = _through_one_state(
        logp, alpha_p, beta_p, state - 1, state + 1, prev_label, next_label
    )
    # Deletion: leave the previous label (or the start) at some frame, enter the suffix at
    # the next one, through the blank after phone i or straight into the next label.
    skip_ok = prev_label != next_label
    after = np.logaddexp(
        beta_p[:, state + 1], np.where(skip_ok[None], beta_p[:, state + 2], NEG_INF)
    )
    total[:, BLANK] = _logsumexp(alpha_p[:, state] + after, axis=0)
    return total


def insertion_log_probs(logp: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``[N+1, C]``: log P(sequence with class c inserted before phone g) (g = N: at the end),
    relative to log P(expected sequence). Column BLANK is meaningless (left at -inf)."""
    alpha_p, beta_p = _padded(logp, labels)
    gap_blank = 2 * np.arange(len(labels) + 1)  # the blank state of each gap
    prev_label = np.concatenate([[-1], labels])
    next_label = np.concatenate([labels, [-1]])
    total = _through_one_state(
        logp, alpha_p, beta_p, gap_blank, gap_blank, prev_label, next_label
    )
    total[:, BLANK] = NEG_INF
    expected = np.logaddexp(alpha_p[-1, -1], alpha_p[-1, -2])
    if not np.isfinite(expected):
        # Frames too few for the expected sequence hold none with a phone more: no odds (not NaN).
        return np.full_like(total, NEG_INF)
    return total - expected


def _logsumexp(values: np.ndarray, axis: int) -> np.ndarray:
    peak = np.max(values, axis=axis, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    with np.errstate(divide="ignore"):
        return np.squeeze(peak, axis) + np.log(np.sum(np.exp(values - peak), axis=axis))


def competitor_posteriors(logp: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``[N, C]`` log-share of each competitor (deletion in column BLANK) among all of them.

    The expected phone's share is the GOP; the best other column is the sound it was most
    like. Floors at :data:`LOG_FLOOR` so the scorers never see -inf.
    """
    scores = competitor_log_probs(logp, labels)
    with np.errstate(invalid="ignore"):  # a phone no competitor can fill (-inf - -inf) is floored below
        shares = scores - _logsumexp(scores, axis=1)[:, None]
    return np.maximum(np.nan_to_num(shares, nan=LOG_FLOOR, neginf=LOG_FLOOR), LOG_FLOOR)
