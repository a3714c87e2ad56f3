"""The Cromwell emulator as the tests start it: its Cromwell API and its control API (`/_emulator`)
on two loopback listeners, as `EmulatorServer` serves them, and a client middleware that lets a
test talk to "the emulator" through one session.

The Cromwell port does not serve `/_emulator` (a gateway, or a WDL import naming a URL, must
never reach the request log or the knobs); tests still write `session.get("/_emulator/...")`
next to `session.get("/api/workflows/v1/...")`, and `control_api_on(admin)` sends the first
kind to the admin listener. Tests of the boundary itself use a session without it.
"""

from dataclasses import dataclass

from aiohttp import ClientRequest, ClientResponse, ClientSession, hdrs
from aiohttp.client_middlewares import ClientHandlerType, ClientMiddlewareType
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer
from yarl import URL

from cromwes.emulator.app import create_control_app, create_emulator_app
from cromwes.emulator.config import EmulatorConfig
from cromwes.emulator.server import EmulatorServer

CONTROL_PREFIX = "/_emulator"


@dataclass(frozen=True)
class EmulatedCromwell:
    api: TestServer
    """Cromwell's REST API: what a gateway's `cromwell.url` points at."""
    admin: TestServer
    """The `/_emulator` control API, on its own listener."""

    @property
    def url(self) -> str:
        return str(self.api.make_url("")).rstrip("/")

    @property
    def admin_url(self) -> str:
        return str(self.admin.make_url("")).rstrip("/")

    def routing(self) -> ClientMiddlewareType:
        return control_api_on(self.admin_url)


async def emulated_cromwell(
    aiohttp_server: AiohttpServer, config: EmulatorConfig
) -> EmulatedCromwell:
    """Serve an emulator's two applications on ephemeral loopback ports (stopped by the fixture,
    the control API first)."""
    emulator = create_emulator_app(config)
    api: TestServer = await aiohttp_server(emulator)
    admin: TestServer = await aiohttp_server(create_control_app(emulator))
    return EmulatedCromwell(api, admin)


def control_api_on(admin_url: str) -> ClientMiddlewareType:
    """A client middleware sending `/_emulator` requests to the admin listener at `admin_url`."""
    admin = URL(admin_url)

    async def route(request: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        path = request.url.path
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            request.url = admin.join(URL(request.url.raw_path_qs, encoded=True))
            request.headers[hdrs.HOST] = request.url.host_port_subcomponent or ""
        return await handler(request)

    return route


def emulator_session(server: EmulatorServer) -> ClientSession:
    """A session to a started `EmulatorServer` (with an admin port): relative Cromwell API paths
    go to its Cromwell port, `/_emulator` paths to its admin listener."""
    if server.admin_url is None:
        raise ValueError("the emulator has no admin listener: start it with admin_port=0")
    return ClientSession(base_url=server.url, middlewares=(control_api_on(server.admin_url),))
