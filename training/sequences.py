"""Sequence measures shared by the evaluations: CTC greedy decoding and edit distance.

Torch-free, so the tests that bound a head's error rate can use the same measure as the
training scripts that report it.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np

BLANK = 0  # the CTC blank column of every head


def greedy_decode(log_posteriors: np.ndarray) -> list[int]:
    """The best class per frame, repeats merged and blanks dropped (CTC's greedy path)."""
    best = log_posteriors.argmax(axis=1)
    return [int(c) for k, c in enumerate(best) if c != BLANK and (k == 0 or c != best[k - 1])]


def edit_distance(reference: Sequence[Hashable], hypothesis: Sequence[Hashable]) -> int:
    """Levenshtein distance: substitutions, deletions and insertions each cost one."""
    row = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        previous, row[0] = row[0], i
        for j, hyp in enumerate(hypothesis, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ref != hyp))
    return row[-1]
