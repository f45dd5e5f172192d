"""Organisations, keys and request logs on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from orato.errors import ConflictError, KeyExpiredError, NotFoundError, UnauthorizedError
from orato.settings import Settings
from orato.store import Database, KeyService
from orato.store.logs import RequestLogStore
from orato.store.models import ApiKey, RequestLog, utcnow


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    db = Database(url)
    db.migrate()
    if request.param == "postgresql":  # one database per session: start each test empty
        with db.session() as session:
            session.execute(text("TRUNCATE request_logs, api_keys, organisations CASCADE"))
    yield db
    db.dispose()


@pytest.fixture
def keys(database: Database, tmp_path: Path) -> KeyService:
    return KeyService(database, Settings(data_dir=tmp_path, secret_key="s3cret"))


def test_migrations_create_the_schema_and_are_idempotent(database: Database) -> None:
    database.migrate()
    tables = set(inspect(database.engine).get_table_names())
    assert {"organisations", "api_keys", "request_logs", "alembic_version"} <= tables


def test_issue_and_authenticate(keys: KeyService) -> None:
    issued = keys.issue("Acme", "pro")
    principal = keys.authenticate(issued.secret)
    assert principal.organisation_name == "Acme"
    assert principal.plan_name == "pro"
    assert principal.features == {"pronunciation", "fluency", "intonation", "synthesis"}
    assert (principal.max_audio_seconds, principal.max_file_bytes) == (45, 2_500_000)
    assert principal.max_in_flight == 16


def test_default_plan_is_premium(keys: KeyService) -> None:
    assert keys.authenticate(keys.issue("Acme").secret).plan_name == "premium"


def test_keys_are_stored_only_as_digests(keys: KeyService, database: Database) -> None:
    issued = keys.issue("Acme")
    with database.session() as session:
        stored = session.query(ApiKey).one()
        dumped = " ".join(str(v) for v in vars(stored).values())
    assert issued.secret not in dumped
    assert stored.prefix == issued.secret[:12] and stored.last_four == issued.secret[-4:]


def test_a_different_server_secret_rejects_the_key(keys: KeyService, database: Database, tmp_path: Path) -> None:
    issued = keys.issue("Acme")
    other = KeyService(database, Settings(data_dir=tmp_path, secret_key="another"))
    with pytest.raises(UnauthorizedError):
        other.authenticate(issued.secret)


def test_unknown_and_malformed_keys(keys: KeyService) -> None:
    for bad in ("", "orato_nope", "not-a-key", "orato_" + "x" * 500):
        with pytest.raises(UnauthorizedError):
            keys.authenticate(bad)


def test_revoke_and_expiry(keys: KeyService, database: Database) -> None:
    first, second = keys.issue("Acme"), keys.issue("Acme")
    keys.revoke(str(first.key_id))
    keys.revoke(str(first.key_id))  # idempotent
    with pytest.raises(KeyExpiredError):
        keys.authenticate(first.secret)
    with database.session() as session:
        session.get(ApiKey, second.key_id).expires_at = utcnow() - timedelta(seconds=1)
    with pytest.raises(KeyExpiredError):
        keys.authenticate(second.secret)
    with pytest.raises(NotFoundError):
        keys.revoke(str(uuid.uuid4()))
    with pytest.raises(NotFoundError):
        keys.revoke("not-a-uuid")


def test_organisations_are_unique(keys: KeyService) -> None:
    keys.create_organisation("Acme")
    with pytest.raises(ConflictError):
        keys.create_organisation("Acme")
    issued = keys.issue("Acme")  # reuses the organisation
    assert [k.organisation for k in keys.list()] == ["Acme"]
    assert keys.list()[0].id == issued.key_id


def test_per_key_limit_overrides(keys: KeyService, database: Database) -> None:
    issued = keys.issue("Acme", "basic")
    with database.session() as session:
        session.get(ApiKey, issued.key_id).max_audio_seconds = 5
    principal = keys.authenticate(issued.secret)
    assert principal.max_audio_seconds == 5 and principal.max_file_bytes == 1_900_000


def test_request_log_retention(database: Database) -> None:
    logs = RequestLogStore(database)
    base = {"family": "assessment", "method": "POST", "path": "/x", "status": 200, "latency_ms": 3}
    logs.record({**base, "request_id": uuid.uuid4(), "ts": utcnow() - timedelta(days=31)})
    logs.record({**base, "request_id": uuid.uuid4()})
    assert logs.delete_older_than(30) == 1
    with database.session() as session:
        assert session.query(RequestLog).count() == 1
