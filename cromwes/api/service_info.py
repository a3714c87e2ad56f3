"""Handler of GET /service-info."""

import logging

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


@docs(
    tags=["Service Info"],
    summary="Get information about Workflow Execution Service.",
    description="system_state_counts is filled for authenticated callers, or when auth is off.",
)
@response_schema(schemas.ServiceInfoSchema, 200)
@audited("wes:service-info")
async def get_service_info(request: web.Request) -> web.Response:
    settings, state = request.app[SETTINGS], request.app[SERVICE_STATE]
    counts: dict[str, int] = {}
    if settings.auth.method is AuthMethod.NO_AUTH or principal_of(request).authenticated:
        try:
            counts = await state.state_counts(owner(request))
        except WesError as exc:
            # service-info stays up while Cromwell is down (the reference answered 500).
            logger.warning("state counts unavailable: %s", exc.msg)
    version = await state.engine_version()
    # The document changes only when the version or the counts do (both cached a while), so
    # the rendered body is kept: service-info is the most polled call and should cost little.
    key = (version, tuple(counts.items()))
    bodies = request.app[SERVICE_INFO_BODIES]
    if (body := bodies.get(key)) is None:
        info = service_info(
            settings.service_info,
            engine_version=version,
            state_counts=counts,
            auth_instructions_url=request.app[PREPARED].auth_instructions_url,
        )
        body = json_bytes(info)
        bodies.put(key, body, size=len(body), ttl=None)
    return web.Response(body=body, content_type=JSON)
