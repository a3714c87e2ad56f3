"""A gateway in front of the emulator, both on real loopback ports, for tests that drive them
from outside the process (curl, real WES clients, schemathesis)."""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from cromwes.app import create_app
from cromwes.config.loading import settings_from_tree
from cromwes.emulator.config import EmulatorConfig
from tests.api.conftest import merged
from tests.emulated import emulated_cromwell
from tests.wes_spec import BASE


@dataclass(frozen=True)
class Live:
    gateway: TestServer
    emulator: TestServer
    """The emulator's Cromwell API (the gateway's `cromwell.url`)."""
    emulator_admin: TestServer
    """The emulator's `/_emulator` control API, on its own listener."""

    @property
    def gateway_url(self) -> str:
        return str(self.gateway.make_url("")).rstrip("/")

    @property
    def emulator_url(self) -> str:
        return str(self.emulator.make_url("")).rstrip("/")

    @property
    def admin_url(self) -> str:
        """Where `/_emulator/...` is served (never on `emulator_url`)."""
        return str(self.emulator_admin.make_url("")).rstrip("/")

    @property
    def wes_url(self) -> str:
        return self.gateway_url + BASE


async def live_stack(
    aiohttp_server: AiohttpServer,
    tmp_path: Path,
    *,
    mode: Literal["execute", "controlled"] = "execute",
    settings: Mapping[str, Any] | None = None,
) -> Live:
    data_dir = tmp_path / "emulator"
    config = EmulatorConfig(
        data_dir=data_dir, mode="execute" if mode == "execute" else "controlled"
    )
    emulator = await emulated_cromwell(aiohttp_server, config)
    tree = merged(
        {
            "cromwell": {"url": emulator.url},
            "blob_storage_client": {
                "local": {
                    "staging_path": str(tmp_path / "uploads"),
                    "allowed_read_roots": [str(data_dir)],
                }
            },
        },
        settings or {},
    )
    gateway: TestServer = await aiohttp_server(create_app(settings_from_tree(tree)))
    return Live(gateway, emulator.api, emulator.admin)
