"""Retention: what Orato stores is deleted once it is past its age.

Request-log rows go after ``log_retention_days``, idempotency records when their replay window
(``idempotency_ttl_hours``) has closed, and stored recordings under ``data_dir/audio`` after
``audio_retention_days``. The server runs the job every ``retention_interval_seconds``;
``orato retention run`` runs it once (from cron, say). Every step is idempotent, so several
server processes running it at once only repeat each other's deletes.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

import anyio
import anyio.to_thread

from orato.settings import Settings
from orato.store.db import Database
from orato.store.idempotency import IdempotencyStore
from orato.store.logs import RequestLogStore

logger = logging.getLogger("orato.retention")


@dataclass(frozen=True)
class RetentionReport:
    request_logs: int
    idempotency_records: int
    audio_files: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def run_retention(db: Database, settings: Settings) -> RetentionReport:
    idempotency = IdempotencyStore(db, ttl=timedelta(hours=settings.idempotency_ttl_hours), lease=timedelta())
    report = RetentionReport(
        request_logs=RequestLogStore(db).delete_older_than(settings.log_retention_days),
        idempotency_records=idempotency.delete_expired(),
        audio_files=delete_files_older_than(settings.audio_dir, timedelta(days=settings.audio_retention_days)),
    )
    logger.info("retention deleted %s", report.as_dict())
    return report


def delete_files_older_than(directory: Path, age: timedelta) -> int:
    """Files (at any depth) whose last change is older than ``age``; empty folders stay."""
    if not directory.is_dir():
        return 0
    cutoff = time.time() - age.total_seconds()
    deleted = 0
    for path in directory.rglob("*"):
        try:
            if path.is_file() and not path.is_symlink() and path.stat().st_mtime < cutoff:
                path.unlink()
                deleted += 1
        except FileNotFoundError:  # another process got there first
            continue
    return deleted


async def retention_loop(db: Database, settings: Settings) -> None:
    """The server's periodic job; a failed run is logged and tried again next time."""
    while True:
        try:
            await anyio.to_thread.run_sync(run_retention, db, settings)
        except Exception as error:  # noqa: BLE001 - the database may be down for a while
            logger.warning("retention run failed: %s", type(error).__name__)
        await anyio.sleep(settings.retention_interval_seconds)
