"""create_app: the cromwes gateway as an aiohttp application (no I/O until it starts)."""

import logging
import time
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
from aiohttp_apigami import setup_aiohttp_apispec

from cromwes import __version__
from cromwes.api.cors import enable_cors
from cromwes.api.middlewares import raise_invalid
from cromwes.api.openapi import add_docs_routes, openapi_document
from cromwes.api.pipeline import gateway_middleware
from cromwes.api.proxies import TrustedProxies
from cromwes.api.routes import add_routes
from cromwes.api.validation import VALID_QUERY_BYTES, ValidQueries
from cromwes.appkeys import (
    AUTHENTICATOR,
    BACKGROUND,
    CLOCK,
    CROMWELL,
    HTTP_SESSION,
    METRICS,
    OPENAPI,
    PREPARED,
    PROXIES,
    RUN_DETAILS,
    RUN_EVENTS,
    RUN_LIST_EVENTS,
    SERVICE_INFO_BODIES,
    SERVICE_STATE,
    SETTINGS,
    STORAGE,
)
from cromwes.auth.select import authenticator_for
from cromwes.cache import LruCache
from cromwes.config.settings import Settings
from cromwes.observability.loglines import LogLines
from cromwes.observability.metrics import Metrics
from cromwes.observability.request_ids import RequestIds, cromwell_headers
from cromwes.service.background import BackgroundTasks
from cromwes.service.cached_cromwell import CachedCromwell
from cromwes.service.prepared import prepare
from cromwes.service.run_details import RunDetails
from cromwes.service.run_events import run_events
from cromwes.service.run_list_events import ListWindow, run_list_events
from cromwes.service.service_state import ServiceState
from cromwes.storage.select import open_storage

logger = logging.getLogger(__name__)

SERVICE_INFO_CACHE_BYTES = 256 * 1024


def create_app(settings: Settings, *, log_lines: LogLines | None = None) -> web.Application:
    """The gateway. `log_lines` is where access and audit lines go (`configure_logging`'s);
    without it they are records of the `logging` module, as for an application embedded in
    another program."""
    lines = log_lines if log_lines is not None else LogLines(None)
    metrics = Metrics() if settings.observability.metrics_enabled else None
    valid_queries: ValidQueries = LruCache(VALID_QUERY_BYTES)
    app = web.Application(
        middlewares=[
            gateway_middleware(
                request_ids=RequestIds(), lines=lines, metrics=metrics, valid_queries=valid_queries
            )
        ],
        # JSON and urlencoded bodies are read whole (multipart is streamed): they are held in
        # memory, so the in-memory limit caps them.
        client_max_size=min(settings.uploads.max_in_memory_size, settings.uploads.max_request_size),
    )
    app[SETTINGS] = settings
    app[PREPARED] = prepare(settings)
    app[PROXIES] = TrustedProxies(settings.server.trusted_proxies)
    app[CLOCK] = time.monotonic
    app[SERVICE_INFO_BODIES] = LruCache(SERVICE_INFO_CACHE_BYTES)
    if metrics is not None:
        app[METRICS] = metrics
    app.on_startup.append(_warn_without_secret)
    app.cleanup_ctx.append(_cromwell)
    app.cleanup_ctx.append(_storage)
    app.cleanup_ctx.append(_background)
    app.cleanup_ctx.append(_event_hubs)
    app.on_shutdown.append(_end_event_streams)
    add_routes(app)
    spec = setup_aiohttp_apispec(
        app,
        title="cromwes — GA4GH WES 1.1 over Cromwell",
        version=__version__,
        url="",
        openapi_version="3.0.2",
        error_callback=raise_invalid,
        in_place=True,
        generate_spec=True,
    )
    app[OPENAPI] = openapi_document(spec.swagger_dict())
    add_docs_routes(app)
    if settings.observability.cors_allowed_origins:
        enable_cors(app, settings.observability.cors_allowed_origins)
    return app


async def _cromwell(app: web.Application) -> AsyncIterator[None]:
    """The application's one HTTP session, shared by the Cromwell client and the authenticator."""
    settings = app[SETTINGS]
    connector = aiohttp.TCPConnector(limit=settings.cromwell.max_concurrent_calls)
    async with aiohttp.ClientSession(connector=connector, raise_for_status=False) as session:
        metrics = app.get(METRICS)
        client = CachedCromwell(
            session,
            settings.cromwell,
            settings.cache,
            observe=metrics.observe_cromwell_call if metrics is not None else None,
            headers=cromwell_headers,
            saved=metrics.observe_saved_read if metrics is not None else None,
        )
        app[HTTP_SESSION] = session
        app[CROMWELL] = client
        app[AUTHENTICATOR] = authenticator_for(settings, session, clock=app[CLOCK])
        app[RUN_DETAILS] = RunDetails(
            client,
            max_bytes=settings.cache.metadata_max_bytes,
            running_ttl=settings.cache.running_ttl,
            submit_grace_period=settings.cromwell.submit_grace_period,
        )
        client.on_change(app[RUN_DETAILS].forget)
        if metrics is not None:
            metrics.watch_cache(app[RUN_DETAILS].cache)
        app[SERVICE_STATE] = ServiceState(
            client,
            engine_version_ttl=settings.cache.engine_version_ttl,
            state_counts_ttl=settings.cache.state_counts_ttl,
        )
        yield


async def _warn_without_secret(app: web.Application) -> None:
    if app[SETTINGS].server_secret is None:
        logger.warning(
            "secret is not set: this process made a random one, so another replica or this one "
            "after a restart refuses its page tokens, gives a repeated Idempotency-Key a new run "
            "and refuses callers of runs Cromwell does not show yet; set WES_SECRET (the same "
            "value on every replica, e.g. `openssl rand -hex 32`)"
        )


async def _storage(app: web.Application) -> AsyncIterator[None]:
    async with open_storage(app[SETTINGS]) as storage:
        app[STORAGE] = storage
        yield


async def _background(app: web.Application) -> AsyncIterator[None]:
    tasks = BackgroundTasks()
    app[BACKGROUND] = tasks
    yield
    await tasks.close()


async def _event_hubs(app: web.Application) -> AsyncIterator[None]:
    """The watchers the event streams share, over the Cromwell client and run details."""
    events = app[SETTINGS].events
    app[RUN_EVENTS] = run_events(app[RUN_DETAILS], interval=events.poll_interval)
    app[RUN_LIST_EVENTS] = run_list_events(
        app[CROMWELL],
        window=ListWindow(recent=events.recent_runs, max_active=events.max_active_runs),
        hidden_labels=app[PREPARED].hidden_labels,
        interval=events.poll_interval,
    )
    yield
    await _end_event_streams(app)


async def _end_event_streams(app: web.Application) -> None:
    # on_shutdown: streams never end by themselves, and the server waits for open requests.
    for key in (RUN_EVENTS, RUN_LIST_EVENTS):
        if (hub := app.get(key)) is not None:
            await hub.close()
