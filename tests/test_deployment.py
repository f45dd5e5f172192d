"""Two real server processes sharing one PostgreSQL database and one Redis, as in production.

Covers what only the real wire shows: limits shared between processes, slots given back when a
client disconnects, slots of a killed process expiring, idempotent retries landing on another
process, and hostile requests answered in bounded time and memory.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import hygiene
import pytest
from conftest import throwaway_database
from servers import Server, create_key, rss_mb, server_env, start_server

from orato.settings import DEFAULT_PLANS

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
VALIDATE = "/api/validating/text/v9/json"
# The two long-lived servers hold a slot far longer than any test waits, so a slow machine cannot
# see a held slot expire; only the process the lease test kills uses a short lease.
HELD_LEASE_SECONDS = 120
LEASE_SECONDS = 3


def _plans() -> str:
    plans = {name: plan.model_dump(mode="json") for name, plan in DEFAULT_PLANS.items()}
    plans["metered"] = {**plans["basic"], "requests_per_minute": 6}
    return json.dumps(plans)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[dict]:
    data_dir = tmp_path_factory.mktemp("deployment")
    prefix = f"orato-test-{uuid.uuid4().hex[:12]}"
    with throwaway_database() as database_url, ExitStack() as stack:
        env = server_env(
            data_dir, database_url=database_url, secret_key="deployment-secret", limiter_backend="redis",
            redis_url=redis_url, redis_key_prefix=prefix, request_lease_seconds=str(HELD_LEASE_SECONDS),
            plans=_plans(),
        )
        servers = []
        for name in ("a", "b"):
            server = start_server(env, data_dir / f"server-{name}.log")
            stack.callback(server.stop)
            servers.append(server)
        yield {"servers": servers, "env": env, "dir": data_dir}


class SlowUpload:
    """A request whose body never finishes: it holds its concurrency slot until closed."""

    def __init__(self, server: Server, key: str) -> None:
        self.socket = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        self.socket.sendall(
            (f"POST {VALIDATE}?key={key} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n"
             "Content-Type: application/x-www-form-urlencoded\r\n\r\ntext=hel").encode()
        )

    def close(self) -> None:
        self.socket.close()


def validate(server: Server, key: str, text: str = "hello", **headers: str) -> httpx.Response:
    return httpx.post(f"{server.base}{VALIDATE}", params={"key": key, "text": text}, headers=headers, timeout=10)


def eventually(check, deployment: dict, timeout: float = 10) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"condition not reached in time; {_redis_outages(deployment)}"
        time.sleep(0.05)


def _redis_outages(deployment: dict) -> str:
    """What the servers' logs say about Redis: during an outage each process counts on its own."""
    outages = sum(log.read_text().count("redis unavailable") for log in deployment["dir"].glob("*.log"))
    return f"{outages} Redis outage(s) in the servers' logs"


def test_one_key_limit_spans_both_processes_and_disconnects_free_slots(deployment: dict) -> None:
    a, b = deployment["servers"]
    key = create_key(deployment["env"], "shared-limit", "--max-in-flight", "3")
    uploads = [SlowUpload(a, key), SlowUpload(a, key), SlowUpload(b, key)]
    try:
        eventually(lambda: validate(b, key).status_code == 429, deployment)
        for server in (a, b):
            refused = validate(server, key)
            assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
            assert refused.json()["short_message"] == "error_too_many_requests"
            problem = httpx.get(f"{server.base}/v1/organization", params={"key": key})
            assert problem.status_code == 429 and problem.json()["code"] == "rate_limited"
    finally:
        for upload in uploads:
            upload.close()
    eventually(lambda: validate(a, key).status_code == 200 and validate(b, key).status_code == 200, deployment)


def test_request_rate_is_shared(deployment: dict) -> None:
    a, b = deployment["servers"]
    key = create_key(deployment["env"], "metered-org", "--plan", "metered")  # 6 a minute
    statuses = [validate(server, key).status_code for server in (a, b) * 3]
    assert statuses == [200] * 6
    refused = validate(a, key)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert validate(b, key).status_code == 429


def test_slots_of_a_killed_process_expire_with_their_lease(deployment: dict) -> None:
    b = deployment["servers"][1]
    short_lease = {**deployment["env"], "ORATO_REQUEST_LEASE_SECONDS": str(LEASE_SECONDS)}
    victim = start_server(short_lease, deployment["dir"] / "victim.log")
    key = create_key(deployment["env"], "crash-org", "--max-in-flight", "2")
    uploads = [SlowUpload(victim, key), SlowUpload(victim, key)]
    try:
        eventually(lambda: validate(b, key).status_code == 429, deployment)
        victim.process.kill()  # no chance to give the slots back
        victim.process.wait(timeout=10)
        killed_at = time.monotonic()
        eventually(lambda: validate(b, key).status_code == 200, deployment, timeout=LEASE_SECONDS + 5)
        assert time.monotonic() - killed_at <= LEASE_SECONDS + 5
    finally:
        for upload in uploads:
            upload.close()
        victim.stop()


def test_an_idempotent_retry_may_land_on_the_other_process(deployment: dict) -> None:
    a, b = deployment["servers"]
    key = create_key(deployment["env"], "idem-org")
    hygiene.sent("Xylophonic zebrawords")
    first = validate(a, key, "Xylophonic zebrawords", **{"Idempotency-Key": "retry-1"})
    again = validate(b, key, "Xylophonic zebrawords", **{"Idempotency-Key": "retry-1"})
    assert first.status_code == again.status_code == 402
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"
    other = validate(b, key, "hello", **{"Idempotency-Key": "retry-1"})
    assert other.status_code == 409 and other.json()["detail_message"] == "Idempotency-Key"


# --- hostile input ------------------------------------------------------------------------


def send_bounded(server: Server, key: str, body: bytes, content_type: str, **params: str) -> tuple[httpx.Response, float, float]:
    """The response, the seconds it took and the server's RSS growth in MB."""
    before = rss_mb(server.pid)
    started = time.monotonic()
    response = httpx.post(f"{server.base}{VALIDATE}", params={"key": key, **params}, content=body,
                          headers={"content-type": content_type}, timeout=30)
    return response, time.monotonic() - started, rss_mb(server.pid) - before


ONE_WORD = "supercalifragilistic" * 50_000  # 1 MB of one word


HOSTILE = {
    "malformed multipart": (b"--b\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nunterminated",
                            "multipart/form-data; boundary=b", {}, 400, "error_invalid_parameters error_missing_parameters"),
    "multipart without boundary": (b"text=hello", "multipart/form-data", {}, 400, "error_invalid_parameters"),
    "deeply nested JSON": (b"[" * 500_000, "application/json", {}, 400, "error_invalid_parameters"),
    "huge JSON": (b'{"text": "' + b"a" * 3_000_000 + b'"}', "application/json", {}, 400, "error_invalid_parameters"),
    "JSON of the wrong shape": (b'{"text": {"a": [1, 2]}}', "application/json", {}, 400, "error_invalid_parameters"),
    "1 MB of one word": (json.dumps({"text": ONE_WORD}).encode(), "application/json", {}, 400, "error_text_too_long"),
    "markup that never closes": (json.dumps({"text": "[" * 1_000_000}).encode(), "application/json",
                                 {"markup_language": "arpa_mark"}, 400, None),
    "braces that never close": (json.dumps({"text": "read [it]{" + "r " * 400_000}).encode(), "application/json",
                                {"markup_language": "arpa_mark"}, 400, None),
    "controls, bidi marks and emoji": (json.dumps({"text": "\u202eevil\u200f \x00\x07 \U0001f600 hello\u2066"}).encode(),
                                       "application/json", {}, 200, None),
}


@pytest.mark.parametrize("case", list(HOSTILE), ids=list(HOSTILE))
def test_hostile_bodies_get_their_documented_error_in_bounded_time_and_memory(deployment: dict, case: str) -> None:
    server = deployment["servers"][0]
    if "hostile_key" not in deployment:
        deployment["hostile_key"] = create_key(deployment["env"], "hostile-org")
    key = deployment["hostile_key"]
    body, content_type, params, status, short = HOSTILE[case]
    response, seconds, grown_mb = send_bounded(server, key, body, content_type, **params)
    assert response.status_code == status, response.text[:200]
    if status != 200:
        assert response.json()["status"] == "error"
    if short is not None:
        assert response.json()["short_message"] in short.split()
    assert seconds < 10, f"{case} took {seconds:.1f} s"
    assert grown_mb < 150, f"{case} grew the server by {grown_mb:.0f} MB"
    assert validate(server, key).status_code == 200  # and the server is still fine


# --- schemathesis -------------------------------------------------------------------------


def test_openapi_fuzzing_finds_no_5xx_and_only_documented_errors(deployment: dict) -> None:
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    server = deployment["servers"][0]
    key = create_key(deployment["env"], "fuzz-org")
    schema = schemathesis.openapi.from_url(f"{server.base}/openapi.json")
    checks = [status_code_conformance, content_type_conformance, response_schema_conformance]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/health", "/v1/organization", "/api/validating/text/{version}/json"}
    seen: set[int] = set()
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=75, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case) -> None:  # noqa: ANN001
            response = case.call(base_url=server.base, headers={"Authorization": f"Bearer {key}"}, timeout=10)
            seen.add(response.status_code)
            assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code}"
            case.validate_response(response, checks=checks)

        fuzz()
    assert 200 in seen and seen & {400, 402}, seen
