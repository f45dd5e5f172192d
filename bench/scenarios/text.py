"""Text scenarios, through the real API (routing, auth, store, error rendering included)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from starlette.testclient import TestClient

from bench.registry import scenario
from orato.api.app import create_app
from orato.settings import Settings

# A 1,500-character script of ordinary vocabulary, the validate-text limit.
_SENTENCE = "The quick brown fox jumps over the lazy dog while the children watch from the window. "


@scenario("validate-text-1500")
def validate_text_1500(workdir: Path) -> Callable[[], object]:
    """POST /api/validating/text/v9/json with a 1,500-character text (in-process ASGI, SQLite)."""
    app = create_app(Settings(data_dir=workdir / "data", secret_key="bench"))
    key = app.state.services.keys.issue("bench").secret
    text = (_SENTENCE * 20)[:1500].rsplit(" ", 1)[0]
    client = TestClient(app)

    def run() -> object:
        response = client.post("/api/validating/text/v9/json", params={"key": key}, data={"text": text})
        assert response.status_code == 200, response.text
        return response

    return run
