"""CTC phone posteriors from hama's waveform-to-IPA model, mapped onto ARPAbet (20 ms frames).

hama's 4.7 MB CTC model emits 191 IPA tokens. Each ARPAbet phone gathers the probability of
its IPA variants, blank absorbs hama's blank, word-boundary and space tokens, and the matrix
is renormalised over those 40 classes so it can be compared column for column with the
Whisper CTC head. The session is hama's internal API, hence the exact pin in constraints.txt.
"""

from __future__ import annotations

import numpy as np

from orato.acoustic.phones import BLANK, N_CLASSES, PHONE_INDEX
from orato.registry import models

FRAME_SECONDS = 0.02  # hama subsamples 2 x over a 10 ms hop
SAMPLE_RATE = 16_000
WINDOW_SECONDS = 30  # the model's output stops at 1,500 frames
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
    def __init__(self) -> None:
        from hama.asr import ASRModel  # imported here: only this loader needs hama

        self._model = ASRModel()
        tokens = self._model.decoder_tokens
        groups = [[tokens.index(t) for t in _BLANK_TOKENS]] + [[] for _ in PHONE_INDEX]
        for phone, variants in IPA_VARIANTS.items():
            groups[PHONE_INDEX[phone]] = [tokens.index(v) for v in variants]
        # One 0/1 matrix turns 191 token probabilities into 40 class probabilities.
        self._gather = np.zeros((len(tokens), N_CLASSES), np.float32)
        for column, rows in enumerate(groups):
            self._gather[rows, column] = 1.0
        assert self._gather[:, BLANK].sum() == len(_BLANK_TOKENS)

    def log_posteriors(self, samples: np.ndarray) -> np.ndarray:
        """``[frames, 40]`` log-posteriors (blank + ARPAbet) of 16 kHz mono float samples.

        The model emits at most 30 s of frames per call, so longer audio goes through in
        consecutive windows.
        """
        window = WINDOW_SECONDS * SAMPLE_RATE
        parts = [self._window(samples[i : i + window]) for i in range(0, len(samples), window)]
        return np.concatenate(parts) if parts else np.zeros((0, N_CLASSES), np.float32)

    def _window(self, samples: np.ndarray) -> np.ndarray:
        model = self._model
        wav = np.ascontiguousarray(samples, dtype=np.float32).reshape(1, -1)
        log_probs, lengths = model.session.run(
            [model._log_probs_output_name, model._out_lengths_output_name],
            {
                model._waveform_input_name: wav,
                model._waveform_lengths_input_name: np.array([wav.shape[1]], np.int64),
            },
        )
        logits = np.asarray(log_probs[0, : int(np.asarray(lengths).reshape(-1)[0])], np.float64)
        probs = np.exp(logits - logits.max(axis=1, keepdims=True)) @ self._gather
        probs = np.maximum(probs, np.finfo(np.float32).tiny)
        return np.log(probs / probs.sum(axis=1, keepdims=True)).astype(np.float32)


def load_hama() -> HamaPhonePosteriors:
    return models.get("hama-phone-posteriors", HamaPhonePosteriors)
