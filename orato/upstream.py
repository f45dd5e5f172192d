"""Calling remote providers and translating their failures (api-synthesis.md 2.5, errors.md 6.4).

Shared by the synthesis providers and the moderation evaluators, so it sits below both.

A provider's response body is read only to pick out its machine-readable error code, then
dropped: it may echo the caller's text, so it is never returned, stored or logged.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from orato.errors import (
    OratoError,
    ProviderForbiddenError,
    ProviderRateLimitedError,
    ProviderRejectedError,
    ProviderUnavailableError,
)

_REJECTED = {400, 404, 413, 422}
_FORBIDDEN = {401, 403}


def upstream_error(provider: str, response: httpx.Response) -> OratoError:
    status = response.status_code
    code = _error_code(response)
    if status in _REJECTED:
        return ProviderRejectedError(provider=provider, upstream_status=status, upstream_code=code)
    if status in _FORBIDDEN:
        return ProviderForbiddenError(provider=provider, upstream_status=status, upstream_code=code)
    if status == 429:
        return ProviderRateLimitedError(
            provider=provider, upstream_status=status, retry_after=response.headers.get("retry-after")
        )
    return ProviderUnavailableError(
        f"The provider answered {status}.", provider=provider, upstream_status=status, upstream_code=code
    )


def _error_code(response: httpx.Response) -> str | None:
    """OpenAI: ``error.code`` (or ``error.type``); ElevenLabs: ``detail.status``."""
    try:
        document = response.json()
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    for outer, inner in (("error", "code"), ("error", "type"), ("detail", "status"), ("detail", "code")):
        value = document.get(outer)
        if isinstance(value, dict) and isinstance(value.get(inner), str | int):
            return str(value[inner])[:100]
    return None


@contextmanager
def transport_errors(provider: str) -> Iterator[None]:
    """Timeouts and connection failures become 503 with the provider named, nothing else."""
    try:
        yield
    except httpx.TimeoutException:
        raise ProviderUnavailableError("The provider did not respond in time.", provider=provider) from None
    except httpx.TransportError:
        raise ProviderUnavailableError("The provider could not be reached.", provider=provider) from None


class Upstream:
    """One remote provider's HTTP endpoint: base URL, timeout and how it authenticates."""

    def __init__(self, provider: str, base_url: str, timeout: float) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.timeout = httpx.Timeout(timeout)

    def post(self, path: str, headers: dict[str, str], body: dict[str, Any], params: dict[str, str] | None = None) -> httpx.Response:
        with transport_errors(self.provider), httpx.Client(timeout=self.timeout) as client:
            response = client.post(self.base_url + path, headers=headers, json=body, params=params)
        if response.status_code >= 400:
            raise upstream_error(self.provider, response)
        return response

    def stream(self, path: str, headers: dict[str, str], body: dict[str, Any], params: dict[str, str] | None = None) -> Iterator[bytes]:
        """Raises before the first chunk for a failed status; later failures end the iteration early."""
        with transport_errors(self.provider), httpx.Client(timeout=self.timeout) as client:
            with client.stream("POST", self.base_url + path, headers=headers, json=body, params=params) as response:
                if response.status_code >= 400:
                    response.read()
                    raise upstream_error(self.provider, response)
                yield from response.iter_bytes()  # as received: the lowest time to first byte

