"""`EmulatorServer`: the emulator's Cromwell API on a host and port, its control API on another.

The two are separate applications on separate listeners: the Cromwell port serves Cromwell's
API only, and the admin listener (always on loopback, only when an admin port is given) serves
`/_emulator` only, so a test can steer the emulator - and even stop its Cromwell API (`down`:
new connections are refused, open ones dropped, as when Cromwell dies; `up` listens again on
the same port) - while nothing that reaches the Cromwell port reaches the control API.

The emulator runs every submitted WDL command on this host as its user: it refuses to listen
anywhere but loopback unless told `allow_remote_commands`.
"""

import ipaddress
import json
from types import TracebackType
from typing import Any

from aiohttp import web

from cromwes.emulator.app import create_control_app, create_emulator_app
from cromwes.emulator.appkeys import FAULTS, SERVICE
from cromwes.emulator.config import EmulatorConfig
from cromwes.emulator.populate import SyntheticRequest
from cromwes.emulator.service import WorkflowService

LOOPBACK_NAMES = frozenset({"localhost"})
REMOTE_OPT_IN = "--allow-remote-command-execution"


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
        allow_remote_commands: bool = False,
    ) -> None:
        if not is_loopback(host) and not allow_remote_commands:
            raise ValueError(
                f"refusing to listen on {host!r}: the emulator runs every submitted WDL command"
                " on this host as its user, so whoever reaches its port can run commands here."
                " Listen on loopback (127.0.0.1, ::1, localhost), or pass"
                f" {REMOTE_OPT_IN} if that is really what you want"
            )
        self.config = config
        self.host = host
        self.admin_host = host if is_loopback(host) else "127.0.0.1"
        self._requested_admin_port = admin_port
        self._initial_faults = faults
        self.app = create_emulator_app(config)
        self._runner = web.AppRunner(self.app, access_log=None)
        self._admin_runner = web.AppRunner(create_control_app(self.app), access_log=None)
        self._api_site: web.TCPSite | None = None
        self.port = port
        self.admin_port: int | None = None

    @property
    def url(self) -> str:
        return f"http://{_url_host(self.host)}:{self.port}"

    @property
    def admin_url(self) -> str | None:
        if self.admin_port is None:
            return None
        return f"http://{_url_host(self.admin_host)}:{self.admin_port}"

    @property
    def service(self) -> WorkflowService:
        return self.app[SERVICE]

    async def start(self) -> None:
        await self._runner.setup()
        if self._requested_admin_port is not None:
            await self._admin_runner.setup()
            site = web.TCPSite(self._admin_runner, self.admin_host, self._requested_admin_port)
            await site.start()
            self.admin_port = site.port
            self.app[FAULTS].switch = self
        document = self._initial_faults
        down = isinstance(document, dict) and bool(document.get("down"))
        if down and self.admin_port is None:
            await self.stop()
            raise ValueError("starting down needs an admin port (--admin-port)")
        if not down:
            await self._listen()
        if document is not None:
            await self.app[FAULTS].apply(document if not down else {**document, "down": False})
            self.app[FAULTS].down = down

    async def stop(self) -> None:
        await self._admin_runner.cleanup()
        await self._runner.cleanup()

    async def set_down(self, down: bool) -> None:
        """Close or reopen the Cromwell API listener (the `down` fault)."""
        if down and self._api_site is not None:
            await self._api_site.stop()
            self._api_site = None
            # Stopping a site only closes its socket; Cromwell dying drops open connections too.
            if self._runner.server is not None:
                for connection in self._runner.server.connections:
                    connection.force_close()
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

    def endpoints(self) -> dict[str, str | None]:
        """What a parent process needs to use this emulator (`--ready-fd`)."""
        return {
            "url": self.url,
            "admin_url": self.admin_url,
            "data_dir": str(self.config.data_dir),
            "executions_dir": str(self.config.executions_dir),
        }

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


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def faults_document(text: str | None) -> Any:
    """The `--faults` option: a JSON document (`{"rules": [...], "down": ...}` or a list)."""
    return json.loads(text) if text else None
