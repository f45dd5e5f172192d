"""A Python client for Orato's two API families: ``Client`` (sync) and ``AsyncClient``, on httpx.

    from pathlib import Path
    from orato.client import Client

    with Client("http://127.0.0.1:8000", api_key) as orato:
        result = orato.score_text(Path("hello.wav"), "Hello world.", include_fluency=True)
        print(result.text_score.speechace_score["pronunciation"])

Retries follow errors.md 11 (:mod:`orato.client.retry`); every failure is an
:class:`OratoClientError` (the hierarchy is drawn in :mod:`orato.client.errors`). Importing this
package loads httpx and pydantic only, none of the server's engines.
"""

from orato.client.calls import AssessmentOptions, SpeechOptions, TextOptions, WordOptions
from orato.client.client import AsyncClient, Client
from orato.client.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ModerationBlockedError,
    NotFoundError,
    OratoClientError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    StreamTruncatedError,
    TransportError,
    UnscorableError,
)
from orato.client.results import (
    Phone,
    Speech,
    SpeechWithTimestamps,
    Syllable,
    TextScore,
    TextScoreResult,
    ValidateTextResult,
    Word,
    WordScore,
    WordScoreResult,
    WordTimestamp,
)
from orato.client.retry import RetryPolicy

__all__ = [
    "APIError",
    "AssessmentOptions",
    "AsyncClient",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ConflictError",
    "ModerationBlockedError",
    "NotFoundError",
    "OratoClientError",
    "PermissionDeniedError",
    "Phone",
    "RateLimitedError",
    "RetryPolicy",
    "ServerError",
    "Speech",
    "SpeechOptions",
    "SpeechWithTimestamps",
    "StreamTruncatedError",
    "Syllable",
    "TextOptions",
    "TextScore",
    "TextScoreResult",
    "TransportError",
    "UnscorableError",
    "ValidateTextResult",
    "Word",
    "WordOptions",
    "WordScore",
    "WordScoreResult",
    "WordTimestamp",
]
