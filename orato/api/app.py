"""The ASGI application: a thin layer of routes over the pure-Python core."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
from fastapi import FastAPI

from orato import __version__
from orato.api.context import RequestContextMiddleware
from orato.api.errors import install_error_handlers
from orato.api.routes import assessment, logs, platform, resources, synthesis
from orato.moderation.service import Moderator, RulesetStore
from orato.settings import Settings
from orato.store import Database, KeyService
from orato.store.dictionaries import DictionaryStore
from orato.store.logs import RequestLogStore
from orato.store.providers import ProviderKeyStore, ProviderStateStore
from orato.store.voices import VoiceStore
from orato.synthesis.base import Provider
from orato.synthesis.catalogue import Router, build_providers
from orato.synthesis.planning import Planner
from orato.synthesis.service import Synthesis
from orato.synthesis.timestamps import project_aligner

logger = logging.getLogger("orato.api")


@dataclass
class Services:
    """Everything a request handler may use, built once per application."""

    settings: Settings
    db: Database
    keys: KeyService
    logs: RequestLogStore
    providers: dict[str, Provider]
    router: Router
    voices: VoiceStore
    dictionaries: DictionaryStore
    rulesets: RulesetStore
    synthesis: Synthesis
    ready: bool = field(default=False)


def build_services(settings: Settings) -> Services:
    db = Database(settings.resolved_database_url)
    db.migrate()
    provider_keys = ProviderKeyStore(db, settings.resolved_master_key)
    router = Router(settings, provider_keys, ProviderStateStore(db))
    providers = build_providers(settings)
    voices, dictionaries, rulesets = VoiceStore(db), DictionaryStore(db), RulesetStore(db)
    moderator = Moderator(settings, rulesets, provider_keys)
    aligner = project_aligner(settings.data_dir / "models" / "whisper-base")
    synthesis_service = Synthesis(Planner(providers, router, voices), dictionaries, moderator, aligner)
    return Services(
        settings=settings, db=db, keys=KeyService(db, settings), logs=RequestLogStore(db),
        providers=providers, router=router, voices=voices, dictionaries=dictionaries,
        rulesets=rulesets, synthesis=synthesis_service,
    )


RETENTION_INTERVAL_SECONDS = 6 * 3600


async def _retention_job(services: Services) -> None:
    """Deletes log rows and feedback older than the retention period, at start and every 6 h."""
    while True:
        try:
            removed = await anyio.to_thread.run_sync(services.logs.delete_older_than, services.settings.log_retention_days)
            logger.info("retention removed %d request-log rows", removed)
        except Exception:  # noqa: BLE001 - retention must never take the server down
            logger.exception("request-log retention failed")
        await asyncio.sleep(RETENTION_INTERVAL_SECONDS)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    services = build_services(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        retention = asyncio.create_task(_retention_job(services))
        services.ready = True
        yield
        services.ready = False
        retention.cancel()
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
    app.include_router(synthesis.router)
    app.include_router(resources.router)
    app.include_router(logs.router)
    app.add_middleware(RequestContextMiddleware, record=services.logs.record)
    return app


def app_from_environment() -> Any:
    """Factory for `uvicorn --factory orato.api.app:app_from_environment`."""
    return create_app(Settings())
