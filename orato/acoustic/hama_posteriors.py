"""CTC phone posteriors from hama's waveform-to-IPA model, mapped onto ARPAbet (20 ms frames).

hama's 4.7 MB CTC model emits 191 IPA tokens. Each ARPAbet phone gathers the probability of
its IPA variants, blank absorbs hama's blank, word-boundary and space tokens, and the matrix
is renormalised over those 40 classes so it can be compared column for column with the
Whisper CTC head. The network runs in onnxruntime (:mod:`orato.acoustic.hama_network`) from
hama's weight pack and vocabulary, hama's internals, hence the exact pin in constraints.txt.

Long audio goes through in windows of at most 15 s (:func:`windows`), each ending in a quiet
stretch (a pause between words where there is one). The model attends over its whole input,
so a 30 s window of a learner's answer cost 2.3 times a 15 s one (4.5-5.0 against 1.9-2.1 CPU
s in hama's own engine, then the largest single cost of score speech), and 99 % of the clips the
scorers were fitted on are shorter than 15 s: they are one window, as before.
"""

from __future__ import annotations

import numpy as np

from orato.acoustic.hama_network import HamaNetwork
from orato.acoustic.phones import BLANK, N_CLASSES, PHONE_INDEX
from orato.registry import models

FRAME_SECONDS = 0.02  # hama subsamples 2 x over a 10 ms hop
SAMPLE_RATE = 16_000
FRAME_SAMPLES = round(FRAME_SECONDS * SAMPLE_RATE)
WINDOW_SECONDS = 15  # at most (module docstring); the model's own limit is 30 s
# Where a window may end: the quietest 100 ms (5 frames, longer than a stop's closure) of its
# last 3 seconds, so it ends between words rather than inside one.
CUT_SEARCH_SECONDS = 3
QUIET_FRAMES = 5
_BLANK_TOKENS = ("<blank>", "<wb>", " ")
# IPA spellings of each ARPAbet phone in hama's output vocabulary.
IPA_VARIANTS: dict[str, tuple[str, ...]] = {
    "AA": ("ɑ", "ɒ"), "AE": ("æ",), "AH": ("ʌ", "ə"), "AO": ("ɔ",), "AW": ("aʊ",),
    "AY": ("aɪ",), "B": ("b",), "CH": ("t͡ʃ",), "D": ("d",), "DH": ("ð",), "EH": ("ɛ",),
    "ER": ("ɝ", "ɚ"), "EY": ("eɪ",), "F": ("f",), "G": ("g", "ɡ"), "HH": ("h",), "IH": ("ɪ",),
    "IY": ("i",), "JH": ("d͡ʒ",), "K": ("k",), "L": ("l", "ɫ"), "M": ("m",), "N": ("n",),
    "NG": ("ŋ",), "OW": ("oʊ",), "OY": ("ɔɪ",), "P": ("p",), "R": ("ɹ",), "S": ("s",),
    "SH": ("ʃ",), "T": ("t",), "TH": ("θ",), "UH": ("ʊ",), "UW": ("u",), "V": ("v",),
    "W": ("w",), "Y": ("j",), "Z": ("z",), "ZH": ("ʒ",),
}  # fmt: skip


class HamaPhonePosteriors:
    def __init__(self, network: HamaNetwork) -> None:
        self._network = network
        tokens = list(network.tokens)
        groups = [[tokens.index(t) for t in _BLANK_TOKENS]] + [[] for _ in PHONE_INDEX]
        for phone, variants in IPA_VARIANTS.items():
            groups[PHONE_INDEX[phone]] = [tokens.index(v) for v in variants]
        # One 0/1 matrix turns 191 token probabilities into 40 class probabilities.
        self._gather = np.zeros((len(tokens), N_CLASSES), np.float32)
        for column, rows in enumerate(groups):
            self._gather[rows, column] = 1.0
        assert self._gather[:, BLANK].sum() == len(_BLANK_TOKENS)

    def log_posteriors(self, samples: np.ndarray) -> np.ndarray:
        """``[frames, 40]`` log-posteriors (blank + ARPAbet) of 16 kHz mono float samples,
        frame ``k`` at ``k`` x 20 ms, computed in :func:`windows`."""
        bounds = windows(samples)
        parts = [
            # hama gives a window of n frames' samples n + 1 frames (the last on its end, which
            # is the next window's first): all but the last window drop it, keeping the grid.
            self._window(samples[start:end])[: (end - start) // FRAME_SAMPLES if end < len(samples) else None]
            for start, end in bounds
        ]
        return np.concatenate(parts) if parts else np.zeros((0, N_CLASSES), np.float32)

    def _window(self, samples: np.ndarray) -> np.ndarray:
        logits = self._network.log_probs(samples).astype(np.float64)
        probs = np.exp(logits - logits.max(axis=1, keepdims=True)) @ self._gather
        probs = np.maximum(probs, np.finfo(np.float32).tiny)
        return np.log(probs / probs.sum(axis=1, keepdims=True)).astype(np.float32)


def windows(samples: np.ndarray) -> list[tuple[int, int]]:
    """Consecutive ``(start, end)`` sample ranges covering ``samples`` in windows of at most
    WINDOW_SECONDS, each but the last ending on the 20 ms grid at the quietest QUIET_FRAMES of
    the CUT_SEARCH_SECONDS before its target: what is left over the windows it needs (15.5 s is
    two of about 7.75 s, not one of 15 and one of 0.5, which would give the model next to nothing
    to hear)."""
    limit = WINDOW_SECONDS * SAMPLE_RATE // FRAME_SAMPLES
    search = CUT_SEARCH_SECONDS * SAMPLE_RATE // FRAME_SAMPLES
    frames = len(samples) // FRAME_SAMPLES
    energy = np.square(samples[: frames * FRAME_SAMPLES].astype(np.float64)).reshape(frames, FRAME_SAMPLES).sum(axis=1)
    before = np.concatenate([[0.0], np.cumsum(energy)])  # before[b]: energy of frames 0 .. b - 1
    bounds, start = [], 0
    while frames - start > limit:
        left = frames - start
        target = -(-left // -(-left // limit))  # what is left over the windows it needs
        # b: the boundary after the quiet stretch of frames b - QUIET_FRAMES .. b - 1
        candidates = np.arange(start + target - search, start + target + 1)
        quiet = before[candidates] - before[candidates - QUIET_FRAMES]
        end = int(candidates[np.argmin(quiet)]) - QUIET_FRAMES // 2  # mid-stretch
        bounds.append((start * FRAME_SAMPLES, end * FRAME_SAMPLES))
        start = end
    bounds.append((start * FRAME_SAMPLES, len(samples)))
    return [b for b in bounds if b[1] > b[0]]


def load_hama() -> HamaPhonePosteriors:
    return models.get("hama-phone-posteriors", lambda: HamaPhonePosteriors(HamaNetwork.packaged()))
