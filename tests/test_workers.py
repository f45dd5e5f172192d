"""The bounded engine queue: overload answers 503 at once, and deadlines bound stuck engines."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import anyio
import pytest
from conftest import issue_key
from fastapi import FastAPI, Request
from starlette.testclient import TestClient
from test_api_errors import assert_assessment_error, assert_problem

from orato.api.app import create_app
from orato.api.auth import authenticate
from orato.api.routes.assessment import begin, success
from orato.api.work import run_engine
from orato.errors import EngineUnavailableError
from orato.settings import Settings
from orato.workers import EngineQueue


def far() -> float:
    return time.monotonic() + 30


@pytest.mark.anyio
async def test_a_full_queue_refuses_at_once() -> None:
    queue = EngineQueue(workers=1, queue_size=1)
    gate = threading.Event()
    results = []

    async def job() -> None:
        results.append(await queue.run(far(), gate.wait, 10))

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(job)
        tasks.start_soon(job)
        await anyio.sleep(0.05)
        assert queue.admitted == 2
        started = time.monotonic()
        with pytest.raises(EngineUnavailableError) as refused:
            await queue.run(far(), gate.wait, 10)
        assert time.monotonic() - started < 0.05
        assert refused.value.retry_after == 1 and "overloaded" in refused.value.detail
        gate.set()
    assert results == [True, True] and queue.admitted == 0


@pytest.mark.anyio
async def test_a_missed_deadline_is_503_and_the_stuck_thread_is_counted() -> None:
    queue = EngineQueue(workers=1, queue_size=4)
    gate = threading.Event()
    started = time.monotonic()
    with pytest.raises(EngineUnavailableError) as late:
        await queue.run(time.monotonic() + 0.1, gate.wait, 10)
    assert time.monotonic() - started < 0.5
    assert "deadline" in late.value.detail and queue.abandoned == 1
    with pytest.raises(EngineUnavailableError) as stuck:  # every worker is stuck: refuse at once
        await queue.run(far(), sum, [1])
    assert "not responding" in stuck.value.detail
    gate.set()
    await anyio.sleep(0.05)
    assert queue.abandoned == 0
    assert await queue.run(far(), sum, [1, 2]) == 3


@pytest.mark.anyio
async def test_the_deadline_also_bounds_waiting_in_the_queue() -> None:
    queue = EngineQueue(workers=1, queue_size=4)
    gate = threading.Event()
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(queue.run, far(), gate.wait, 10)
        await anyio.sleep(0.05)
        with pytest.raises(EngineUnavailableError):
            await queue.run(time.monotonic() + 0.1, sum, [1])
        assert queue.abandoned == 0  # it never started, so no thread is left behind
        gate.set()


@pytest.mark.anyio
async def test_errors_of_the_job_pass_through() -> None:
    queue = EngineQueue(workers=1, queue_size=0)
    with pytest.raises(ZeroDivisionError):
        await queue.run(far(), divmod, 1, 0)
    assert queue.admitted == 0


@pytest.fixture
def slow_app(tmp_path) -> Iterator[tuple[TestClient, FastAPI, threading.Event]]:  # noqa: ANN001
    """Routes of both families whose engine work waits for the test to let it go.

    The deadline leaves the worker thread time to start: a job abandoned before its thread
    began is not counted as stuck, and on a loaded machine (a fresh-clone CI run, its process
    holding the whole suite's objects) 0.3 s once passed before it did."""
    app = create_app(Settings(data_dir=tmp_path, secret_key="s", processing_deadline_seconds=1.0,
                              engine_workers=1, engine_queue_size=0))
    gate = threading.Event()

    @app.post("/api/scoring/slow/v9/json")
    async def slow(request: Request):  # noqa: ANN202
        body = await begin(request, "v9", "pronunciation")
        await body.close()
        await run_engine(request, gate.wait, 5)
        return success(request)

    @app.get("/v1/slow")
    async def slow_v1(request: Request) -> dict:
        await authenticate(request, "synthesis")
        await run_engine(request, gate.wait, 5)
        return {}

    with TestClient(app) as client:
        yield client, app, gate
    gate.set()


def test_deadline_through_the_api_in_both_families(slow_app) -> None:  # noqa: ANN001
    client, app, gate = slow_app
    key = issue_key(app)
    started = time.monotonic()
    response = client.post("/api/scoring/slow/v9/json", params={"key": key})
    assert_assessment_error(response, 503, "error_engine_unavailable")
    assert time.monotonic() - started < 2
    # The stuck thread still runs: the single worker is refused at once, with Retry-After.
    refused = client.get("/v1/slow", params={"key": key})
    problem = assert_problem(refused, 503, "provider_unavailable")
    assert "not responding" in problem["detail"] and refused.headers["retry-after"] == "1"
    gate.set()
    time.sleep(0.05)
    assert client.post("/api/scoring/slow/v9/json", params={"key": key}).status_code == 200
