"""When to try a request again and how long to wait first (errors.md 11, the client retry guidance).

Retried: 429, 500, 502, 503, 504 and a connection that gave no answer (refused, reset, killed, timed
out). Never: 501, any other 4xx, moderation blocks, or a stream after its first byte. Waits use
full jitter, ``uniform(0, min(cap, base * 2**n))`` before retry *n*; a ``Retry-After`` (seconds or an
HTTP date) is waited instead, at least as long as it says. A ``Retry-After`` beyond the cap is not
waited out inside a call: the error is raised with ``retry_after`` for the caller to decide.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from orato.client.errors import APIError, TransportError
from orato.client.wire import api_error

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """``max_retries`` retries after the first attempt (3: four attempts in all, as errors.md 11 advises)."""

    max_retries: int = 3
    base_seconds: float = 0.5
    cap_seconds: float = 30.0

    def backoff(self, retry: int) -> float:
        return random.uniform(0.0, min(self.cap_seconds, self.base_seconds * 2**retry))


@dataclass
class Attempt:
    """What one try produced: a response (its body read when it is an error) or a transport failure."""

    response: httpx.Response | None = None
    failure: httpx.TransportError | None = None


class Retrying:
    """The state of one call across its attempts; the same object serves the sync and async clients."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.retries = 0
        self._response: httpx.Response | None = None

    @property
    def response(self) -> httpx.Response:
        """The successful response, once :meth:`delay_after` has returned ``None``."""
        assert self._response is not None, "no successful attempt yet"
        return self._response

    def delay_after(self, attempt: Attempt) -> float | None:
        """``None``: the response is the result. A number: sleep that long and try again. Raises when final."""
        if attempt.response is not None and attempt.response.status_code < 400:
            self._response = attempt.response
            return None
        error = self._error_of(attempt)
        retry_after = error.retry_after if isinstance(error, APIError) else None
        retryable = attempt.failure is not None or error_status(error) in RETRYABLE_STATUSES
        if not retryable or self.retries >= self.policy.max_retries:
            raise error from attempt.failure
        if retry_after is not None and retry_after > self.policy.cap_seconds:
            raise error
        backoff = self.policy.backoff(self.retries)
        self.retries += 1
        return backoff if retry_after is None else max(retry_after, backoff)

    @staticmethod
    def _error_of(attempt: Attempt) -> APIError | TransportError:
        if attempt.response is not None:
            return api_error(attempt.response, retry_after_seconds(attempt.response.headers.get("retry-after")))
        failure = attempt.failure
        return TransportError(f"no answer from the server: {type(failure).__name__}: {failure}")


def error_status(error: APIError | TransportError) -> int | None:
    return error.status if isinstance(error, APIError) else None


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
