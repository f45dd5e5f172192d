"""CTC forced alignment of expected units on a CTC head's log-posteriors (numpy Viterbi).

The French and Spanish engine has no HMM aligner (pocketsphinx knows only English), so the
head that scores the units also places them: the best CTC path through the script's units,
blank-interleaved as CTC reads them. Blank between two words is the optional pause (CTC's
blank takes silence as readily as the gap between two spikes), and a word may be skipped:
the path may jump from just before a word to just after it for a fixed log-probability per
unit of the word, so a word the reader left out is reported unspoken instead of being
squeezed between its neighbours. Words left out at the start or the end (a reader who
stopped early) are skipped the same way. A path that would leave every word out is not taken:
the speech is then aligned to all the words (a single word read as its minimal pair, *roue*
for *rue*, is that word said wrong, not nothing said). A word may have several pronunciations (fr-ca's
affricated ``t``, es-es ``ll`` said with or without yeísmo): each is a branch of the path,
and the path takes the one the speech matches best.

Extents come back in the English aligner's :class:`~orato.acoustic.aligner.Alignment`
(10 ms frames) so that everything after the alignment (fluency, results, stretches of the
GOP) reads both engines' alignments alike. A CTC unit occupies the frames of its spike; the
blank frames after it inside its word are its own too (the sound goes on after the spike),
so a word's units tile it from its first spike to its last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
# A skip the path may take only where no other path exists (finite, so sums of skips stay defined).
NO_SKIP_LOG_PROB = -1e9
NEG_INF = -np.inf

Units = Sequence[int]  # one pronunciation of a word, as head classes


@dataclass(frozen=True)
class WordPath:
    """Where the best path put one word: unspoken, or said in one pronunciation."""

    spoken: bool
    variant: int  # index into the word's pronunciations (0 when unspoken)
    # Per unit: half-open extent in head frames, and its log-posterior summed over its spike.
    units: tuple[tuple[int, int, float], ...] = ()


class _Graph:
    """The path's states (blank-interleaved units of every pronunciation, a shared blank
    between words) and, per state, its predecessors with the log-probability of the move."""

    def __init__(self, words: Sequence[Sequence[Units]], skip_per_unit: float) -> None:
        labels: list[int] = [BLANK]  # state 0: the blank before the first word
        preds: list[list[tuple[int, float]]] = [[]]
        # Per word: per pronunciation, its unit states; and the blank after the word.
        self.units: list[list[list[int]]] = []
        self.after: list[int] = []
        self.skip = [skip_per_unit * len(w[0]) for w in words]
        before, last_units = 0, [0]  # entries of the next word: the blank before it, the units ending the word before
        for w, variants in enumerate(words):
            word_units = []
            for units in variants:
                states: list[int] = []
                for k, unit in enumerate(units):
                    if k:  # the blank inside the word, after the unit before
                        labels.append(BLANK)
                        preds.append([(states[-1], 0.0)])
                        inner = len(labels) - 1
                    state = len(labels)
                    labels.append(unit)
                    if k == 0:
                        incoming = [(before, 0.0)] + [(u, 0.0) for u in last_units if u and labels[u] != unit]
                    else:
                        incoming = [(inner, 0.0)] + ([(states[-1], 0.0)] if labels[states[-1]] != unit else [])
                    preds.append(incoming)
                    states.append(state)
                word_units.append(states)
            blank = len(labels)
            labels.append(BLANK)
            ends = [states[-1] for states in word_units]
            # Into the blank after the word: from its last units, or past the word unsaid.
            preds.append([(e, 0.0) for e in ends] + [(before, self.skip[w])] + [(u, self.skip[w]) for u in last_units if u])
            self.units.append(word_units)
            self.after.append(blank)
            before, last_units = blank, ends
        width = 1 + max(len(p) for p in preds)
        self.labels = np.asarray(labels, np.int64)
        self.pred = np.tile(np.arange(len(labels))[:, None], (1, width))  # column 0: stay
        self.cost = np.full((len(labels), width), NEG_INF)
        self.cost[:, 0] = 0.0
        for s, incoming in enumerate(preds):
            for j, (p, c) in enumerate(incoming, start=1):
                self.pred[s, j], self.cost[s, j] = p, c
        # A path starts before any word and ends after any word, skipping those outside.
        cumulative = np.concatenate([[0.0], np.cumsum(self.skip)])
        self.start = np.full(len(labels), NEG_INF)
        self.end = np.full(len(labels), NEG_INF)
        self.start[0] = 0.0
        for w, word_units in enumerate(self.units):
            for states in word_units:
                self.start[states[0]] = cumulative[w]
                self.end[states[-1]] = cumulative[-1] - cumulative[w + 1]
            self.start[self.after[w]] = cumulative[w + 1]
            self.end[self.after[w]] = cumulative[-1] - cumulative[w + 1]


def ctc_align(logp: np.ndarray, words: Sequence[Sequence[Units]]) -> list[WordPath]:
    """The best path of the script's words, each given as its pronunciations' unit classes."""
    return scored_paths(logp, words)[0]


def scored_paths(logp: np.ndarray, words: Sequence[Sequence[Units]]) -> tuple[list[WordPath], float]:
    """:func:`ctc_align`, and the best path's log-probability per frame (its skips' costs
    included): how well the words explain the frames, all of them.

    ``logp`` is ``[T, C]`` (class 0 the blank). Raises :class:`WordAlignmentError` when no
    path says a word (too little audio), and ValueError for a word without units.
    """
    if not words or not all(words) or not all(units for variants in words for units in variants):
        raise ValueError("every expected word needs at least one unit")
    if len(logp) == 0:
        raise WordAlignmentError()
    paths, log_prob = _best_path(logp, _Graph(words, SKIP_LOG_PROB_PER_UNIT))
    if not any(p.spoken for p in paths):
        paths, log_prob = _best_path(logp, _Graph(words, NO_SKIP_LOG_PROB))
    if not any(p.spoken for p in paths):
        raise WordAlignmentError()
    return paths, log_prob / len(logp)


def _best_path(logp: np.ndarray, graph: _Graph) -> tuple[list[WordPath], float]:
    n_frames, n_states = len(logp), len(graph.labels)
    emit = logp[:, graph.labels].astype(np.float64)
    moves = np.zeros((n_frames, n_states), np.int8)
    rows = np.arange(n_states)
    delta = graph.start + emit[0]
    for t in range(1, n_frames):
        candidates = delta[graph.pred] + graph.cost
        best = np.argmax(candidates, axis=1)
        moves[t] = best
        delta = candidates[rows, best] + emit[t]
    final = delta + graph.end
    if not np.isfinite(final.max()):
        raise WordAlignmentError()
    path = np.zeros(n_frames, np.int64)
    state = int(np.argmax(final))
    for t in range(n_frames - 1, -1, -1):
        path[t] = state
        state = int(graph.pred[state, moves[t, state]])
    return _word_paths(path, emit, graph), float(final.max())


def _word_paths(path: np.ndarray, emit: np.ndarray, graph: _Graph) -> list[WordPath]:
    frames = np.arange(len(path))
    out = []
    for word_units in graph.units:
        found = WordPath(False, 0)
        for variant, states in enumerate(word_units):
            visits = [frames[path == s] for s in states]
            if not len(visits[0]):
                continue
            extents = []
            for k, own in enumerate(visits):
                end = visits[k + 1][0] if k + 1 < len(visits) else own[-1] + 1
                extents.append((int(own[0]), int(end), float(emit[own, states[k]].sum())))
            found = WordPath(True, variant, tuple(extents))
        out.append(found)
    return out


def aligned_units(
    logp: np.ndarray, words: Sequence[Sequence[Sequence[str]]], unit_index: dict[str, int]
) -> tuple[Alignment, tuple[int, ...]]:
    """:func:`ctc_align` on unit names (each word its pronunciations), as the English
    aligner's :class:`Alignment` in 10 ms frames, and the pronunciation each word was
    aligned in (an unspoken word: its first)."""
    alignment, chosen, _ = scored_units(logp, words, unit_index)
    return alignment, chosen


def scored_units(
    logp: np.ndarray, words: Sequence[Sequence[Sequence[str]]], unit_index: dict[str, int]
) -> tuple[Alignment, tuple[int, ...], float]:
    """:func:`aligned_units` and the path's log-probability per frame (:func:`scored_paths`)."""
    paths, log_prob = scored_paths(logp, [[[unit_index[u] for u in units] for units in variants] for variants in words])
    chosen = [variants[p.variant] for variants, p in zip(words, paths, strict=True)]
    spoken_phones = [
        tuple(
            AlignedPhone(unit, start * TENTHS_PER_FRAME, end * TENTHS_PER_FRAME, score)
            for unit, (start, end, score) in zip(units, p.units, strict=True)
        )
        for units, p in zip(chosen, paths, strict=True)
        if p.spoken
    ]
    aligned: tuple[AlignedWord, ...] = with_skipped(chosen, [p.spoken for p in paths], spoken_phones)
    return Alignment(aligned, len(logp) * TENTHS_PER_FRAME, False), tuple(p.variant for p in paths), log_prob
