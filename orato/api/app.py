"""The ASGI application: a thin layer of routes over the pure-Python core."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from orato import __version__
from orato.api.context import RequestContextMiddleware
from orato.api.errors import install_error_handlers
from orato.api.routes import assessment, platform, scoring
from orato.audio import load_vad_model
from orato.lang import english_lexicon
from orato.scoring import load_engine
from orato.settings import Settings
from orato.store import Database, KeyService
from orato.store.logs import RequestLogStore

logger = logging.getLogger("orato.api")


@dataclass
class Services:
    """Everything a request handler may use, built once per application."""

    settings: Settings
    db: Database
    keys: KeyService
    logs: RequestLogStore
    ready: bool = field(default=False)


def build_services(settings: Settings) -> Services:
    db = Database(settings.resolved_database_url)
    db.migrate()
    return Services(settings=settings, db=db, keys=KeyService(db, settings), logs=RequestLogStore(db))


def preload_models(settings: Settings) -> None:
    """Load what the first request would otherwise wait for; /health says 503 until done."""
    english_lexicon()
    load_vad_model()
    if settings.preload_engine:
        load_engine(settings)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    services = build_services(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(preload_models, settings)
        services.ready = True
        yield
        services.ready = False
        services.db.dispose()

    app = FastAPI(
        title="Orato",
        version=__version__,
        summary="Speech assessment and synthesis API",
        lifespan=lifespan,
        redirect_slashes=False,
    )
    app.state.services = services
    install_error_handlers(app)
    app.include_router(platform.router)
    app.include_router(assessment.router)
    app.include_router(scoring.router)
    app.add_middleware(RequestContextMiddleware, record=services.logs.record)
    return app


def app_from_environment() -> Any:
    """Factory for `uvicorn --factory orato.api.app:app_from_environment`."""
    return create_app(Settings())
