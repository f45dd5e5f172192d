"""Assessment-family response bodies (api-scoring.md 1.5, 1.6), shared by the server and the CLI.

`orato score-batch` writes exactly what the endpoint would answer, so both build their bodies
here rather than each by hand.
"""

from __future__ import annotations

from typing import Any

from orato.errors import OratoError


def success_body(payload: dict[str, Any], request_id: str, version: str) -> dict[str, Any]:
    """``request_id`` is the 32-hex form of the request's UUID."""
    return {"status": "success", "quota_remaining": -1, **payload, "request_id": request_id, "version": version}


def error_body(error: OratoError, request_id: str, version: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": "error",
        "short_message": error.short_message,
        "detail_message": error.detail,
        "request_id": request_id,
    }
    if version is not None:
        body["version"] = version
    return body
