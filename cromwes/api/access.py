"""The access log: one line per request, with its route, status, duration, caller and id.

Written by the gateway's middleware (`api.pipeline`) once the answer is known, so it sees the
final status of every answer, errors and refusals included. It never logs a query string
(signed URLs carry their signature there) nor any header but the few named below; never
`Authorization`.
"""

import logging
import time

from aiohttp import web
from multidict import istr

from cromwes.api.audit import audited_run_id
from cromwes.api.middlewares import within
from cromwes.auth.base import Principal
from cromwes.observability.loglines import LogLines

UNMATCHED = "unmatched"
"""The route label of requests no route matched (404s), so random paths cannot flood metrics."""
QUIET_TREES = ("/health", "/actuator/health", "/metrics")
"""Probes and scrapes come every few seconds: their access lines are logged at DEBUG."""
CLIENT_CLOSED = 499
"""nginx's code for a client that went away before the answer; the status we count for it."""
CLIENT_SUBJECT = istr("X-SSL-Client-S-DN")
"""The verified client certificate's subject, set by the mTLS proxy (nginx/nginx.conf)."""
FORWARDED_FOR = istr("X-Forwarded-For")
USER_AGENT = istr("User-Agent")
"""Header names as `istr`: multidict looks them up without folding their case each time."""


def route_template(request: web.Request) -> str:
    """The matched route's path template (`/ga4gh/wes/v1/runs/{run_id}`), not the raw path."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED


def is_quiet(path: str) -> bool:
    """Whether `path` is a probe's or a scrape's (one of `QUIET_TREES` or below one)."""
    return within(path, QUIET_TREES)


def log_request(
    lines: LogLines,
    request: web.Request,
    *,
    route: str,
    status: int,
    seconds: float,
    principal: Principal,
    request_id: str,
    action: str | None,
    response: web.StreamResponse | None,
) -> None:
    """The access line of an answered request and, for a WES action, its audit line: their
    facts, queued; the line sink renders them (`observability.linerender`)."""
    path, headers = request.path, request.headers
    quiet = path.startswith(QUIET_TREES) and is_quiet(path)  # false for nearly every request
    access = lines.level <= (logging.DEBUG if quiet else logging.INFO)
    audit = action is not None and lines.level <= logging.INFO
    if not (access or audit):
        return
    run_id = audited_run_id(request, action, response, status) if audit else None
    lines.request(
        (
            time.time(), ("DEBUG" if quiet else "INFO") if access else None, request.method,
            path, route, status, seconds, request.remote, headers.get(FORWARDED_FOR),
            headers.get(CLIENT_SUBJECT), principal.id, principal.authenticated,
            headers.get(USER_AGENT), request_id, action if audit else None, run_id,
        )
    )  # fmt: skip
