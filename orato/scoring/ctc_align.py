"""CTC forced alignment of expected units on a CTC head's log-posteriors (numpy Viterbi).

The French and Spanish engine has no HMM aligner (pocketsphinx knows only English), so the
head that scores the units also places them: the best CTC path through the script's units,
blank-interleaved as CTC reads them. Blank between two words is the optional pause (CTC's
blank takes silence as readily as the gap between two spikes), and a word may be skipped:
the path may jump from just before a word to just after it for a fixed log-probability per
unit of the word, so a word the reader left out is reported unspoken instead of being
squeezed between its neighbours. Words left out at the start or the end (a reader who
stopped early) are skipped the same way.

Extents come back in the English aligner's :class:`~orato.acoustic.aligner.Alignment`
(10 ms frames) so that everything after the alignment (fluency, results, stretches of the
GOP) reads both engines' alignments alike. A CTC unit occupies the frames of its spike; the
blank frames after it inside its word are its own too (the sound goes on after the spike),
so a word's units tile it from its first spike to its last.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from orato.acoustic.aligner import AlignedPhone, AlignedWord, Alignment, with_skipped
from orato.acoustic.whisper import ENCODER_FRAME_SECONDS
from orato.errors import WordAlignmentError

BLANK = 0
ALIGN_FRAME_SECONDS = 0.01
TENTHS_PER_FRAME = round(ENCODER_FRAME_SECONDS / ALIGN_FRAME_SECONDS)  # 10 ms frames per head frame
# Log-probability of leaving a word out, per unit of the word. A unit said right costs about
# nothing on a peaky CTC head, one said as another sound a few nats, one not said at all ten
# or more: at -5 a word with one or two wrong sounds is kept (and scored), a word whose units
# are mostly absent is skipped.
SKIP_LOG_PROB_PER_UNIT = -5.0
NEG_INF = -np.inf
# Moves of the Viterbi back-pointers: stay, from the state before, from two before (past a
# blank), from the state before a skipped word, from the unit before a skipped word.
_STAY, _STEP, _JUMP, _SKIP_BLANK, _SKIP_UNIT = range(5)


def ctc_align(logp: np.ndarray, words: Sequence[Sequence[int]]) -> tuple[list[bool], list[list[tuple[int, int, float]]]]:
    """Per word whether it was said, and per unit of a said word its half-open extent in the
    head's frames and its log-posterior summed over its spike.

    ``logp`` is ``[T, C]`` (class 0 the blank), ``words`` each word's unit classes.
    Raises :class:`WordAlignmentError` when no path says a word (too little audio), and
    ValueError for a word without units (the language layer gives every word some).
    """
    if not words or not all(words):
        raise ValueError("every expected word needs at least one unit")
    layout = _Layout(words)
    n_frames, n_states = len(logp), layout.n_states
    if n_frames == 0:
        raise WordAlignmentError()
    emit = logp[:, layout.labels].astype(np.float64)
    moves = np.zeros((n_frames, n_states), np.int8)
    delta = layout.start + emit[0]
    for t in range(1, n_frames):
        candidates = np.full((5, n_states), NEG_INF)
        candidates[_STAY] = delta
        candidates[_STEP, 1:] = delta[:-1]
        candidates[_JUMP, 2:] = np.where(layout.jump[2:], delta[:-2], NEG_INF)
        has_blank = layout.skip_from_blank >= 0
        candidates[_SKIP_BLANK, has_blank] = delta[layout.skip_from_blank[has_blank]] + layout.skip_cost[has_blank]
        has_unit = layout.skip_from_unit >= 0
        candidates[_SKIP_UNIT, has_unit] = delta[layout.skip_from_unit[has_unit]] + layout.skip_cost[has_unit]
        best = np.argmax(candidates, axis=0)
        moves[t] = best
        delta = candidates[best, np.arange(n_states)] + emit[t]
    final = delta + layout.end
    if not np.isfinite(final.max()):
        raise WordAlignmentError()
    path = _backtrace(moves, int(np.argmax(final)), layout)
    return _extents(path, emit, layout)


class _Layout:
    """The blank-interleaved state sequence of the script's units, with its word-skip edges."""

    def __init__(self, words: Sequence[Sequence[int]]) -> None:
        units = [u for word in words for u in word]
        self.n_states = 2 * len(units) + 1
        self.labels = np.full(self.n_states, BLANK, np.int64)
        self.labels[1::2] = units
        self.jump = np.zeros(self.n_states, bool)  # a unit entered straight from the unit before
        self.jump[3::2] = self.labels[3::2] != self.labels[1:-2:2]
        # Each word's first and last unit state.
        self.spans: list[tuple[int, int]] = []
        first = 1
        for word in words:
            self.spans.append((first, first + 2 * (len(word) - 1)))
            first += 2 * len(word)
        costs = [SKIP_LOG_PROB_PER_UNIT * len(word) for word in words]
        self.skip_from_blank = np.full(self.n_states, -1, np.int64)
        self.skip_from_unit = np.full(self.n_states, -1, np.int64)
        self.skip_cost = np.zeros(self.n_states)
        for w, (a, b) in enumerate(self.spans):
            # Into the blank after the word, or the next word's first unit: from the blank
            # before it, or the previous word's last unit (when the two units differ).
            for target in (b + 1, b + 2) if w + 1 < len(words) else (b + 1,):
                self.skip_from_blank[target] = a - 1
                if w > 0 and (target == b + 1 or self.labels[a - 2] != self.labels[target]):
                    self.skip_from_unit[target] = a - 2
                self.skip_cost[target] = costs[w]
        # A path starts before any word and ends after any word, skipping those outside.
        before = np.concatenate([[0.0], np.cumsum(costs)])
        self.start = np.full(self.n_states, NEG_INF)
        self.end = np.full(self.n_states, NEG_INF)
        for w, (a, b) in enumerate(self.spans):
            self.start[[a - 1, a]] = before[w]
            self.end[[b, b + 1]] = before[-1] - before[w + 1]


def _backtrace(moves: np.ndarray, state: int, layout: _Layout) -> np.ndarray:
    path = np.zeros(len(moves), np.int64)
    for t in range(len(moves) - 1, -1, -1):
        path[t] = state
        move = moves[t]
        if t == 0:
            break
        step = int(move[state])
        if step == _STEP:
            state -= 1
        elif step == _JUMP:
            state -= 2
        elif step == _SKIP_BLANK:
            state = int(layout.skip_from_blank[state])
        elif step == _SKIP_UNIT:
            state = int(layout.skip_from_unit[state])
    return path


def _extents(
    path: np.ndarray, emit: np.ndarray, layout: _Layout
) -> tuple[list[bool], list[list[tuple[int, int, float]]]]:
    frames = np.arange(len(path))
    spoken: list[bool] = []
    extents: list[list[tuple[int, int, float]]] = []
    for a, b in layout.spans:
        visits = [frames[path == s] for s in range(a, b + 1, 2)]
        if not len(visits[0]):
            spoken.append(False)
            continue
        spoken.append(True)
        word = []
        for k, own in enumerate(visits):
            end = visits[k + 1][0] if k + 1 < len(visits) else own[-1] + 1
            word.append((int(own[0]), int(end), float(emit[own, a + 2 * k].sum())))
        extents.append(word)
    if not any(spoken):
        raise WordAlignmentError()
    return spoken, extents


def aligned_units(
    logp: np.ndarray, words: Sequence[Sequence[str]], unit_index: dict[str, int]
) -> Alignment:
    """:func:`ctc_align` as the English aligner's :class:`Alignment`, in 10 ms frames."""
    spoken, extents = ctc_align(logp, [[unit_index[u] for u in word] for word in words])
    said = iter(extents)
    spoken_phones = [
        tuple(
            AlignedPhone(unit, start * TENTHS_PER_FRAME, end * TENTHS_PER_FRAME, score)
            for unit, (start, end, score) in zip(word, next(said), strict=True)
        )
        for word, was_said in zip(words, spoken, strict=True)
        if was_said
    ]
    aligned: tuple[AlignedWord, ...] = with_skipped(words, spoken, spoken_phones)
    return Alignment(aligned, len(logp) * TENTHS_PER_FRAME, False)
