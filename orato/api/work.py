"""Model work of a request: through the process's bounded engine queue, within its deadline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request

from orato.workers import EngineQueue


async def run_engine(request: Request, function: Callable[..., Any], *args: object) -> Any:
    """``function(*args)`` on an engine worker; 503 when the queue is full or the deadline passes."""
    engine: EngineQueue = request.app.state.services.engine
    return await engine.run(request.scope["state"]["deadline"], function, *args)
