"""Where the tests' learner recordings come from: ../shared when it is there, Piper readings otherwise.

CI always has ../shared, so the quick-start path of a clone (no shared data, a clip the server
synthesises) is exercised here on purpose, by hiding the shared data.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from learner_speech import CORPUS, READINGS, SHARED_DATA_ENV, learner_clip_path, needs_real_learner_speech, shared_data

from orato.audio import decode_audio
from orato.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture
def clone(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A checkout without ../shared, as a user's clone is."""
    monkeypatch.setenv(SHARED_DATA_ENV, "none")
    monkeypatch.setenv("ORATO_DATA_DIR", str(tmp_path / "data"))


def word_scores(audio: Path, script: str) -> dict[str, float]:
    """``orato score --json``: each word of ``script`` with its quality_score."""
    result = CliRunner().invoke(main, ["score", "--json", str(audio), script], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return {word["word"]: word["quality_score"] for word in json.loads(result.output)["text_score"]["word_score_list"]}


@needs_real_learner_speech
def test_with_the_shared_data_the_clips_are_the_corpus_recordings() -> None:
    root = shared_data()
    assert root is not None
    for uttid in READINGS:
        assert learner_clip_path(uttid) == root / CORPUS / "audio" / f"{uttid}.flac"


def test_in_a_clone_each_clip_is_a_reading_of_its_script_as_long_as_the_recording(clone: None) -> None:
    for uttid, (_, seconds) in READINGS.items():
        path = learner_clip_path(uttid)
        assert path.suffix == ".wav" and not path.is_relative_to(Path(__file__).parent)
        assert decode_audio(path, max_seconds=30).duration_seconds == pytest.approx(seconds, abs=0.01)


def test_in_a_clone_the_quick_start_scores_the_reading_and_a_planted_wrong_word(clone: None) -> None:
    kate = learner_clip_path("000060082")
    said = word_scores(kate, "Kate likes lamb.")
    assert min(said.values()) >= 80
    planted = word_scores(kate, "Kate likes jam.")  # the audio lacks the script's last word
    assert planted["jam"] < said["lamb"]


def test_ci_without_the_shared_data_fails_instead_of_skipping(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv(SHARED_DATA_ENV, str(tmp_path / "missing"))
    with pytest.raises(RuntimeError, match="shared data"):
        shared_data()
