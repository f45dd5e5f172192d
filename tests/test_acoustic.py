"""Acoustic model plumbing that needs no speech: the Whisper assembly's integrity checks."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from orato.acoustic import whisper


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
