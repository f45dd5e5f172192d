"""Acoustic model plumbing that needs no speech: the Whisper assembly's integrity checks."""

from __future__ import annotations

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
