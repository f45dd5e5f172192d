"""Per-request context, as the outermost ASGI layer.

It runs before anything else so that every response, including the ones produced by crashes
and by errors raised before routing, carries the request id, and so that every request is
written to the request log and the access log without its text, audio or key.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

import anyio
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orato.api.errors import error_response, family_of, problem_detail
from orato.errors import OratoError

access_log = logging.getLogger("orato.access")
logger = logging.getLogger("orato.api")

RequestRecorder = Callable[[dict[str, Any]], None]


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, record: RequestRecorder | None = None) -> None:
        self.app = app
        self.record = record

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        _strip_trailing_slash(scope)
        request_id = str(uuid.uuid4())
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.perf_counter()
        outcome: dict[str, Any] = {"status": 500, "started": False}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcome["status"], outcome["started"] = message["status"], True
                headers = MutableHeaders(scope=message)
                headers["X-Request-Id"] = request_id
                if scope["path"].startswith("/v1/audio/"):
                    headers["x-speechbase-request-id"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as error:  # noqa: BLE001 - the last line of defence
            if outcome["started"]:  # a stream cut short: log it, then let the server drop the body
                if isinstance(error, OratoError):
                    state["error"] = error
                await self._finish(scope, state, outcome["status"], int((time.perf_counter() - started) * 1000))
                raise
            logger.error(
                "internal error request_id=%s type=%s",
                request_id,
                type(error).__name__,
                exc_info=(type(error), error, error.__traceback__),
            )
            response = error_response(Request(scope), OratoError())
            await response(scope, receive, send_with_id)
        latency_ms = int((time.perf_counter() - started) * 1000)
        await self._finish(scope, state, outcome["status"], latency_ms)

    async def _finish(self, scope: Scope, state: dict[str, Any], status: int, latency_ms: int) -> None:
        principal = state.get("principal")
        error: OratoError | None = state.get("error")
        access_log.info(
            "%s %s status=%d ms=%d request_id=%s key_id=%s error=%s",
            scope["method"],
            scope["path"],
            status,
            latency_ms,
            state["request_id"],
            principal.key_id if principal else "-",
            error.code if error else "-",
        )
        if self.record is None or principal is None:
            return
        row = {
            "request_id": uuid.UUID(state["request_id"]),
            "organisation_id": principal.organisation_id,
            "key_id": principal.key_id,
            "family": family_of(scope["path"]).value,
            "method": scope["method"],
            "path": scope["path"][:200],
            "status": status,
            "error_code": error.code if error else None,
            "error_detail": _loggable_detail(error),
            "latency_ms": latency_ms,
            **state.get("log_fields", {}),
        }
        if error is not None or status >= 400:
            row["credits_used"] = 0  # usage counts only for requests that succeeded (12.2)
        try:
            await anyio.to_thread.run_sync(self.record, row)
        except Exception:  # noqa: BLE001 - a failing log write must not fail the request
            logger.exception("request log write failed request_id=%s", state["request_id"])


def _loggable_detail(error: OratoError | None) -> str | None:
    """Parameter names and measured sizes only: unknown words are content, so only their count."""
    if error is None:
        return None
    words = getattr(error, "words", None)
    if words is not None:
        return f"{len(words)} unknown words"
    detail = problem_detail(error)  # validation path and message, never the offending value
    upstream = error.extras.get("upstream_status")
    return (f"{detail} (upstream {upstream})" if upstream else detail)[:200]


def _strip_trailing_slash(scope: Scope) -> None:
    """One trailing slash is tolerated (api-scoring.md 1.1) without a redirect."""
    path: str = scope["path"]
    if len(path) > 1 and path.endswith("/"):
        scope["path"] = path[:-1]
        scope["raw_path"] = scope["path"].encode()
