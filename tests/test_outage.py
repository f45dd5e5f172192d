"""A database outage is a clean, retryable 503 in both families, and nothing is lost by it.

The outage is real: the test's own PostgreSQL database stops accepting connections and its
open ones are terminated, as during a restart; other databases on the server are untouched.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import POSTGRES_ADMIN_URL, issue_key, throwaway_database
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient
from test_api_errors import VALIDATE, assert_assessment_error, assert_problem

from orato.api.app import create_app
from orato.errors import EngineUnavailableError
from orato.settings import Settings
from orato.store.models import IdempotencyRecord, utcnow


@pytest.fixture
def client_on_sqlite(tmp_path: Path) -> Iterator[tuple[TestClient, object, str]]:
    app = create_app(Settings(data_dir=tmp_path, secret_key="s"))
    key = issue_key(app)
    with TestClient(app) as client:
        yield client, app, key


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


@pytest.mark.postgres
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


@pytest.mark.postgres
def test_log_rows_written_during_an_outage_are_kept_back_not_lost(database_url: str) -> None:
    from orato.store import Database
    from orato.store.logs import RequestLogStore
    from orato.store.models import RequestLog

    db = Database(database_url)
    db.migrate()
    logs = RequestLogStore(db)
    row = {"request_id": uuid.uuid4(), "family": "assessment", "method": "POST", "path": "/api/x",
           "status": 200, "latency_ms": 3}
    set_available(database_url, False)
    try:
        with pytest.raises(EngineUnavailableError):
            logs.record(row)
        assert logs.pending == 1
    finally:
        set_available(database_url, True)
    logs.record({**row, "request_id": uuid.uuid4()})
    logs.record(row)  # a write retried after a lost acknowledgement: not doubled
    with db.session() as session:
        assert session.query(RequestLog).count() == 2 and logs.pending == 0
    db.dispose()


def test_a_result_the_store_cannot_keep_is_not_handed_out(client_on_sqlite) -> None:  # noqa: ANN001
    client, app, key = client_on_sqlite
    store = app.state.services.idempotency
    original = store.complete

    def unavailable(*_args: object) -> None:
        raise EngineUnavailableError("The database is unavailable; retry with backoff.", retry_after=2)

    store.complete = unavailable
    refused = client.post(VALIDATE, params={"key": key, "text": "hello"}, headers={"Idempotency-Key": "k"})
    assert_assessment_error(refused, 503, "error_engine_unavailable")
    store.complete = original
    # The claim is still running (the store could not settle it); once its lease has run out,
    # the retry runs the request again.
    with app.state.services.db.session() as session:
        session.query(IdempotencyRecord).update({IdempotencyRecord.locked_until: utcnow() - timedelta(seconds=1)})
    retried = client.post(VALIDATE, params={"key": key, "text": "hello"}, headers={"Idempotency-Key": "k"})
    assert retried.status_code == 200 and "idempotent-replayed" not in retried.headers
