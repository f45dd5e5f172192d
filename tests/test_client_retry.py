"""The client's retry decisions (errors.md 11) on answers built here: which statuses are retried,
the jittered exponential backoff and its cap, and Retry-After in both of its forms; and results
that keep the members a newer server adds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from orato.client import APIError, BadRequestError, ModerationBlockedError, ServerError, TransportError, WordScoreResult
from orato.client.retry import Attempt, Retrying, RetryPolicy, retry_after_seconds


def answer(status: int, headers: dict[str, str] | None = None, body: dict | None = None) -> Attempt:
    return Attempt(response=httpx.Response(status, headers=headers, json=body or {"code": "x", "detail": "d"}))


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_retryable_statuses_are_retried_three_times_then_raised(status: int) -> None:
    retrying = Retrying(RetryPolicy())
    delays = [retrying.delay_after(answer(status)) for _ in range(3)]
    assert all(d is not None and 0 <= d <= 0.5 * 2**n for n, d in enumerate(delays))
    with pytest.raises(APIError) as raised:
        retrying.delay_after(answer(status))
    assert raised.value.status == status


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 409, 422, 501])
def test_other_statuses_are_raised_at_once(status: int) -> None:
    with pytest.raises(APIError):
        Retrying(RetryPolicy()).delay_after(answer(status))


def test_backoff_grows_exponentially_with_full_jitter_and_stops_at_the_cap() -> None:
    policy = RetryPolicy()
    samples = [policy.backoff(10) for _ in range(2000)]
    assert max(samples) <= 30.0 and max(samples) > 25.0 and min(samples) < 5.0
    assert max(policy.backoff(1) for _ in range(500)) <= 1.0


def test_retry_after_is_waited_at_least_in_seconds_and_as_an_http_date() -> None:
    assert Retrying(RetryPolicy()).delay_after(answer(429, {"Retry-After": "2"})) == pytest.approx(2.0, abs=0.5)
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=5), usegmt=True)
    assert 3.0 <= (retry_after_seconds(soon) or 0) <= 5.0
    assert retry_after_seconds("nonsense") is None and retry_after_seconds(None) is None


def test_a_connection_failure_is_retried_and_raised_as_a_transport_error() -> None:
    retrying = Retrying(RetryPolicy(max_retries=1))
    failure = Attempt(failure=httpx.ReadError("reset"))
    assert retrying.delay_after(failure) is not None
    with pytest.raises(TransportError):
        retrying.delay_after(failure)


def test_each_rendering_becomes_the_class_of_its_status_with_code_and_request_id() -> None:
    assessment = answer(400, body={"status": "error", "short_message": "error_invalid_parameters", "detail_message": "dialect",
                                   "request_id": "a" * 32})
    with pytest.raises(BadRequestError) as bad:
        Retrying(RetryPolicy()).delay_after(assessment)
    assert (bad.value.code, bad.value.detail, bad.value.request_id) == ("error_invalid_parameters", "dialect", "a" * 32)
    blocked = answer(422, body={"error": {"code": "content_moderation_blocked", "message": "m", "reason": {"type": "blocklist"}}})
    with pytest.raises(ModerationBlockedError) as moderated:
        Retrying(RetryPolicy()).delay_after(blocked)
    assert moderated.value.reason == {"type": "blocklist"}
    proxy_page = Attempt(response=httpx.Response(502, text="<html>bad gateway</html>", headers={"X-Request-Id": "r1"}))
    retrying = Retrying(RetryPolicy(max_retries=0))
    with pytest.raises(ServerError) as gateway:
        retrying.delay_after(proxy_page)
    assert (gateway.value.code, gateway.value.request_id) == ("http_502", "r1")


def test_results_keep_members_they_do_not_declare() -> None:
    body = {"status": "success", "request_id": "b" * 32, "version": "9.17", "billing": {"credits": 1},
            "word_score": {"word": "cat", "quality_score": 91, "phone_score_list": [], "novel_score": 7}}
    result = WordScoreResult.model_validate(body)
    assert result.model_extra == {"billing": {"credits": 1}}
    assert result.word_score.model_extra == {"novel_score": 7} and result.word_score.quality_score == 91
