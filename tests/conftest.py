"""Shared fixtures: an app on a fresh SQLite store per test, keys, the real PostgreSQL and Redis."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import hygiene
import pytest
import redis
import servers
from fastapi import FastAPI
from sqlalchemy import create_engine, text
from starlette.testclient import TestClient

from orato.api.app import create_app
from orato.settings import Settings

if TYPE_CHECKING:
    from fake_upstream import FakeUpstream

POSTGRES_ADMIN_URL = os.environ.get(
    "ORATO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("ORATO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session", autouse=True)
def log_hygiene() -> Iterator[None]:
    """Fails the run if any log line of the whole suite shows a key or text the tests sent.

    errors.md 12: no key, text or audio in logs. Every logger is captured at INFO (what a
    server runs at) and the logs of real servers the tests started are read at the end.
    """
    capture = hygiene.Capture()
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(capture)
    root.setLevel(logging.INFO)
    try:
        yield
    finally:
        root.removeHandler(capture)
        root.setLevel(previous_level)
    if hygiene.SENT:  # the check must have read something, or it proves nothing
        server_output = any(p.exists() and p.stat().st_size for p in hygiene.SERVER_LOGS)
        assert capture.lines or server_output, "keys were sent but no log output was captured"
    found = hygiene.leaks("\n".join(capture.lines))
    assert not found, f"sent values found in logs: {found}"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # The engine loads on the first scoring request instead, once per test process.
    return Settings(data_dir=tmp_path / "data", secret_key="test-server-secret", preload_engine=False)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def key(app: FastAPI) -> str:
    return issue_key(app)


def issue_key(app: FastAPI, organisation: str = "acme", plan: str | None = None, **limits: int) -> str:
    secret = app.state.services.keys.issue(organisation, plan, **limits).secret
    hygiene.sent(secret)
    return secret


def require(service: str, url: str, probe: Callable[[], object]) -> None:
    """Skips (with the reason) only where ``service`` is unreachable, e.g. on a user's laptop.

    CI and the development machines always have PostgreSQL and Redis: under ``CI`` the failure
    is raised instead, so a missing service can never pass as skipped tests.
    """
    try:
        probe()
    except Exception as error:  # noqa: BLE001
        if os.environ.get("CI"):
            raise
        pytest.skip(f"{service} not reachable at {url}: {type(error).__name__}")


def _probe_postgres() -> None:
    admin = create_engine(POSTGRES_ADMIN_URL)
    try:
        with admin.connect() as connection:
            connection.execute(text("select 1"))
    finally:
        admin.dispose()


def _probe_redis() -> None:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    finally:
        client.close()


@contextmanager
def throwaway_database() -> Iterator[str]:
    """A new database on the real PostgreSQL server, dropped afterwards."""
    require("PostgreSQL", POSTGRES_ADMIN_URL, _probe_postgres)
    with servers.throwaway_database(POSTGRES_ADMIN_URL) as url:
        yield url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with throwaway_database() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The real Redis server (``ORATO_TEST_REDIS_URL``)."""
    require("Redis", REDIS_URL, _probe_redis)
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own, so parallel runs on one Redis never share counts."""
    prefix = f"orato-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        for name in client.scan_iter(f"{prefix}:*"):
            client.delete(name)
    finally:
        client.close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def upstream() -> Iterator[FakeUpstream]:
    """One fake OpenAI/ElevenLabs/moderation server for the session; tests set its replies."""
    from fake_upstream import FakeUpstream

    fake = FakeUpstream().start()
    yield fake
    fake.stop()


@pytest.fixture
def synth_settings(tmp_path: Path, upstream: FakeUpstream) -> Settings:
    upstream.replies.clear()
    upstream.seen.clear()
    return Settings(
        data_dir=tmp_path / "data",
        secret_key="test-server-secret",
        openai_base_url=upstream.url + "/openai/v1",
        elevenlabs_base_url=upstream.url + "/elevenlabs",
        upstream_timeout_seconds=1.0,
        moderation_timeout_seconds=1.0,
    )


@pytest.fixture
def synth_app(synth_settings: Settings) -> FastAPI:
    return create_app(synth_settings)


@pytest.fixture
def synth(synth_app: FastAPI) -> Iterator[TestClient]:
    """A client for the synthesis family, authenticated as organisation "acme"."""
    with TestClient(synth_app) as test_client:
        test_client.headers["Authorization"] = f"Bearer {issue_key(synth_app, 'acme')}"
        yield test_client
