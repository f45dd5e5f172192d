"""The one error model of Orato (``docs/errors.md``).

Every failure is raised as exactly one subclass of :class:`OratoError`; the API layer decides
how it is written on the wire (assessment body or problem+json) from the route's family.
Messages are built only from codes, parameter names, limits and measured sizes, so a logged
exception can never leak request content.
"""

from __future__ import annotations

from typing import Any, ClassVar


class OratoError(Exception):
    """Base of every error Orato reports to a client."""

    code: ClassVar[str] = "internal"
    status: ClassVar[int] = 500
    short_message: ClassVar[str] = "error_internal"
    problem_code: ClassVar[str] = "internal"
    default_detail: ClassVar[str] = "An unexpected error occurred."
    # The problem+json `detail` when the assessment detail is only a parameter name.
    problem_detail: ClassVar[str | None] = None

    def __init__(
        self,
        detail: str | None = None,
        *,
        validation: list[dict[str, Any]] | None = None,
        retry_after: int | str | None = None,
        **extras: Any,
    ) -> None:
        self.detail = detail or self.default_detail
        self.validation = validation
        self.retry_after = retry_after
        # Problem+json extension members: provider, upstream_status, upstream_code, turn_index.
        self.extras = {k: v for k, v in extras.items() if v is not None}
        super().__init__(f"{self.code}: {self.detail}")


class ParameterError(OratoError):
    """An error whose assessment ``detail_message`` is the name of the offending parameter."""

    def __init__(self, param: str, message: str | None = None, **kwargs: Any) -> None:
        self.param = param
        validation = kwargs.pop("validation", None) or [
            {"path": [param], "message": message or self.default_detail}
        ]
        super().__init__(param, validation=validation, **kwargs)
        self.message = message or self.default_detail


def invalid_at(path: list[str | int], message: str) -> InvalidParametersError:
    """One synthesis ``invalid_input`` problem at ``path`` of the body (errors.md 6.2)."""
    return InvalidParametersError("body", validation=[{"path": path, "message": message}])


# --- shared by both families -------------------------------------------------------------


class UnauthorizedError(OratoError):
    code, status = "unauthorized", 401
    short_message, problem_code = "error_unauthorized", "unauthorized"
    default_detail = "key"
    problem_detail = "A valid API key is required (Authorization: Bearer <key>)."


class KeyExpiredError(OratoError):
    code, status = "key_expired", 401
    short_message, problem_code = "error_key_expired", "unauthorized"
    default_detail = "The API key has expired or was revoked."


class FeatureUnavailableError(OratoError):
    code, status = "feature_unavailable", 403
    short_message, problem_code = "error_feature_unavailable", "forbidden"
    default_detail = "The key's plan does not include this feature."

    def __init__(self, feature: str, detail: str | None = None, **kwargs: Any) -> None:
        self.feature = feature
        super().__init__(detail or f"The feature '{feature}' is not included in this key's plan.", **kwargs)


class NotFoundError(OratoError):
    code, status = "not_found", 404
    short_message, problem_code = "error_not_found", "not_found"
    default_detail = "path"
    problem_detail = "No such route or resource."


class MissingParametersError(ParameterError):
    code, status = "missing_parameters", 400
    short_message, problem_code = "error_missing_parameters", "invalid_input"
    default_detail = "is required"


class InvalidParametersError(ParameterError):
    code, status = "invalid_parameters", 400
    short_message, problem_code = "error_invalid_parameters", "invalid_input"
    default_detail = "is not a valid value"


class RateLimitedError(OratoError):
    code, status = "rate_limited", 429
    short_message, problem_code = "error_too_many_requests", "rate_limited"
    default_detail = "Too many requests in flight for this key."


class EngineUnavailableError(OratoError):
    code, status = "engine_unavailable", 503
    short_message, problem_code = "error_engine_unavailable", "provider_unavailable"
    default_detail = "A processing engine is unavailable; retry with backoff."


# api-scoring.md 1.8: what a request (or a batch item) past its processing deadline is told.
DEADLINE_MISSED = "The request missed the processing deadline."


# --- assessment family -------------------------------------------------------------------


class AudioMissingError(OratoError):
    code, status = "audio_missing", 400
    short_message, problem_code = "error_audio_missing", "invalid_input"
    default_detail = "user_audio_file"


class ConvertAudioError(OratoError):
    code, status = "convert_audio", 400
    short_message, problem_code = "error_convert_audio", "invalid_input"
    default_detail = "The audio could not be decoded."


class AudioTooLongError(OratoError):
    code, status = "audio_too_long", 400
    short_message, problem_code = "error_audio_too_long", "invalid_input"
    default_detail = "The audio is longer than this key allows."


class FileTooLargeError(OratoError):
    code, status = "file_too_large", 400
    short_message, problem_code = "error_file_too_large", "invalid_input"
    default_detail = "The uploaded file is larger than this key allows."


class TextTooLongError(ParameterError):
    code, status = "text_too_long", 400
    short_message, problem_code = "error_text_too_long", "invalid_input"
    default_detail = "is too long"


class UnknownWordsError(OratoError):
    """The one documented error that echoes request content: the unknown words themselves."""

    code, status = "unknown_words", 402
    short_message, problem_code = "error_unknown_words", "invalid_input"

    def __init__(self, words: list[str], **kwargs: Any) -> None:
        self.words = words
        super().__init__(",".join(words), **kwargs)

    def __str__(self) -> str:  # logs see only the count, never the words
        return f"{self.code}: {len(self.words)} unknown word(s)"


class NoSpeechError(OratoError):
    code, status = "no_speech", 402
    short_message, problem_code = "error_no_speech", "invalid_input"
    default_detail = "No speech was detected in the audio."


class WordAlignmentError(OratoError):
    code, status = "word_alignment", 402
    short_message, problem_code = "error_word_alignment", "invalid_input"
    default_detail = "The speech could not be matched to the words of the script."


class NonDialectLanguageError(OratoError):
    code, status = "non_dialect_language", 402
    short_message, problem_code = "non_dialect_language_detected", "invalid_input"


class IdempotencyConflictError(OratoError):
    code, status = "idempotency_conflict", 409
    short_message, problem_code = "error_idempotency_conflict", "conflict"
    default_detail = "Idempotency-Key"


# --- synthesis family --------------------------------------------------------------------


class ConflictError(OratoError):
    code, status = "conflict", 409
    short_message, problem_code = "error_invalid_parameters", "conflict"
    default_detail = "The resource conflicts with an existing one."


class NoApiKeyError(OratoError):
    code, status = "no_api_key", 403
    short_message, problem_code = "error_feature_unavailable", "no_api_key"
    default_detail = "No API key is configured for this provider."


class ProviderDisabledError(OratoError):
    code, status = "provider_disabled", 403
    short_message, problem_code = "error_feature_unavailable", "provider_disabled"
    default_detail = "The provider is disabled for this organisation."


class ProviderForbiddenError(OratoError):
    code, status = "provider_forbidden", 403
    short_message, problem_code = "error_feature_unavailable", "forbidden"
    default_detail = "The provider rejected the credential."


class ProviderRejectedError(OratoError):
    code, status = "provider_rejected", 400
    short_message, problem_code = "error_invalid_parameters", "invalid_input"
    default_detail = "The provider rejected the request as invalid."


class ProviderRateLimitedError(OratoError):
    code, status = "provider_rate_limited", 429
    short_message, problem_code = "error_too_many_requests", "rate_limited"
    default_detail = "The provider rate-limited the request."


class ProviderUnavailableError(OratoError):
    code, status = "provider_unavailable", 503
    short_message, problem_code = "error_engine_unavailable", "provider_unavailable"
    default_detail = "The provider failed or did not respond in time."


class TimestampsUnavailableError(OratoError):
    code, status = "timestamps_unavailable", 503
    short_message, problem_code = "error_engine_unavailable", "timestamps_unavailable"
    default_detail = "No valid word timings could be produced."


class ModerationBlockedError(OratoError):
    """Rendered as the moderation envelope, never as problem+json."""

    code, status = "moderation_blocked", 422
    short_message, problem_code = "error_invalid_parameters", "content_moderation_blocked"
    default_detail = "The text was blocked by content moderation."

    def __init__(
        self,
        reason_type: str,
        reason_detail: str,
        confidence: float | None = None,
        rule_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.reason: dict[str, Any] = {
            "type": reason_type,
            "detail": reason_detail,
            "confidence": confidence,
        }
        if rule_name is not None:
            self.reason["rule_name"] = rule_name
        super().__init__(**kwargs)
