"""The practice page at ``/demo``: plain HTML, CSS and JavaScript shipped in ``orato/api/demo``.

No build step and nothing from a CDN, so it works on an offline machine. The page holds no secret:
the learner pastes a key, which stays in the tab (see ``practice.js``). The strict
Content-Security-Policy allows only this server's own scripts, styles and API.
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from starlette.responses import Response

from orato.errors import NotFoundError

router = APIRouter(include_in_schema=False)

_TYPES = {"index.html": "text/html; charset=utf-8", "practice.js": "text/javascript; charset=utf-8",
          "practice.css": "text/css; charset=utf-8"}
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                               "media-src 'self' blob:; img-src 'self' data:; base-uri 'none'; form-action 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


def _asset(name: str) -> Response:
    if name not in _TYPES:
        raise NotFoundError("path")
    content = (resources.files("orato.api") / "demo" / name).read_bytes()
    return Response(content, media_type=_TYPES[name], headers=_HEADERS)


@router.get("/demo")
async def practice_page() -> Response:
    return _asset("index.html")


@router.get("/demo/{name}")
async def practice_asset(name: str) -> Response:
    return _asset(name)
