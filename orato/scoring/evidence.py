"""Step 1-2 of scoring: align the expected phones, then collect every model's raw evidence.

The result is model output only (extents, posteriors, states, log-probabilities), nothing
fitted, so training can cache it on disk once and refit the scorers from it many times; the
engine computes the same thing for one request.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np

from orato.acoustic.aligner import FRAME_SECONDS as ALIGN_FRAME_SECONDS
from orato.acoustic.aligner import AlignedPhone, AlignedWord, Alignment, PhoneAligner
from orato.acoustic.hama_posteriors import HamaPhonePosteriors
from orato.acoustic.whisper import ENCODER_FRAME_SECONDS, WhisperFeatures
from orato.registry import models as registry

ALIGN_FRAMES_PER_ENCODER_FRAME = round(ENCODER_FRAME_SECONDS / ALIGN_FRAME_SECONDS)


@dataclass(frozen=True)
class Evidence:
    alignment: Alignment
    # [frames, 40] hama log-posteriors (20 ms), or their computation still under way: the
    # features that need no hama are computed meanwhile.
    pending_hama: np.ndarray | Future[np.ndarray]
    states: np.ndarray  # [frames, 512] Whisper-base encoder states, 20 ms
    word_log_probs: np.ndarray  # [words, 2] mean and min reference-token log-probability

    @property
    def hama(self) -> np.ndarray:
        if isinstance(self.pending_hama, Future):
            return self.pending_hama.result()
        return self.pending_hama


@dataclass(frozen=True)
class EvidenceModels:
    aligner: PhoneAligner
    hama: HamaPhonePosteriors | None  # None: the shipped scorer does not use it
    whisper: WhisperFeatures


def gather_evidence(
    models: EvidenceModels, samples: np.ndarray, texts: Sequence[str], phones: Sequence[Sequence[str]]
) -> Evidence:
    """Raises :class:`~orato.errors.WordAlignmentError` when the phones cannot be aligned.

    hama runs on its own thread meanwhile and may still be running on return: its native
    engine releases the GIL, so on two cores its cost (the largest single one) hides behind
    the alignment, Whisper and the CTC head's features.
    """
    hama: np.ndarray | Future[np.ndarray] = np.zeros((0, 0), np.float32)
    if models.hama is not None:
        # One worker: hama's session is not known to be reentrant, so requests take turns on it.
        hama = registry.executor("hama", 1).submit(models.hama.log_posteriors, samples)
    alignment = models.aligner.align(samples, phones)
    encoded = models.whisper.encode(samples)
    middles = [
        (w.start + w.end) / 2 / ALIGN_FRAMES_PER_ENCODER_FRAME for w in alignment.words
    ]
    word_log_probs = models.whisper.word_log_probs(encoded, texts, middles)
    return Evidence(alignment, hama, encoded.states, word_log_probs)


def evidence_to_arrays(evidence: Evidence) -> dict[str, np.ndarray]:
    """A flat dict of arrays (for ``np.savez``); phone names come back from the script."""
    table = [
        (w.index, int(w.spoken), p.start, p.end, p.score)
        for w in evidence.alignment.words
        for p in w.phones
    ]
    return {
        "phones": np.asarray(table, np.float64).reshape(-1, 5),
        "n_frames": np.asarray(evidence.alignment.n_frames),
        "wide_beams": np.asarray(evidence.alignment.wide_beams),
        "hama": evidence.hama.astype(np.float16),
        "states": evidence.states.astype(np.float16),
        "word_log_probs": evidence.word_log_probs,
    }


def evidence_from_arrays(arrays: dict[str, np.ndarray], phones: Sequence[Sequence[str]]) -> Evidence:
    rows = iter(arrays["phones"])
    words = []
    for index, names in enumerate(phones):
        extents = []
        spoken = True
        for name in names:
            word, said, start, end, score = next(rows)
            assert int(word) == index
            spoken = bool(said)
            extents.append(AlignedPhone(name, int(start), int(end), float(score)))
        words.append(AlignedWord(index, spoken, tuple(extents)))
    alignment = Alignment(tuple(words), int(arrays["n_frames"]), bool(arrays["wide_beams"]))
    return Evidence(
        alignment,
        arrays["hama"].astype(np.float32),
        arrays["states"].astype(np.float32),
        arrays["word_log_probs"].astype(np.float32),
    )
