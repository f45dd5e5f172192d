"""Acoustic model plumbing that needs no speech: the Whisper assembly's integrity checks, hama's windows."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from orato.acoustic import hama_posteriors, whisper


def test_a_truncated_model_is_refused(tmp_path: Path) -> None:
    target = tmp_path / whisper.MODEL_DIR_NAME
    target.mkdir()
    (target / "model.bin").write_bytes(b"\0" * 1024)
    with pytest.raises(RuntimeError, match="bytes"):
        whisper.assemble_model(tmp_path)


def test_a_tampered_model_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / whisper.MODEL_DIR_NAME
    target.mkdir()
    (target / "model.bin").write_bytes(b"x" * 4096)
    monkeypatch.setattr(whisper, "MODEL_BYTES", 4096)  # right size, wrong content
    with pytest.raises(RuntimeError, match="sha256"):
        whisper.assemble_model(tmp_path)


def test_processes_that_start_together_share_one_assembly(tmp_path: Path) -> None:
    """Four workers of a fresh deployment assemble at the same moment: each gets the whole,
    verified model, and none deletes the one another finished (a training run hit exactly
    that: "Directory not empty" from the rename)."""
    with ProcessPoolExecutor(4, mp_context=multiprocessing.get_context("fork")) as pool:
        targets = list(pool.map(whisper.assemble_model, [tmp_path] * 4))
    assert targets == [tmp_path / whisper.MODEL_DIR_NAME] * 4
    assert (tmp_path / whisper.MODEL_DIR_NAME / "model.bin").stat().st_size == whisper.MODEL_BYTES
    assert not [p for p in tmp_path.glob(".whisper-*") if p.is_dir()], "no scratch directory is left behind"


def _speech_with_pauses(seconds: float, pauses: list[float]) -> np.ndarray:
    """Loud noise with 0.3 s of silence starting at each of ``pauses`` (seconds)."""
    samples = np.random.default_rng(0).normal(0, 0.1, round(seconds * hama_posteriors.SAMPLE_RATE)).astype(np.float32)
    for start in pauses:
        at = round(start * hama_posteriors.SAMPLE_RATE)
        samples[at : at + round(0.3 * hama_posteriors.SAMPLE_RATE)] = 0.0
    return samples


@pytest.mark.parametrize("seconds", [0.005, 3.0, 15.0, 15.01, 31.0, 60.1])
def test_hama_windows_cover_the_audio_on_the_frame_grid(seconds: float) -> None:
    samples = _speech_with_pauses(seconds, [])
    windows = hama_posteriors.windows(samples)
    assert windows[0][0] == 0 and windows[-1][1] == len(samples)
    assert all(a[1] == b[0] for a, b in zip(windows, windows[1:], strict=False)), "consecutive, no gap or overlap"
    assert all(end % hama_posteriors.FRAME_SAMPLES == 0 for _, end in windows[:-1]), "cuts on the 20 ms grid"
    limit = hama_posteriors.WINDOW_SECONDS * hama_posteriors.SAMPLE_RATE
    assert all(end - start < limit + hama_posteriors.FRAME_SAMPLES for start, end in windows), "at most 15 s (and a frame's tail)"
    assert len(windows) == 1 or min(end - start for start, end in windows) >= 4 * hama_posteriors.SAMPLE_RATE, "no scrap"


def test_hama_windows_end_in_a_pause() -> None:
    """A 24 s answer is two windows of about 12 s, the first ending in the pause at 10.5 s
    (inside the last 3 s before 12 s), not in the middle of a word."""
    samples = _speech_with_pauses(24.0, [4.0, 10.5, 20.0])
    (_, cut), _ = hama_posteriors.windows(samples)
    assert 10.5 <= cut / hama_posteriors.SAMPLE_RATE <= 10.8
