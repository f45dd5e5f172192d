"""`orato score-batch` survives its items (issue 12, item 2): a failing item gets its own
result line, each item has the server's processing deadline, an interrupt stops the run at
once and --resume finishes it, and the run ends with a summary and an honest exit status.

The speech is synthesized (eSpeak NG through Orato's own endpoint), scored by the real engine
in the batch's worker processes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from unittest.mock import patch

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient
from test_score_endpoints import client, key, scoring_app  # noqa: F401
from voices import silence, speak, wav_bytes

from orato.cli import main
from orato.scoring import batch
from orato.scoring.batch import BatchItem, BatchSummary, ItemResult, score_item
from orato.scoring.pool import ScoringPool
from orato.settings import Settings

pytestmark = pytest.mark.slow
REPOSITORY = Path(__file__).resolve().parents[1]
TEXT = "We call it bear."
# Long enough to hold an interrupted run's first result while the rest are still to come.
INTERRUPTED_ITEMS = 5


@pytest.fixture(scope="module")
def reading(client: TestClient, key: str, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    path = tmp_path_factory.mktemp("batch") / "bear.wav"
    path.write_bytes(wav_bytes(silence(0.2), speak(client, key, TEXT, "en-us"), silence(0.2)))
    return path


def item(item_id: str, audio: Path) -> BatchItem:
    return BatchItem(item_id, audio, {"text": TEXT, "dialect": "en-us", "include_fluency": "1", "include_intonation": "1"})


def score_with_planted_failures(settings: Settings, planted: BatchItem) -> ItemResult:
    """Runs in the worker process: "raises" fails inside a scoring step, as a bug would, and
    "dies" ends the worker outright, as a crash in a native library would."""
    if planted.id == "dies":
        os._exit(3)
    if planted.id == "raises":
        with patch.object(batch, "score_text", side_effect=FloatingPointError("planted")):
            return score_item(settings, planted)
    return score_item(settings, planted)


def test_an_item_that_fails_gets_its_own_error_internal_line_and_the_run_goes_on(
    reading: Path, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    items = [item(name, reading) for name in ("first", "raises", "dies", "last")]
    with ScoringPool(settings, workers=1, score=score_with_planted_failures) as pool:
        results = {result.id: result for result in pool.run(items)}
    assert sorted(results) == ["dies", "first", "last", "raises"]
    for name in ("first", "last"):
        assert results[name].status == 200 and results[name].response["status"] == "success"
    for name in ("raises", "dies"):
        assert results[name].status == 500
        body = results[name].response
        assert set(body) == {"status", "short_message", "detail_message", "request_id", "version"}
        assert body["short_message"] == "error_internal" and body["detail_message"] == "An unexpected error occurred."
        assert len(body["request_id"]) == 32 and body["version"] == batch.VERSION
    summary = BatchSummary()
    for result in results.values():
        summary.add(result)
    assert summary.render(left=0) == "done 2, failed 2 (error_internal 2)" and summary.internal == 2


def test_an_item_past_the_processing_deadline_gets_the_endpoints_503_body_and_the_run_fails(
    reading: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORATO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ORATO_PROCESSING_DEADLINE_SECONDS", "0.01")
    manifest, out = tmp_path / "manifest.jsonl", tmp_path / "results.jsonl"
    manifest.write_text(json.dumps({"id": "slow", "audio": str(reading), "text": TEXT}) + "\n")
    result = CliRunner().invoke(main, ["score-batch", str(manifest), "--out", str(out)], catch_exceptions=False)
    (line,) = map(json.loads, out.read_text().splitlines())
    assert line["id"] == "slow" and set(line["response"]) == {"status", "short_message", "detail_message", "request_id", "version"}
    assert line["response"]["short_message"] == "error_engine_unavailable"
    assert line["response"]["detail_message"] == "The request missed the processing deadline."
    assert "done 0, failed 1 (error_engine_unavailable 1)" in result.output
    assert result.exit_code == 1  # a 5xx item (a client error alone leaves it 0: test_score_cli)


def children(pid: int) -> set[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def gone(pids: set[int], patience: float = 5.0) -> bool:
    """True once none of ``pids`` runs (the resource tracker exits a moment after its parent)."""
    until = time.monotonic() + patience
    while any(Path(f"/proc/{pid}").exists() for pid in pids):
        if time.monotonic() > until:
            return False
        time.sleep(0.1)
    return True


def test_an_interrupted_run_stops_at_once_and_resume_scores_each_item_exactly_once(
    reading: Path, tmp_path: Path
) -> None:
    manifest, out = tmp_path / "manifest.jsonl", tmp_path / "results.jsonl"
    ids = [f"clip{n}" for n in range(INTERRUPTED_ITEMS)]
    manifest.write_text("".join(json.dumps({"id": i, "audio": str(reading), "text": TEXT}) + "\n" for i in ids))
    command = [sys.executable, "-m", "orato.cli", "score-batch", str(manifest), "--out", str(out)]
    env = {**os.environ, "ORATO_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(REPOSITORY)}
    run = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    started = time.monotonic()
    while not (out.exists() and out.read_text()) and run.poll() is None and time.monotonic() - started < 600:
        time.sleep(0.2)
    workers = children(run.pid)
    assert workers and run.poll() is None, "the run must be interrupted while it has items left"
    run.send_signal(signal.SIGINT)
    interrupted = time.monotonic()
    _, stderr = run.communicate(timeout=60)
    assert time.monotonic() - interrupted < 10, "the run must stop promptly"
    assert run.returncode == 128 + signal.SIGINT
    assert gone(workers), "no worker may go on computing"
    written = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert 0 < len(written) < INTERRUPTED_ITEMS and "rerun with --resume" in stderr

    resumed = subprocess.run([*command, "--resume"], env=env, capture_output=True, text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stderr
    final = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert sorted(final) == ids, "every item exactly once"
    assert f"done {INTERRUPTED_ITEMS - len(written)}, failed 0" in resumed.stderr
