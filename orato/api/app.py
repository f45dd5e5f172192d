"""The ASGI application: a thin layer of routes over the pure-Python core."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import anyio
import anyio.to_thread
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from orato import __version__
from orato.api.context import RequestContextMiddleware
from orato.api.errors import install_error_handlers
from orato.api.idempotency import install_replay_handler
from orato.api.openapi import install_openapi
from orato.api.reference_page import install_reference_pages
from orato.api.routes import assessment, demo, logs, platform, resources, scoring, synthesis, task, writing
from orato.audio import load_vad_model
from orato.lang import english_lexicon
from orato.limits import Limiter, build_limiter
from orato.moderation.service import Moderator
from orato.native_memory import return_free_heap
from orato.retention import retention_loop
from orato.scoring.engine import model_cache_dir
from orato.scoring.engines import load_engines
from orato.scoring.speech import load_speech_models
from orato.settings import Settings
from orato.store import Database, KeyService
from orato.store.dictionaries import DictionaryStore
from orato.store.idempotency import IdempotencyStore
from orato.store.logs import RequestLogStore
from orato.store.providers import ProviderKeyStore, ProviderStateStore
from orato.store.rulesets import RulesetStore
from orato.store.voices import VoiceStore
from orato.synthesis.base import Provider
from orato.synthesis.catalogue import Router, build_providers, load_local_voices
from orato.synthesis.planning import Planner
from orato.synthesis.service import Synthesis
from orato.synthesis.timestamps import project_aligner
from orato.text import load_text_models
from orato.workers import EngineQueue

logger = logging.getLogger("orato.api")


@dataclass
class Services:
    """Everything a request handler may use, built once per application (per server process)."""

    settings: Settings
    db: Database
    keys: KeyService
    logs: RequestLogStore
    idempotency: IdempotencyStore
    limiter: Limiter
    engine: EngineQueue
    providers: dict[str, Provider]
    router: Router
    provider_keys: ProviderKeyStore
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
    aligner = project_aligner(model_cache_dir(settings))
    return Services(
        settings=settings,
        db=db,
        keys=KeyService(db, settings),
        logs=RequestLogStore(db),
        idempotency=IdempotencyStore(
            db,
            ttl=timedelta(hours=settings.idempotency_ttl_hours),
            lease=timedelta(seconds=settings.request_lease_seconds),
        ),
        limiter=build_limiter(settings),
        engine=EngineQueue(settings.engine_workers, settings.engine_queue_size),
        providers=providers,
        router=router,
        provider_keys=provider_keys,
        voices=voices,
        dictionaries=dictionaries,
        rulesets=rulesets,
        synthesis=Synthesis(Planner(providers, router, voices), dictionaries, moderator, aligner),
    )


def preload_models(settings: Settings) -> None:
    """Load what the first request would otherwise wait for; /health says 503 until done."""
    english_lexicon()
    load_vad_model()
    load_local_voices()
    if settings.preload_engine:
        load_engines(settings)
        load_text_models()
        load_speech_models(settings)
    return_free_heap()  # what loading freed (orato.native_memory)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    services = build_services(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(preload_models, settings)
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(retention_loop, services.db, settings)
            services.ready = True
            yield
            services.ready = False
            tasks.cancel_scope.cancel()
        await anyio.to_thread.run_sync(_flush_request_log, services.logs)
        await services.limiter.close()
        services.db.dispose()

    app = FastAPI(
        title="Orato",
        version=__version__,
        summary="Speech assessment and synthesis API",
        lifespan=lifespan,
        redirect_slashes=False,
        docs_url=None,  # served offline by install_reference_pages
        redoc_url=None,
    )
    app.state.services = services
    install_error_handlers(app)
    install_replay_handler(app)
    install_openapi(app)
    install_reference_pages(app)
    app.include_router(platform.router)
    app.include_router(assessment.router)
    app.include_router(scoring.router)
    app.include_router(writing.router)
    app.include_router(task.router)
    app.include_router(synthesis.router)
    app.include_router(resources.router)
    app.include_router(logs.router)
    app.include_router(demo.router)
    app.add_middleware(
        RequestContextMiddleware,
        record=services.logs.record,
        deadline_seconds=settings.processing_deadline_seconds,
    )
    return app


def _flush_request_log(logs: RequestLogStore) -> None:
    try:
        logs.flush()
    except Exception as error:  # noqa: BLE001 - shutting down with the database still away
        logger.error("request log lost %d row(s) at shutdown: %s", logs.pending, type(error).__name__)


def app_from_environment() -> Any:
    """Factory for `uvicorn --factory orato.api.app:app_from_environment`."""
    return create_app(Settings())
