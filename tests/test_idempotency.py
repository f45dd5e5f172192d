"""Idempotency-Key on assessment POSTs (api-scoring.md 1.10, errors.md 10)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import anyio
import pytest
from conftest import issue_key
from fastapi import FastAPI, Request
from starlette.testclient import TestClient
from test_api_errors import VALIDATE, assert_assessment_error

from orato.api.app import create_app
from orato.api.routes.assessment import begin, success
from orato.api.work import run_engine
from orato.errors import IdempotencyConflictError
from orato.limits import Quota
from orato.settings import Settings
from orato.store import Database
from orato.store.idempotency import IdempotencyStore, StoredResponse
from orato.store.models import IdempotencyRecord, utcnow

IDEM = "Idempotency-Key"


def post(client: TestClient, key: str, idem: str | None, path: str = VALIDATE, **params: str):
    headers = {IDEM: idem} if idem is not None else {}
    return client.post(path, params={"key": key, **params}, headers=headers)


def test_a_retry_replays_the_stored_response(client: TestClient, key: str) -> None:
    first = post(client, key, "lesson-1", text="hello")
    again = post(client, key, "lesson-1", text="hello")
    assert first.status_code == again.status_code == 200
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content  # the original request_id included
    assert again.headers["content-type"] == first.headers["content-type"]
    assert again.headers["x-request-id"] != first.headers["x-request-id"]


def test_final_client_errors_are_replayed_too(client: TestClient, key: str) -> None:
    first = assert_assessment_error(post(client, key, "k402", text="hello qwzzx"), 402, "error_unknown_words")
    again = post(client, key, "k402", text="hello qwzzx")
    assert again.status_code == 402 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first  # the first request's id, not the replay's


def test_the_same_key_for_another_request_is_409(client: TestClient, key: str) -> None:
    post(client, key, "k1", text="hello")
    assert_assessment_error(post(client, key, "k1", text="world"), 409, "error_idempotency_conflict",
                            "Idempotency-Key")
    assert_assessment_error(post(client, key, "k1", text="hello", dialect="en-gb"), 409,
                            "error_idempotency_conflict", "Idempotency-Key")


def test_the_conflict_comes_before_parameter_checks(client: TestClient, key: str) -> None:
    post(client, key, "k1", text="hello")
    assert_assessment_error(post(client, key, "k1"), 409, "error_idempotency_conflict", "Idempotency-Key")


def test_the_same_request_in_another_form_is_the_same_request(client: TestClient, key: str) -> None:
    first = client.post(VALIDATE, params={"text": "hello"}, headers={IDEM: "k", "Authorization": f"Bearer {key}"})
    via_body = client.post(f"/validating/text/v9/json?key={key}", data={"text": "hello"}, headers={IDEM: "k"})
    assert via_body.headers["idempotent-replayed"] == "true" and via_body.content == first.content


def test_keys_belong_to_one_organisation(client: TestClient, app: FastAPI, key: str) -> None:
    post(client, key, "shared-name", text="hello")
    other = issue_key(app, "other-org")
    response = post(client, other, "shared-name", text="world")
    assert response.status_code == 200 and "idempotent-replayed" not in response.headers


@pytest.mark.parametrize("value", ["", "x" * 256, "caf\u00e9", "tab\there"])
def test_malformed_keys_are_400(client: TestClient, key: str, value: str) -> None:
    response = client.post(VALIDATE, params={"key": key, "text": "hello"},
                           headers=[(IDEM.encode(), value.encode("latin-1"))])
    assert_assessment_error(response, 400, "error_invalid_parameters", IDEM)


def test_255_printable_characters_are_fine(client: TestClient, key: str) -> None:
    assert post(client, key, "~ !" + "x" * 252, text="hello").status_code == 200


def test_the_operator_can_switch_it_off(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, secret_key="s", idempotency_enabled=False))
    key = issue_key(app)
    with TestClient(app) as client:
        post(client, key, "k", text="hello")
        again = post(client, key, "k", text="world")
        assert again.status_code == 200 and "idempotent-replayed" not in again.headers


def test_the_synthesis_family_ignores_the_header(client: TestClient, key: str) -> None:
    first = client.get("/v1/organization", params={"key": key}, headers={IDEM: "k"})
    again = client.get("/v1/organization", params={"key": key}, headers={IDEM: "k"})
    assert first.status_code == again.status_code == 200 and "idempotent-replayed" not in again.headers


def test_429_is_not_stored_and_comes_before_the_replay(client: TestClient, app: FastAPI) -> None:
    key = issue_key(app, max_in_flight=1)
    post(client, key, "k", text="hello")
    quota = Quota.of(app.state.services.keys.authenticate(key), app.state.services.settings)
    limiter = app.state.services.limiter
    held = anyio.run(limiter.acquire, quota)
    assert_assessment_error(post(client, key, "k", text="hello"), 429, "error_too_many_requests")
    assert_assessment_error(post(client, key, "fresh", text="hello"), 429, "error_too_many_requests")
    anyio.run(limiter.release, held)
    fresh = post(client, key, "fresh", text="hello")
    assert fresh.status_code == 200 and "idempotent-replayed" not in fresh.headers


@pytest.fixture
def flaky(settings: Settings) -> Iterator[tuple[TestClient, FastAPI, dict]]:
    """A route that crashes, or waits on a gate, as the test says."""
    app = create_app(settings)
    control = {"crash": True, "gate": threading.Event(), "runs": 0}
    control["gate"].set()

    @app.post("/api/scoring/flaky/v9/json")
    async def flaky_route(request: Request):  # noqa: ANN202
        body = await begin(request, "v9", "pronunciation")
        await body.close()
        control["runs"] += 1
        await run_engine(request, control["gate"].wait, 10)
        if control["crash"]:
            raise RuntimeError("engine crashed")
        return success(request, {"run": control["runs"]})

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, app, control


def test_5xx_is_not_stored_so_a_retry_runs_again(flaky) -> None:
    client, app, control = flaky
    key = issue_key(app)
    path = "/api/scoring/flaky/v9/json"
    assert post(client, key, "k", path).status_code == 500
    control["crash"] = False
    retried = post(client, key, "k", path)
    assert retried.status_code == 200 and retried.json()["run"] == 2
    replayed = post(client, key, "k", path)
    assert replayed.json()["run"] == 2 and control["runs"] == 2


def test_a_repeat_while_the_first_runs_is_409_in_progress(flaky) -> None:
    client, app, control = flaky
    key = issue_key(app)
    path = "/api/scoring/flaky/v9/json"
    control["crash"] = False
    control["gate"].clear()
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(post, client, key, "k", path)
        while control["runs"] == 0:
            threading.Event().wait(0.01)
        assert_assessment_error(post(client, key, "k", path), 409, "error_idempotency_conflict", "in progress")
        control["gate"].set()
        assert first.result(timeout=10).status_code == 200
    assert post(client, key, "k", path).headers["idempotent-replayed"] == "true"


def test_an_expired_record_no_longer_replays(client: TestClient, app: FastAPI, key: str) -> None:
    post(client, key, "k", text="hello")
    with app.state.services.db.session() as session:
        session.query(IdempotencyRecord).update({IdempotencyRecord.expires_at: utcnow() - timedelta(seconds=1)})
    again = post(client, key, "k", text="world")  # not even a conflict: the window has closed
    assert again.status_code == 200 and "idempotent-replayed" not in again.headers


# --- the store, on SQLite and PostgreSQL --------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> IdempotencyStore:
    url = f"sqlite:///{tmp_path / 's.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    db = Database(url)
    db.migrate()
    yield IdempotencyStore(db, ttl=timedelta(hours=24), lease=timedelta(seconds=0.5))
    db.dispose()


def test_concurrent_claims_have_exactly_one_winner(store: IdempotencyStore) -> None:
    # A lease no wait for the database lock outlasts: with the fixture's 0.5 s, a loaded machine
    # let a loser reach the row after the winner's lease and rightly take it over (two winners).
    racing = IdempotencyStore(store._db, ttl=timedelta(hours=24), lease=timedelta(minutes=5))
    org = uuid.uuid4()
    barrier = threading.Barrier(6)

    def claim() -> object:
        barrier.wait()
        try:
            return racing.claim(org, "race", "f" * 64)
        except IdempotencyConflictError as error:
            return error.detail

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(lambda _: claim(), range(6)))
    winners = [o for o in outcomes if isinstance(o, uuid.UUID)]
    assert len(winners) == 1 and sorted(map(str, outcomes)).count("in progress") == 5


def test_an_orphaned_claim_is_taken_over_after_its_lease(store: IdempotencyStore) -> None:
    org = uuid.uuid4()
    orphan = store.claim(org, "k", "a" * 64)  # its process died: never completed
    with pytest.raises(IdempotencyConflictError):
        store.claim(org, "k", "a" * 64)
    threading.Event().wait(0.6)
    heir = store.claim(org, "k", "a" * 64)
    assert isinstance(heir, uuid.UUID)
    store.complete(orphan, 200, "application/json", b"late")  # the orphan's late answer is dropped
    store.complete(heir, 200, "application/json", b"{}")
    assert store.claim(org, "k", "a" * 64) == StoredResponse(200, "application/json", b"{}")


def test_abandoned_claims_free_the_key_and_expired_ones_are_purged(store: IdempotencyStore) -> None:
    org = uuid.uuid4()
    store.abandon(store.claim(org, "k", "a" * 64))
    record = store.claim(org, "k", "b" * 64)  # a different request may now use the key
    store.complete(record, 402, "application/json", b"{}")
    assert store.delete_expired() == 0
    expired = IdempotencyStore(store._db, ttl=timedelta(seconds=-1), lease=timedelta(seconds=1))
    expired.claim(org, "old", "c" * 64)
    assert store.delete_expired() == 1
    assert isinstance(store.claim(org, "k", "b" * 64), StoredResponse)
