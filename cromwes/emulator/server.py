"""`EmulatorServer`: the emulator on a host and port, plus an optional admin port.

The admin listener serves only `/_emulator`, so a test can still steer the emulator while the
Cromwell API is "down": `down` stops the API listener (new connections are refused, open ones
are dropped, as when Cromwell dies) and `up` listens again on the same port.
"""

import json
from types import TracebackType
from typing import Any

from aiohttp import web

from cromwes.emulator.app import create_emulator_app
from cromwes.emulator.appkeys import FAULTS, LISTENERS, SERVICE
from cromwes.emulator.config import EmulatorConfig
from cromwes.emulator.populate import SyntheticRequest
from cromwes.emulator.service import WorkflowService


class EmulatorServer:
    """One running emulator; `async with EmulatorServer(config, port=0) as server: ...`."""

    def __init__(
        self,
        config: EmulatorConfig,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        admin_port: int | None = None,
        faults: Any = None,
    ) -> None:
        self.config = config
        self.host = host
        self._requested_port = port
        self._requested_admin_port = admin_port
        self._initial_faults = faults
        self.app = create_emulator_app(config)
        self._runner = web.AppRunner(self.app, access_log=None)
        self._api_site: web.TCPSite | None = None
        self._admin_site: web.TCPSite | None = None
        self.port = port
        self.admin_port: int | None = None

    @property
    def url(self) -> str:
        return f"http://{_url_host(self.host)}:{self.port}"

    @property
    def admin_url(self) -> str | None:
        if self.admin_port is None:
            return None
        return f"http://{_url_host(self.host)}:{self.admin_port}"

    @property
    def service(self) -> WorkflowService:
        return self.app[SERVICE]

    async def start(self) -> None:
        await self._runner.setup()
        if self._requested_admin_port is not None:
            self._admin_site = web.TCPSite(self._runner, self.host, self._requested_admin_port)
            await self._admin_site.start()
            self.admin_port = self._admin_site.port
            self.app[LISTENERS].admin_ports.add(self.admin_port)
            self.app[FAULTS].switch = self
        document = self._initial_faults
        down = isinstance(document, dict) and bool(document.get("down"))
        if down and self._admin_site is None:
            await self.stop()
            raise ValueError("starting down needs an admin port (--admin-port)")
        if not down:
            await self._listen()
        if document is not None:
            await self.app[FAULTS].apply(document if not down else {**document, "down": False})
            self.app[FAULTS].down = down

    async def stop(self) -> None:
        await self._runner.cleanup()

    async def set_down(self, down: bool) -> None:
        """Close or reopen the Cromwell API listener (the `down` fault)."""
        if down and self._api_site is not None:
            await self._api_site.stop()
            self._api_site = None
            self._drop_api_connections()
        elif not down and self._api_site is None:
            await self._listen()

    async def preload(self, count: int) -> int:
        """Create `count` synthetic workflows of mixed statuses (`--preload-runs`)."""
        ids = await self.service.create_synthetic(SyntheticRequest(count=count, status="mixed"))
        return len(ids)

    async def scale_run(self, shards: int, **shape: Any) -> str:
        """One finished synthetic run with `shards` shards (`--scale-run`)."""
        request = SyntheticRequest(count=1, name="scale_run", shards=shards, **shape)
        return (await self.service.create_synthetic(request))[0]

    def describe(self) -> str:
        admin = f"admin {self.admin_url}, " if self.admin_url else ""
        return f"cromwes emulator listening on {self.url} ({admin}data {self.config.data_dir})"

    async def __aenter__(self) -> "EmulatorServer":
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _listen(self) -> None:
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()
        self._api_site = site
        self.port = site.port

    def _drop_api_connections(self) -> None:
        server = self._runner.server
        if server is None:
            return
        for connection in server.connections:
            transport = connection.transport
            sockname = transport.get_extra_info("sockname") if transport is not None else None
            if isinstance(sockname, tuple) and len(sockname) > 1 and sockname[1] == self.port:
                connection.force_close()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def faults_document(text: str | None) -> Any:
    """The `--faults` option: a JSON document (`{"rules": [...], "down": ...}` or a list)."""
    return json.loads(text) if text else None
