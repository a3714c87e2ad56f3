"""Observe every request: its id, its access log line, its audit line and its metrics.

`access_middleware` is the outermost middleware, so it sees the final status of every answer,
errors and refusals included. It never logs a query string (signed URLs carry their signature
there) nor any header but the few named below; never `Authorization`.
"""

import asyncio
import logging
import time
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Handler

from cromwes.api.audit import CLIENT_SUBJECT, REQUEST_ID, action_of, audit
from cromwes.api.middlewares import within
from cromwes.appkeys import LOG_LINES, METRICS, REQUEST_IDS
from cromwes.auth.base import principal_of
from cromwes.observability.loglines import LogLines
from cromwes.observability.request_ids import CURRENT, CURRENT_ROUTE, HEADER

ACCESS: Final = "cromwes.access"
UNMATCHED = "unmatched"
"""The route label of requests no route matched (404s), so random paths cannot flood metrics."""
QUIET_TREES = ("/health", "/actuator/health", "/metrics")
"""Probes and scrapes come every few seconds: their access lines are logged at DEBUG."""
CLIENT_CLOSED = 499
"""nginx's code for a client that went away before the answer; the status we count for it."""


@web.middleware
async def access_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    request[REQUEST_ID] = request.app[REQUEST_IDS].for_request(request.headers.get(HEADER))
    token = CURRENT.set(request[REQUEST_ID])
    route = route_template(request)
    route_token = CURRENT_ROUTE.set(route)
    metrics = request.app.get(METRICS)
    if metrics is not None:
        metrics.request_started()
    started = time.monotonic()
    response: web.StreamResponse | None = None
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    except asyncio.CancelledError:
        status = CLIENT_CLOSED
        raise
    finally:
        seconds = time.monotonic() - started
        if metrics is not None:
            metrics.request_finished(request.method, route, status, seconds)
        lines = request.app[LOG_LINES]
        _log_access(request, lines, route, status, seconds)
        if (action := action_of(request)) is not None:
            audit(request, lines, action, response, status)
        CURRENT_ROUTE.reset(route_token)
        CURRENT.reset(token)


async def echo_request_id(request: web.Request, response: web.StreamResponse) -> None:
    """`on_response_prepare`: every answer carries the request's id, streamed ones included."""
    if (current := request.get(REQUEST_ID)) is not None:
        response.headers[HEADER] = current


def route_template(request: web.Request) -> str:
    """The matched route's path template (`/ga4gh/wes/v1/runs/{run_id}`), not the raw path."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED


def _log_access(
    request: web.Request, lines: LogLines, route: str, status: int, seconds: float
) -> None:
    path = request.path
    # str.startswith first: cheap, and false for nearly every request.
    quiet = path.startswith(QUIET_TREES) and within(path, QUIET_TREES)
    level = logging.DEBUG if quiet else logging.INFO
    if not lines.enabled_for(level, ACCESS):
        return
    method, headers = request.method, request.headers
    lines.emit(
        level,
        ACCESS,
        f"{method} {path} {status} {seconds * 1000:.1f}ms",
        {
            "access": True,
            "method": method,
            "path": path,
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 3),
            "remote": request.remote,
            "forwarded_for": headers.get("X-Forwarded-For"),
            "client_subject": headers.get(CLIENT_SUBJECT),
            "principal": principal_of(request).id,
            "user_agent": headers.get("User-Agent"),
            "request_id": request[REQUEST_ID],
        },
    )
