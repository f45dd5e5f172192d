"""Concurrency slots and request rates per key and organisation (errors.md 9), both backends."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import anyio
import pytest
from conftest import issue_key
from fastapi import FastAPI, Request
from starlette.testclient import TestClient
from test_api_errors import VALIDATE, assert_assessment_error, assert_problem

from orato.api.app import create_app
from orato.api.routes.assessment import begin, success
from orato.errors import RateLimitedError
from orato.limits import Limiter, MemoryBackend, Quota, RedisBackend, build_limiter
from orato.settings import DEFAULT_PLANS, Plan, Settings


def quota(key: str = "k", org: str = "o", *, slots: int = 2, org_slots: int | None = None,
          per_minute: int | None = None, org_per_minute: int | None = None) -> Quota:
    return Quota(key, org, slots, org_slots, per_minute, org_per_minute)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.slow)])
def make_limiter(request: pytest.FixtureRequest):
    """Limiters on one shared count: two calls give two "processes" of the same deployment."""
    if request.param == "memory":
        backend = MemoryBackend(lease_seconds=0.3)
        return lambda: Limiter(backend)
    prefix = request.getfixturevalue("redis_prefix")
    settings = Settings(limiter_backend="redis", redis_url=request.getfixturevalue("redis_url"),
                        redis_key_prefix=prefix, request_lease_seconds=0.3)
    return lambda: Limiter(RedisBackend(settings))


def run(function, *args):  # noqa: ANN001, ANN201
    return anyio.run(function, *args)


async def refusal(limiter: Limiter, q: Quota) -> RateLimitedError:
    with pytest.raises(RateLimitedError) as caught:
        await limiter.acquire(q)
    return caught.value


@pytest.mark.anyio
async def test_key_slots_are_counted_and_given_back(make_limiter) -> None:
    limiter = make_limiter()
    first = await limiter.acquire(quota())
    await limiter.acquire(quota())
    assert (await refusal(limiter, quota())).retry_after == 1
    await limiter.release(first)
    await limiter.acquire(quota())


@pytest.mark.anyio
async def test_two_processes_share_one_count(make_limiter) -> None:
    one, two = make_limiter(), make_limiter()
    await one.acquire(quota())
    await two.acquire(quota())
    await refusal(one, quota())
    await refusal(two, quota())


@pytest.mark.anyio
async def test_organisation_slots_span_its_keys(make_limiter) -> None:
    limiter = make_limiter()
    for key in ("a", "b", "c"):
        await limiter.acquire(quota(key, org_slots=3))
    await refusal(limiter, quota("d", org_slots=3))
    await limiter.acquire(quota("d", org="other", org_slots=3))


@pytest.mark.anyio
async def test_a_crashed_holder_loses_its_slots_when_the_lease_runs_out(make_limiter) -> None:
    limiter = make_limiter()
    await limiter.acquire(quota(slots=1))  # never released, as by a killed process
    await refusal(limiter, quota(slots=1))
    await anyio.sleep(0.4)
    await limiter.acquire(quota(slots=1))


@pytest.mark.anyio
async def test_rate_admits_a_minute_as_burst_then_the_sustained_rate(make_limiter) -> None:
    limiter = make_limiter()
    q = quota(slots=1000, per_minute=120)  # one every 0.5 s
    for _ in range(120):
        await limiter.release(await limiter.acquire(q))
    refused = await refusal(limiter, q)
    assert refused.retry_after == 1 and "per minute" in refused.detail
    await anyio.sleep(0.6)
    await limiter.acquire(q)


@pytest.mark.anyio
async def test_refused_requests_consume_neither_slots_nor_rate(make_limiter) -> None:
    limiter = make_limiter()
    q = quota(slots=1, per_minute=2)
    held = await limiter.acquire(q)  # 1 of 2 per minute
    for _ in range(5):
        assert "per minute" not in (await refusal(limiter, q)).detail  # refused for the slot
    await limiter.release(held)
    await limiter.release(await limiter.acquire(q))  # 2 of 2: the refusals did not count
    assert "per minute" in (await refusal(limiter, q)).detail
    await limiter.acquire(quota(slots=1))  # and the rate refusal took no slot


@pytest.mark.anyio
async def test_organisation_rate(make_limiter) -> None:
    limiter = make_limiter()
    for key in ("a", "b"):
        await limiter.acquire(quota(key, slots=10, org_per_minute=2))
    assert "per minute" in (await refusal(limiter, quota("c", slots=10, org_per_minute=2))).detail


@pytest.mark.anyio
@pytest.mark.slow
async def test_unreachable_redis_falls_back_to_per_process_counting() -> None:
    settings = Settings(limiter_backend="redis", redis_url="redis://127.0.0.1:1/0")
    limiter = build_limiter(settings)
    started = time.monotonic()
    leases = [await limiter.acquire(quota(slots=2)) for _ in range(2)]
    await refusal(limiter, quota(slots=2))
    for lease in leases:
        await limiter.release(lease)
    await limiter.acquire(quota(slots=2))
    assert time.monotonic() - started < 3  # one failed connection, then Redis is left alone


# --- through the API ---------------------------------------------------------------------


def hold_slots(app: FastAPI, key: str, count: int) -> list:
    principal = app.state.services.keys.authenticate(key)
    q = Quota.of(principal, app.state.services.settings)
    return [run(app.state.services.limiter.acquire, q) for _ in range(count)]


def test_full_slots_answer_429_in_each_family(client: TestClient, app: FastAPI) -> None:
    key = issue_key(app, max_in_flight=2)
    held = hold_slots(app, key, 2)
    response = client.post(VALIDATE, params={"key": key, "text": "hello"})
    body = assert_assessment_error(response, 429, "error_too_many_requests")
    assert response.headers["retry-after"] == "1" and body["version"] == "9.17"
    problem = assert_problem(client.get("/v1/organization", params={"key": key}), 429, "rate_limited")
    assert problem["detail"] == "Too many requests in flight for this key."
    run(app.state.services.limiter.release, held[0])
    assert client.post(VALIDATE, params={"key": key, "text": "hello"}).status_code == 200


def test_other_keys_are_not_affected(client: TestClient, app: FastAPI) -> None:
    busy = issue_key(app, "busy", max_in_flight=1)
    hold_slots(app, busy, 1)
    other = issue_key(app, "other", max_in_flight=1)
    assert client.post(VALIDATE, params={"key": other, "text": "hello"}).status_code == 200


def test_earlier_checks_win_over_the_slot(client: TestClient, app: FastAPI) -> None:
    key = issue_key(app, max_in_flight=1)
    hold_slots(app, key, 1)
    assert_assessment_error(client.post("/api/validating/text/v8/json", params={"key": key}), 404, "error_not_found")
    assert_assessment_error(client.post(VALIDATE, params={"key": key + "x"}), 401, "error_unauthorized")
    from orato.store.models import ApiKey

    with app.state.services.db.session() as session:
        session.query(ApiKey).update({ApiKey.synthesis_enabled: False})
    assert_problem(client.get("/v1/organization", params={"key": key}), 403, "forbidden")


@pytest.fixture
def outcomes_app(settings: Settings) -> Iterator[tuple[TestClient, FastAPI]]:
    """An app with a route that fails in the ways a request can fail."""
    app = create_app(settings)

    @app.post("/api/scoring/outcome/v9/json")
    async def outcome(request: Request):  # noqa: ANN202
        body = await begin(request, "v9", "pronunciation")
        await body.close()
        if request.query_params.get("crash"):
            raise RuntimeError("crash")
        return success(request)

    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client, app


def test_slots_are_given_back_after_every_kind_of_ending(outcomes_app) -> None:
    client, app = outcomes_app
    key = issue_key(app, max_in_flight=1)
    endings = [
        client.post(VALIDATE, params={"key": key, "text": "hello"}),
        client.post(VALIDATE, params={"key": key, "text": "hello qqqzx"}),
        client.post(VALIDATE, params={"key": key}),
        client.post(VALIDATE, params={"key": key}, content=b"{" * 2_000_000,
                    headers={"content-type": "application/json"}),
        client.post("/api/scoring/outcome/v9/json", params={"key": key, "crash": "1"}),
        client.get("/v1/organization", params={"key": key}),
    ]
    assert [r.status_code for r in endings] == [200, 402, 400, 400, 500, 200]
    assert client.post(VALIDATE, params={"key": key, "text": "hello"}).status_code == 200
    assert app.state.services.limiter.primary._slots == {}


def test_request_rate_per_plan(tmp_path) -> None:  # noqa: ANN001
    plans = {**DEFAULT_PLANS, "metered": Plan(features=frozenset({"pronunciation"}), max_audio_seconds=15,
                                              max_file_bytes=1_000_000, requests_per_minute=3)}
    app = create_app(Settings(data_dir=tmp_path, secret_key="s", plans=plans))
    key = issue_key(app, "metered-org", "metered")
    with TestClient(app) as client:
        statuses = [client.post(VALIDATE, params={"key": key, "text": "hello"}).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        response = client.post(VALIDATE, params={"key": key, "text": "hello"})
        assert_assessment_error(response, 429, "error_too_many_requests")
        assert 1 <= int(response.headers["retry-after"]) <= 20


def test_organisation_in_flight_limit(tmp_path) -> None:  # noqa: ANN001
    app = create_app(Settings(data_dir=tmp_path, secret_key="s", org_max_in_flight=2))
    first, second = issue_key(app, "org"), issue_key(app, "org")
    hold_slots(app, first, 2)
    with TestClient(app) as client:
        assert_assessment_error(client.post(VALIDATE, params={"key": second, "text": "hi"}), 429,
                                "error_too_many_requests")


def test_quota_comes_from_key_plan_and_settings(app: FastAPI) -> None:
    key = issue_key(app, "q", "basic", max_in_flight=3)
    principal = app.state.services.keys.authenticate(key)
    q = Quota.of(principal, app.state.services.settings)
    assert (q.key_in_flight, q.key_per_minute, q.org_in_flight, q.org_per_minute) == (3, 1200, 64, 6000)
    assert q.key_id == str(principal.key_id) and uuid.UUID(q.org_id) == principal.organisation_id
