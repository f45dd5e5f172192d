"""A database outage is a clean, retryable 503 in both families, and service resumes after it.

The outage is real: the test's own PostgreSQL database stops accepting connections and its
open ones are terminated, as during a restart; other databases on the server are untouched.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from conftest import POSTGRES_ADMIN_URL, issue_key, throwaway_database
from orato.api.app import create_app
from orato.settings import Settings
from test_api_errors import VALIDATE, assert_assessment_error, assert_problem

pytestmark = pytest.mark.postgres


@pytest.fixture
def database_url() -> Iterator[str]:
    with throwaway_database() as url:
        yield url


def set_available(url: str, available: bool) -> None:
    name = make_url(url).database
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(available).lower()}'))
        if not available:
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"), {"name": name}
            )
    admin.dispose()


def test_database_outage_is_503_with_retry_after_then_recovers(database_url: str, tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, secret_key="s", database_url=database_url))
    key = issue_key(app)
    with TestClient(app) as client:
        assert client.post(VALIDATE, params={"key": key, "text": "hello"}).status_code == 200
        set_available(database_url, False)
        try:
            down = client.post(VALIDATE, params={"key": key, "text": "hello"}, headers={"Idempotency-Key": "k"})
            assert_assessment_error(down, 503, "error_engine_unavailable")
            assert down.headers["retry-after"] == "2"
            problem = client.get("/v1/organization", params={"key": key})
            assert_problem(problem, 503, "provider_unavailable")
            assert "database" in problem.json()["detail"]
        finally:
            set_available(database_url, True)
        assert client.post(VALIDATE, params={"key": key, "text": "hello"}, headers={"Idempotency-Key": "k"}
                           ).status_code == 200
        assert app.state.services.limiter.primary._slots == {}  # the failed requests gave theirs back
