"""Retention: request logs, idempotency records and stored audio go once past their age."""

from __future__ import annotations

import os
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from orato.api.app import create_app
from orato.cli import main
from orato.settings import Settings
from orato.store import Database
from orato.store.idempotency import IdempotencyStore
from orato.store.logs import RequestLogStore
from orato.store.models import IdempotencyRecord, RequestLog, utcnow


def seed(settings: Settings) -> Database:
    """One old and one fresh item of each kind."""
    db = Database(settings.resolved_database_url)
    db.migrate()
    logs = RequestLogStore(db)
    for age in (timedelta(days=31), timedelta(days=29)):
        logs.record({"request_id": uuid.uuid4(), "ts": utcnow() - age, "family": "assessment", "method": "POST",
                     "path": "/api/x", "status": 200, "latency_ms": 1})
    for ttl in (timedelta(seconds=-1), timedelta(hours=1)):
        IdempotencyStore(db, ttl=ttl, lease=timedelta(seconds=1)).claim(uuid.uuid4(), "k", "f" * 64)
    audio = settings.audio_dir / "org" / "2026"
    audio.mkdir(parents=True)
    for name, age_days in (("old.wav", 31), ("fresh.wav", 29)):
        path = audio / name
        path.write_bytes(b"RIFF")
        stamp = time.time() - age_days * 86400
        os.utime(path, (stamp, stamp))
    return db


def remaining(db: Database, settings: Settings) -> tuple[int, int, list[str]]:
    with db.session() as session:
        counts = session.query(RequestLog).count(), session.query(IdempotencyRecord).count()
    return (*counts, sorted(p.name for p in settings.audio_dir.rglob("*.wav")))


def test_cli_deletes_only_what_is_past_its_age(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORATO_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ORATO_DATABASE_URL", raising=False)
    settings = Settings()
    db = seed(settings)
    result = CliRunner().invoke(main, ["retention", "run"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout.strip() == "request_logs=1 idempotency_records=1 audio_files=1"
    assert remaining(db, settings) == (1, 1, ["fresh.wav"])


def test_ages_are_configurable(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, log_retention_days=1, audio_retention_days=1)
    db = seed(settings)
    from orato.retention import run_retention

    assert run_retention(db, settings).as_dict() == {"request_logs": 2, "idempotency_records": 1, "audio_files": 2}


def test_the_server_runs_it_periodically(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key="s", retention_interval_seconds=0.1)
    with TestClient(create_app(settings)):
        time.sleep(0.2)  # past the run at start-up: only a later, periodic run can clean up
        db = seed(settings)
        deadline = time.monotonic() + 5
        while remaining(db, settings) != (1, 1, ["fresh.wav"]) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert remaining(db, settings) == (1, 1, ["fresh.wav"])
