"""Concurrent clients against a real server: requests, outcomes and their statistics.

Shared by ``bench/load.py`` (throughput and latency under overload) and ``bench/faults.py``
(correctness while things break). A *scenario* is one kind of request and the judge of its
answers; adding the scoring or synthesis endpoints means adding a scenario here.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

# Statuses each family documents (errors.md 5.2 and 6.3); anything else is unexpected.
DOCUMENTED = {"assessment": {200, 400, 401, 402, 403, 404, 409, 429, 500, 503},
              "synthesis": {200, 400, 401, 403, 404, 409, 422, 429, 500, 503}}
RETRYABLE = {429, 500, 503}


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    data: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    json: dict[str, Any] | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    family: str
    build: Callable[[int], Call]  # request number -> the request
    # (request number, response) -> None when the answer is right, else what is wrong with it
    judge: Callable[[int, httpx.Response], str | None]


def _word(number: int) -> str:
    """A made-up word unique to one request, so answers cannot be mixed up unnoticed."""
    return "zq" + "".join("bcdfghjklmnpstvwxz"[int(d)] for d in str(number))


def _expects_unknown_word(number: int) -> bool:
    return number % 3 == 1


def _validate_call(number: int) -> Call:
    text = f"Hello {_word(number)} world." if _expects_unknown_word(number) else "Hello world, this is a test."
    return Call("POST", "/api/validating/text/v9/json", data={"text": text})


def _validate_judge(number: int, response: httpx.Response) -> str | None:
    body = response.json()
    if not _expects_unknown_word(number):
        return None if response.status_code == 200 and body.get("status") == "success" else "expected success"
    if response.status_code == 402 and body.get("detail_message") == _word(number):
        return None
    return "expected this request's own unknown word"


_SENTENCE = "The quick brown fox jumps over the lazy dog while the children watch from the window. "
# Under the validate-text limit of 1,500 characters with room for one made-up word.
LONG_TEXT = (_SENTENCE * 20)[:1480].rsplit(" ", 1)[0]


def _long_call(number: int) -> Call:
    text = f"{LONG_TEXT} {_word(number)}" if _expects_unknown_word(number) else LONG_TEXT
    return Call("POST", "/api/validating/text/v9/json", data={"text": text})


def _organization_judge(_number: int, response: httpx.Response) -> str | None:
    data = response.json().get("data", {})
    return None if response.status_code == 200 and data.get("name") else "expected the organisation"


# About 20 s of speech in one sentence: the activations onnxruntime would keep (orato/synthesis/piper.py).
LONG_SENTENCE = ", ".join(["learning a new language takes patience and practice and curiosity about how people live"] * 4) + "."


def _speech_judge(_number: int, response: httpx.Response) -> str | None:
    seconds = float(response.headers.get("x-audio-duration-ms", 0)) / 1000
    return None if response.headers.get("content-type") == "audio/wav" and seconds > 15 else "expected 15 s or more of wav"


SCENARIOS: dict[str, Scenario] = {
    "validate-text": Scenario("validate-text", "assessment", _validate_call, _validate_judge),
    "validate-text-1500": Scenario("validate-text-1500", "assessment", _long_call, _validate_judge),
    "organization": Scenario("organization", "synthesis", lambda _n: Call("GET", "/v1/organization"),
                             _organization_judge),
    "speech-piper-long": Scenario("speech-piper-long", "synthesis", lambda _n: Call(
        "POST", "/v1/audio/speech", json={"model": "piper/default", "voice": "en_US-joe-medium",
                                          "text": LONG_SENTENCE, "output": "wav"}), _speech_judge),
}


@dataclass
class Outcome:
    scenario: str
    status: int  # 0: no HTTP answer (connection refused or reset, timeout)
    code: str
    seconds: float
    verdict: str  # "ok", "retryable", or what was wrong


def error_code(family: str, response: httpx.Response) -> str:
    """The family's error code from a documented error body; raises on any other shape."""
    body = response.json()
    if family == "assessment":
        assert body["status"] == "error" and body["request_id"] and body["detail_message"]
        return body["short_message"]
    assert response.headers["content-type"] == "application/problem+json" and body["request_id"]
    return body["code"]


def judge(scenario: Scenario, number: int, response: httpx.Response, seconds: float) -> Outcome:
    status = response.status_code
    if status == 200 or (scenario.family == "assessment" and status == 402):
        problem = _safely(lambda: scenario.judge(number, response))
        return Outcome(scenario.name, status, "-", seconds, problem or "ok")
    if status not in DOCUMENTED[scenario.family]:
        return Outcome(scenario.name, status, "-", seconds, "undocumented status")
    code = _safely(lambda: error_code(scenario.family, response), default=None)
    if code is None:
        return Outcome(scenario.name, status, "-", seconds, "undocumented error shape")
    retryable = status in RETRYABLE and "retry-after" in response.headers or _in_progress(response)
    return Outcome(scenario.name, status, code, seconds, "retryable" if retryable else f"final error {code}")


def _in_progress(response: httpx.Response) -> bool:
    """409 "in progress": the first attempt is still running (or its lease has to run out)."""
    return response.status_code == 409 and _safely(lambda: response.json()["detail_message"]) == "in progress"


def _safely(function: Callable[[], Any], default: Any = "unreadable answer") -> Any:
    try:
        return function()
    except (ValueError, KeyError, AssertionError, TypeError, AttributeError):
        return default


async def send(client: httpx.AsyncClient, scenario: Scenario, number: int, key: str,
               extra_headers: dict[str, str] | None = None) -> tuple[Outcome, httpx.Response | None]:
    call = scenario.build(number)
    headers = {"Authorization": f"Bearer {key}", **call.headers, **(extra_headers or {})}
    started = time.perf_counter()
    try:
        response = await client.request(call.method, call.path, params=call.params, data=call.data,
                                        json=call.json, headers=headers)
    except httpx.TransportError as error:
        return Outcome(scenario.name, 0, type(error).__name__, time.perf_counter() - started, "retryable"), None
    return judge(scenario, number, response, time.perf_counter() - started), response


def retry_delay(attempt: int, response: httpx.Response | None) -> float:
    """errors.md 11: Retry-After when given, else full jitter, capped at 30 s."""
    if response is not None and response.headers.get("retry-after", "").isdigit():
        return float(response.headers["retry-after"])
    return random.uniform(0, min(30.0, 0.5 * 2**attempt))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarise(outcomes: list[Outcome], seconds: float) -> dict[str, Any]:
    latencies = [o.seconds for o in outcomes if o.status]
    answered = [o.seconds for o in outcomes if o.verdict == "ok"]
    by_code = Counter(f"{o.status} {o.code}" for o in outcomes)
    return {
        "requests": len(outcomes),
        "seconds": round(seconds, 1),
        "throughput_rps": round(len(outcomes) / seconds, 1),
        "answered_rps": round(len(answered) / seconds, 1),
        "latency_ms": {f"p{q}": round(percentile(latencies, q) * 1000, 1) for q in (50, 95, 99)},
        "answered_latency_ms": {f"p{q}": round(percentile(answered, q) * 1000, 1) for q in (50, 95, 99)},
        "by_status_and_code": dict(sorted(by_code.items())),
        "5xx": sum(1 for o in outcomes if o.status >= 500),
        "no_answer": sum(1 for o in outcomes if o.status == 0),
        "wrong": dict(Counter(o.verdict for o in outcomes if o.verdict not in ("ok", "retryable")
                              and not o.verdict.startswith("final error"))),
        "final_errors": dict(Counter(o.verdict for o in outcomes if o.verdict.startswith("final error"))),
    }
