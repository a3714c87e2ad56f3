"""Handler of GET /service-info."""

import logging
from collections.abc import Mapping
from types import MappingProxyType

from aiohttp import web
from aiohttp_apigami import docs, response_schema

from cromwes.api import schemas
from cromwes.api.audit import audited
from cromwes.api.params import owner
from cromwes.api.render import JSON, json_bytes
from cromwes.appkeys import PREPARED, SERVICE_INFO_BODIES, SERVICE_STATE, SETTINGS
from cromwes.auth.base import principal_of
from cromwes.config.settings import AuthMethod
from cromwes.errors import WesError
from cromwes.translate.service_info import service_info

logger = logging.getLogger(__name__)
NO_COUNTS: Mapping[str, int] = MappingProxyType({})
"""The counts of a caller not shown them, or while Cromwell cannot be asked."""


@docs(
    tags=["Service Info"],
    summary="Get information about Workflow Execution Service.",
    description="system_state_counts is filled for authenticated callers, or when auth is off.",
)
@response_schema(schemas.ServiceInfoSchema, 200)
@audited("wes:service-info")
async def get_service_info(request: web.Request) -> web.Response:
    app = request.app
    settings, state = app[SETTINGS], app[SERVICE_STATE]
    shown = settings.auth.method is AuthMethod.NO_AUTH or principal_of(request).authenticated
    caller = owner(request) if shown else None
    counts: Mapping[str, int] = NO_COUNTS
    if shown and (held := state.held_counts(caller)) is not None:
        counts = held
    elif shown:
        try:
            counts = await state.state_counts(caller)
        except WesError as exc:
            # service-info stays up while Cromwell is down (the reference answered 500).
            logger.warning("state counts unavailable: %s", exc.msg)
    if (version := state.held_version()) is None:
        version = await state.engine_version()
    # service-info is the most polled call: the rendered document is kept while the version
    # and the very same counts (held a few seconds, a new dict when loaded again) are shown.
    key = (version, caller, shown)
    bodies = app[SERVICE_INFO_BODIES]
    kept = bodies.get(key)
    if kept is not None and kept[0] is counts:
        return web.Response(body=kept[1], content_type=JSON)
    info = service_info(
        settings.service_info,
        engine_version=version,
        state_counts=counts,
        auth_instructions_url=app[PREPARED].auth_instructions_url,
    )
    body = json_bytes(info)
    bodies.put(key, (counts, body), size=len(body), ttl=None)
    return web.Response(body=body, content_type=JSON)
