"""`create_emulator_app(config)`: Cromwell's REST API plus the `/_emulator` control routes.

The factory does no I/O. One cleanup context opens the workflow store, the HTTP session used to
fetch `workflowUrl`s and the run manager, and closes them in reverse order (stopping every
runner child) on shutdown. Middlewares, outermost first: the refusal of the emulator's own
fetches (`fetching.py`), the admin-listener gate, the request journal plus fault injector
(Cromwell routes only), and the renderer of Cromwell's error shapes.
"""

import hashlib
import logging
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from cromwes.emulator import control, cromwell_api
from cromwes.emulator.appkeys import (
    CONFIG,
    FAULTS,
    FETCH_GUARD,
    FORM,
    JOURNAL,
    LISTENERS,
    SERVICE,
    Listeners,
)
from cromwes.emulator.config import EmulatorConfig
from cromwes.emulator.documents import Documents
from cromwes.emulator.errors import ControlError, CromwellApiError
from cromwes.emulator.faults import FaultInjector, Handler, faulty_response
from cromwes.emulator.fetching import SelfFetchGuard, url_fetcher
from cromwes.emulator.journal import RequestJournal
from cromwes.emulator.metadata import ServerIdentity
from cromwes.emulator.replies import cromwell_json
from cromwes.emulator.runs import RunManager
from cromwes.emulator.service import WorkflowService
from cromwes.emulator.store import WorkflowStore

logger = logging.getLogger(__name__)
CONTROL_PREFIX = "/_emulator"
NOT_FOUND_TEXT = "The requested resource could not be found."
"""akka-http's plain-text 404 for a path no Cromwell route matches."""


def create_emulator_app(config: EmulatorConfig) -> web.Application:
    guard = SelfFetchGuard()
    app = web.Application(
        middlewares=[guard.middleware, admin_gate, journal_and_faults, cromwell_errors],
        client_max_size=1024**3,
    )
    app[FETCH_GUARD] = guard
    app[CONFIG] = config
    app[FAULTS] = FaultInjector(config.fault_seed)
    app[JOURNAL] = RequestJournal(config.request_log_size)
    app[LISTENERS] = Listeners()
    app.add_routes(cromwell_api.routes())
    app.add_routes(control.routes())
    app.cleanup_ctx.append(emulator_context)
    return app


async def emulator_context(app: web.Application) -> AsyncIterator[None]:
    config = app[CONFIG]
    store = WorkflowStore(config.database_path)
    await store.open()
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    fetch = url_fetcher(session, config.loopback_hosts, app[FETCH_GUARD])
    documents = Documents(store, engine_identity(config), config.metadata_cache_entries)
    runs = RunManager(store, documents, config, fetch)
    app[SERVICE] = WorkflowService(store, documents, runs, config, fetch)
    try:
        await runs.start()
        yield
    finally:
        await runs.stop()
        await session.close()
        await store.close()


def engine_identity(config: EmulatorConfig) -> ServerIdentity:
    # Cromwell prints `cromid-` and 7 hex digits per server instance; derive them from the data
    # directory so they stay put across restarts of the same emulator.
    digest = hashlib.sha1(str(config.data_dir.resolve()).encode()).hexdigest()[:7]
    return ServerIdentity(cromwell_id=f"cromid-{digest}", version=config.cromwell_version)


@web.middleware
async def admin_gate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The admin listener serves the control API only."""
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    port = sockname[1] if isinstance(sockname, tuple) and len(sockname) > 1 else None
    if port in request.app[LISTENERS].admin_ports and not is_control(request):
        raise web.HTTPNotFound(text="the admin listener serves /_emulator only")
    return await handler(request)


@web.middleware
async def journal_and_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Record each Cromwell API request (its form included), then apply any fault rule."""
    if is_control(request):
        return await handler(request)
    form = None
    route = request.match_info.route.name or ""
    if route == "submit":
        form = await cromwell_api.read_form(request)
        request[FORM] = form
    request.app[JOURNAL].record(
        request.method,
        request.path,
        list(request.query.items()),
        dict(request.headers),
        form,
    )
    rule = request.app[FAULTS].draw(route.split(".")[0], request.method) if route else None
    if rule is None:
        return await handler(request)
    return await faulty_response(rule, route.split(".")[0], request, handler)


@web.middleware
async def cromwell_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Render failures in Cromwell's shapes (errors.json), control errors as `{"error"}`."""
    try:
        return await handler(request)
    except CromwellApiError as exn:
        body = {"status": exn.body_status, "message": exn.message}
        return cromwell_json(body, status=exn.http_status)
    except ControlError as exn:
        return web.json_response({"error": exn.message}, status=exn.http_status)
    except web.HTTPMethodNotAllowed as exn:
        # akka-http's plain-text rejection (errors.json, "wrong_method")
        allowed = ", ".join(sorted(exn.allowed_methods))
        return web.Response(
            status=405,
            text=f"HTTP method not allowed, supported methods: {allowed}",
            headers={"Allow": ", ".join(sorted(exn.allowed_methods))},
        )
    except web.HTTPNotFound:
        if is_control(request):
            raise
        return web.Response(status=404, text=NOT_FOUND_TEXT)


def is_control(request: web.Request) -> bool:
    return request.path == CONTROL_PREFIX or request.path.startswith(CONTROL_PREFIX + "/")
