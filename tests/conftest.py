"""Shared fixtures: an app on a fresh SQLite store per test, keys, and the real PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from orato.api.app import create_app
from orato.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"
POSTGRES_ADMIN_URL = os.environ.get(
    "ORATO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", secret_key="test-server-secret")


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def key(app: FastAPI) -> str:
    return app.state.services.keys.issue("acme").secret


def issue_key(app: FastAPI, organisation: str = "acme", plan: str | None = None) -> str:
    return app.state.services.keys.issue(organisation, plan).secret


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway database on the real PostgreSQL server, dropped afterwards.

    Skips (with the reason) only where no server is reachable, e.g. on a user's laptop;
    CI and the development machines always have one.
    """
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("select 1"))
    except Exception as error:  # noqa: BLE001
        admin.dispose()
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {type(error).__name__}")
    name = f"orato_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def upstream() -> Iterator["FakeUpstream"]:
    """One fake OpenAI/ElevenLabs/moderation server for the session; tests set its replies."""
    from fake_upstream import FakeUpstream

    fake = FakeUpstream().start()
    yield fake
    fake.stop()


@pytest.fixture
def synth_settings(tmp_path: Path, upstream: "FakeUpstream") -> Settings:
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
