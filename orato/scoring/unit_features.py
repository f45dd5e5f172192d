"""Step 3 of the French and Spanish scoring: GOP-style features of each aligned unit.

Kaldi's GOP compares the expected phone with its best competitor over the phone's frames;
the CTC form (:mod:`orato.scoring.gop`) compares whole unit sequences with that unit
substituted or deleted, which suits a peaky CTC head's posteriors. Both are computed here
against the competitors of the script's dialect only: the one head hears French and Spanish
units, and a French ``u`` said well must not lose to a Spanish ``r`` nobody would hear in it.

The columns are model output only (nothing fitted), so training computes them once per
reading and fits the calibration (:mod:`orato.scoring.calibration`) on them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from orato.acoustic.aligner import Alignment
from orato.lang import acoustic_inventory
from orato.lang.romance_units import UNIT_INDEX, UNITS
from orato.scoring.features import extents_20ms, gop_features, per_stretch, segment_features
from orato.scoring.gop import LOG_FLOOR, competitor_posteriors

BLANK = 0
# The columns, in order: the expected unit's GOP share among its language's competitors, the
# best rival's and deletion's (CTC GOP); the mean and best log-posterior of the expected unit
# over its aligned frames and the best rival's mean there (Kaldi-style GOP); log duration.
FEATURES = (
    "gop_own", "gop_rival", "gop_deletion", "segment_own", "segment_best", "segment_rival", "log_frames",
)  # fmt: skip


@dataclass(frozen=True)
class UnitFeatures:
    columns: np.ndarray  # [n_units, len(FEATURES)]; zeros on the units of unspoken words
    shares: np.ndarray  # [n_units, C] log GOP shares (deletion in column BLANK)
    labels: np.ndarray  # [n_units] head classes of the expected units
    word_of_unit: np.ndarray  # [n_units]
    spoken: np.ndarray  # [n_units] bool: the unit's word was said


def dialect_classes(dialect: str) -> np.ndarray:
    """``[1 + len(UNITS)]`` bool: the blank and the units the dialect's contract phones own
    (es-mx has no ``θ`` or ``ʎ``, French no ``r``)."""
    allowed = np.zeros(len(UNITS) + 1, bool)
    allowed[BLANK] = True
    allowed[[UNIT_INDEX[unit] for unit in acoustic_inventory(dialect)]] = True
    return allowed


def within_language(logp: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """The head's log-posteriors with the other language's units floored: no path, rival or
    share can use them, and every sum stays finite."""
    return np.where(allowed[None, :], logp, LOG_FLOOR)


def unit_features(logp: np.ndarray, alignment: Alignment) -> UnitFeatures:
    """The features of every unit of ``alignment`` from the head's ``logp`` ``[T, C]``
    (already :func:`within_language`), 20 ms frames over the same audio."""
    units = alignment.phones
    labels = np.asarray([UNIT_INDEX[p.phone] for p in units], np.int64)
    word_of_unit = np.asarray([w.index for w in alignment.words for _ in w.phones], np.int64)
    spoken = np.asarray([w.spoken for w in alignment.words for _ in w.phones], bool)
    columns = np.zeros((len(units), len(FEATURES)))
    shares = np.full((len(units), logp.shape[1]), LOG_FLOOR)
    if spoken.any():
        # The GOP's reference sequence is what was said: a skipped word's units are not in it.
        said = Alignment(tuple(w for w in alignment.words if w.spoken), alignment.n_frames, alignment.wide_beams)
        said_labels = labels[spoken]
        said_shares = per_stretch(logp, said_labels, said, competitor_posteriors)
        extents = extents_20ms(said, len(logp))
        durations = [math.log(max(end - start, 1)) for start, end in extents]
        columns[spoken] = np.concatenate([
            gop_features(said_shares, said_labels)[:, :3],
            segment_features(logp, said_labels, extents),
            np.asarray(durations)[:, None],
        ], axis=1)  # fmt: skip
        shares[spoken] = said_shares
    return UnitFeatures(columns, shares, labels, word_of_unit, spoken)
