"""Every piece of application state, as a typed `web.AppKey`; handlers reach them only here."""

from collections.abc import Callable, Mapping
from typing import Any

import aiohttp
from aiohttp import web

from cromwes.api.proxies import TrustedProxies
from cromwes.auth.base import Authenticator
from cromwes.cache import LruCache
from cromwes.config.settings import Settings
from cromwes.cromwell.client import CromwellClient
from cromwes.observability.metrics import Metrics
from cromwes.service.background import BackgroundTasks
from cromwes.service.prepared import Prepared
from cromwes.service.run_details import RunDetails
from cromwes.service.service_state import ServiceState
from cromwes.service.watching import Hub
from cromwes.storage.base import Storage
from cromwes.translate.listing import RunFilters

SETTINGS = web.AppKey("settings", Settings)
HTTP_SESSION = web.AppKey("http_session", aiohttp.ClientSession)
CROMWELL = web.AppKey("cromwell", CromwellClient)
RUN_DETAILS = web.AppKey("run_details", RunDetails)
SERVICE_STATE = web.AppKey("service_state", ServiceState)
STORAGE = web.AppKey("storage", Storage)
PREPARED = web.AppKey("prepared", Prepared)
AUTHENTICATOR = web.AppKey("authenticator", Authenticator)
METRICS = web.AppKey("metrics", Metrics)
"""Absent when `observability.metrics_enabled` is false."""
OPENAPI: web.AppKey[dict[str, Any]] = web.AppKey("openapi")
"""The OpenAPI document, generated once from the handlers' docs when the app is created."""
CLOCK: web.AppKey[Callable[[], float]] = web.AppKey("clock")
"""The monotonic clock of time-based state (JWKS refetch limits); tests may set a fake one
between `create_app` and startup."""
BACKGROUND = web.AppKey("background", BackgroundTasks)
PROXIES = web.AppKey("proxies", TrustedProxies)
"""The peers whose forwarding headers are believed (`server.trusted_proxies`)."""
SERVICE_INFO_BODIES = web.AppKey(
    "service_info_bodies", LruCache[tuple[object, ...], tuple[Mapping[str, int], bytes]]
)
"""service-info's rendered documents by (version, owner, counts shown): the counts they show
and the body."""
RUN_EVENTS: web.AppKey[Hub[str]] = web.AppKey("run_events")
"""One watcher per run id that any `/runs/{id}/events` stream follows."""
RUN_LIST_EVENTS: web.AppKey[Hub[RunFilters]] = web.AppKey("run_list_events")
"""One watcher per distinct filter that any `/events` stream follows."""
