"""The API reference pages: Swagger UI at ``/docs`` and ReDoc at ``/redoc``, fully offline.

FastAPI's own pages load their scripts from a CDN; these load the same viewers from the pinned
``fastapi-offline`` package (Swagger UI 5, which reads OpenAPI 3.1, and ReDoc), served by Orato
itself, so the reference works on a machine that reaches nothing outside.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

ASSETS = "/docs/assets"
_SWAGGER_PARAMETERS = {"tryItOutEnabled": True, "displayRequestDuration": True, "docExpansion": "none"}


def install_reference_pages(app: FastAPI) -> None:
    """The app must be created with ``docs_url=None, redoc_url=None`` (the CDN pages)."""
    assets = files("fastapi_offline") / "static"
    app.mount(ASSETS, StaticFiles(directory=str(assets)), name="reference-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json", title=f"{app.title} API reference",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js", swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png", swagger_ui_parameters=_SWAGGER_PARAMETERS,
        )  # fmt: skip

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json", title=f"{app.title} API reference", redoc_js_url=f"{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS}/favicon.png", with_google_fonts=False,
        )  # fmt: skip
