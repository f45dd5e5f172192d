"""The one exception hierarchy of :mod:`orato.client`, for both API families (errors.md 5, 6).

Every failure a call can end in is one of these, so ``except OratoClientError`` catches them all::

    OratoClientError
     ├── TransportError            no answer: refused, reset, killed connection, timeout (after retries)
     │    └── StreamTruncatedError  a synthesis stream cut after its first audio byte (never retried)
     └── APIError                  a non-2xx answer: .status .code .detail .request_id .body
          ├── BadRequestError           400  error_invalid_parameters, invalid_input, ...
          ├── AuthenticationError       401  error_unauthorized, error_key_expired, unauthorized
          ├── UnscorableError           402  error_unknown_words, error_no_speech, ...
          ├── PermissionDeniedError     403  error_feature_unavailable, forbidden, no_api_key, ...
          ├── NotFoundError             404
          ├── ConflictError             409  error_idempotency_conflict, conflict
          ├── ModerationBlockedError    422  content_moderation_blocked; .reason
          ├── RateLimitedError          429  .retry_after (seconds) once retries ran out
          └── ServerError               5xx  .retry_after when the server sent one

``code`` is the assessment ``short_message`` or the synthesis ``code``; ``detail`` the
``detail_message``, problem ``detail`` or moderation ``message``; ``request_id`` the id to quote
to the operator (the body's, else the ``X-Request-Id`` header). Unknown codes keep their status's
class (errors.md 5.3: "treat any short_message you do not know according to its HTTP status").
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "ModerationBlockedError",
    "NotFoundError",
    "OratoClientError",
    "PermissionDeniedError",
    "RateLimitedError",
    "ServerError",
    "StreamTruncatedError",
    "TransportError",
    "UnscorableError",
]


class OratoClientError(Exception):
    """The root of every error :mod:`orato.client` raises."""


class TransportError(OratoClientError):
    """No HTTP answer arrived; raised once the retries allowed for it are spent."""


class StreamTruncatedError(TransportError):
    """The audio stream ended without its final chunk (errors.md 6.6): the audio received is incomplete."""


class APIError(OratoClientError):
    """The server answered with a non-2xx status."""

    def __init__(self, status: int, code: str, detail: str, request_id: str | None,
                 body: dict[str, Any] | None = None, retry_after: float | None = None) -> None:
        super().__init__(f"{status} {code}: {detail}" + (f" (request {request_id})" if request_id else ""))
        self.status = status
        self.code = code
        self.detail = detail
        self.request_id = request_id
        self.body: dict[str, Any] = body or {}
        self.retry_after = retry_after


class BadRequestError(APIError):
    """400: fix the request (errors.md 5.3, 6.3)."""


class AuthenticationError(APIError):
    """401: the key is missing, unknown, expired or revoked."""


class UnscorableError(APIError):
    """402: valid parameters, but the content could not be scored; ask the learner to record again."""


class PermissionDeniedError(APIError):
    """403: the key's plan or the organisation's provider set-up lacks what the request needs."""


class NotFoundError(APIError):
    """404: no such endpoint, version or resource."""


class ConflictError(APIError):
    """409: an Idempotency-Key reused for another request or still running, or a duplicate name."""


class ModerationBlockedError(APIError):
    """422: blocked by content moderation (errors.md 6.5); never retried with the same text."""

    @property
    def reason(self) -> dict[str, Any]:
        reason = self.body.get("reason")
        return reason if isinstance(reason, dict) else {}


class RateLimitedError(APIError):
    """429: still rate-limited when the retries ran out, or asked to wait longer than the client's cap."""


class ServerError(APIError):
    """5xx: still failing when the retries ran out."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError, 401: AuthenticationError, 402: UnscorableError, 403: PermissionDeniedError,
    404: NotFoundError, 409: ConflictError, 422: ModerationBlockedError, 429: RateLimitedError,
}


def error_class(status: int) -> type[APIError]:
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, APIError)
