"""`orato score` and `orato score-batch` on real recordings with the real engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from learner_speech import learner_clip_path

from orato.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ORATO_DATA_DIR", str(tmp_path / "data"))

    def invoke(*args: str):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return invoke


def test_score_prints_a_report(run) -> None:
    result = run("score", str(learner_clip_path("000060082")), "Kate likes lamb.")
    assert result.exit_code == 0, result.output
    assert "Pronunciation" in result.output and "lamb" in result.output
    as_json = json.loads(run("score", "--json", str(learner_clip_path("000060082")), "Kate likes lamb.").output)
    assert as_json["status"] == "success" and as_json["text_score"]["text"] == "Kate likes lamb."


def test_score_reports_errors(run) -> None:
    result = run("score", str(learner_clip_path("000060082")), "Kate likes Zorblax.")
    assert result.exit_code == 1 and "error_unknown_words" in result.output


def test_score_batch_writes_the_endpoint_json_and_resumes(run, tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.jsonl"
    lines = [
        {"id": "lamb", "audio": str(learner_clip_path("000060082")), "text": "Kate likes lamb.", "dialect": "en-us"},
        {"id": "missing", "audio": "nowhere.wav", "text": "hello"},
    ]
    manifest.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    out = tmp_path / "results.jsonl"
    assert run("score-batch", str(manifest), "--out", str(out)).exit_code == 0
    results = {r["id"]: r["response"] for r in map(json.loads, out.read_text().splitlines())}
    assert results["lamb"]["status"] == "success"
    assert len(results["lamb"]["request_id"]) == 32 and results["lamb"]["version"] == "9.17"
    assert results["missing"]["short_message"] == "error_audio_missing"

    assert run("score-batch", str(manifest), "--out", str(out)).exit_code != 0  # never overwrite
    extra = {"id": "break", "audio": str(learner_clip_path("000360036")), "text": "I could do with a break"}
    manifest.write_text(manifest.read_text() + json.dumps(extra) + "\n")
    assert run("score-batch", str(manifest), "--out", str(out), "--resume").exit_code == 0
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert sorted(ids) == ["break", "lamb", "missing"]
