"""Handler of GET /service-info."""

import logging

from aiohttp import web
from aiohttp_apigami import docs, response_schema

from cromwes.api import schemas
from cromwes.api.audit import audited
from cromwes.api.params import owner
from cromwes.api.render import json_response
from cromwes.appkeys import SERVICE_STATE, SETTINGS
from cromwes.auth.base import principal_of
from cromwes.errors import WesError
from cromwes.settings import AuthMethod
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
    auth_url = settings.service_info.auth_instruction_url or (
        f"{settings.issuer}/.well-known/openid-configuration"
        if settings.auth.method in (AuthMethod.OAUTH, AuthMethod.PASSPORT)
        else f"{settings.external_url}/docs"
    )
    info = service_info(
        settings.service_info,
        engine_version=await state.engine_version(),
        state_counts=counts,
        auth_instructions_url=auth_url,
    )
    return json_response(info)
