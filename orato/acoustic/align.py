"""Word-level forced alignment of English speech with PocketSphinx (en-us model in the wheel).

This is the seed of the assessment family's aligner (issue #3 extends it to phones and scores):
given audio and the exact words spoken, it returns where each word lies. It refuses rather than
guesses: a word outside the CMU dictionary (numbers, names) or a decoding that does not reproduce
the word sequence yields None, and the caller moves on to another aligner.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import numpy as np
from pocketsphinx import Decoder

from orato.registry import models

SAMPLE_RATE = 16_000
FRAME_SECONDS = 0.01
_NOT_SPOKEN = re.compile(r"[^\w']+")
_VARIANT = re.compile(r"\(\d+\)$")
_FILLERS = {"<s>", "</s>", "<sil>", "[NOISE]", "[SPEECH]"}


@dataclass
class EnglishAligner:
    decoder: Decoder
    lock: threading.Lock

    def align(self, samples: np.ndarray, words: list[str]) -> list[tuple[float, float]] | None:
        """(start, end) in seconds per word of ``words``, for 16 kHz mono float audio."""
        keys = [_NOT_SPOKEN.sub("", w.lower()).strip("'") for w in words]
        pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        with self.lock:  # a decoder holds one utterance at a time
            if not keys or any(not k or self.decoder.lookup_word(k) is None for k in keys):
                return None
            self.decoder.set_align_text(" ".join(keys))
            self.decoder.start_utt()
            self.decoder.process_raw(pcm, full_utt=True)
            self.decoder.end_utt()
            segments = [(s.word, s.start_frame, s.end_frame) for s in (self.decoder.seg() or [])]
        found = [(_VARIANT.sub("", w), a, b) for w, a, b in segments if w not in _FILLERS]
        if [w for w, _, _ in found] != keys:
            return None
        return [(a * FRAME_SECONDS, (b + 1) * FRAME_SECONDS) for _, a, b in found]


def english_aligner() -> EnglishAligner:
    """Loaded once per process; decoding is serialised on the one decoder."""
    return models.get(
        "acoustic:pocketsphinx-en-us",
        lambda: EnglishAligner(Decoder(samprate=SAMPLE_RATE, loglevel="FATAL"), threading.Lock()),
    )
