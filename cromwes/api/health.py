"""Health probes (liveness, readiness) and build info, also at Spring Boot's actuator paths.

Liveness says the process serves HTTP; readiness also asks Cromwell's `/engine/v1/status`, which
answers 200 while its monitored subsystems are fine and 500 when one is not. The actuator paths
are those of DNAstack's service (reference-service.md §1.1 rows 17-18), so its probes keep
working.
"""

import asyncio
from typing import Any

from aiohttp import web
from aiohttp_apigami import docs

from cromwes import __version__
from cromwes.api.middlewares import error_body
from cromwes.api.render import json_response
from cromwes.appkeys import CROMWELL
from cromwes.errors import WesError

READINESS_TIMEOUT = 5.0
"""A probe must answer before the orchestrator's own probe timeout (1-10 s is typical)."""
_UP = {"status": "UP"}
_PROBE_RESPONSES: dict[int, dict[str, Any]] = {
    200: {"description": 'Up: `{"status": "UP"}`.'},
}
_READY_RESPONSES: dict[int, dict[str, Any]] = {
    **_PROBE_RESPONSES,
    503: {
        "description": "Cromwell is not ready: an ErrorResponse with `status: DOWN`.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
    },
}


@docs(
    tags=["Operations (extension)"],
    summary="Liveness: the gateway serves HTTP.",
    description="Also at `/actuator/health/liveness`. Never asks Cromwell.",
    responses=_PROBE_RESPONSES,
)
async def liveness(request: web.Request) -> web.Response:
    return json_response(_UP)


@docs(
    tags=["Operations (extension)"],
    summary="Readiness: the gateway and its Cromwell can serve runs.",
    description="Also at `/actuator/health` and `/actuator/health/readiness`. Asks Cromwell's "
    f"`/engine/v1/status`; 503 when Cromwell fails, is unreachable or takes over "
    f"{READINESS_TIMEOUT:g} s.",
    responses=_READY_RESPONSES,
)
async def readiness(request: web.Request) -> web.Response:
    client = request.app[CROMWELL]
    try:
        async with asyncio.timeout(READINESS_TIMEOUT):
            await client.engine_status()
    except TimeoutError:
        return _down(f"Cromwell at {client.url} did not answer within {READINESS_TIMEOUT:g} s.")
    except WesError as exc:
        return _down(exc.msg)
    return json_response({**_UP, "components": {"cromwell": _UP}})


@docs(
    tags=["Operations (extension)"],
    summary="Build information (Spring Boot actuator shape).",
    responses={200: {"description": '`{"build": {"name", "artifact", "version"}}`.'}},
)
async def info(request: web.Request) -> web.Response:
    return json_response(
        {
            "build": {
                "name": "cromwes",
                "artifact": "cromwes",
                "group": "cromwes",
                "version": __version__,
            }
        }
    )


def _down(reason: str) -> web.Response:
    body = {
        **error_body(503, f"Not ready: {reason}"),
        "status": "DOWN",
        "components": {"cromwell": {"status": "DOWN"}},
    }
    return json_response(body, status=503)
