"""Fixtures of the emulator tests: an emulator on ephemeral ports, and a client for it."""

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pytest_aiohttp import AiohttpServer

from cromwes.emulator.config import EmulatorConfig
from tests.emulated import emulated_cromwell
from tests.emulator.contract import SWAGGER_DEVIATIONS
from tests.emulator.structure import Swagger

Connect = Callable[..., Awaitable[aiohttp.ClientSession]]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "emulator"


@pytest.fixture
async def connect(aiohttp_server: AiohttpServer, data_dir: Path) -> AsyncIterator[Connect]:
    """Start an emulator (config fields as keyword arguments) over real sockets and return a
    client session whose relative URLs go to it: Cromwell API paths to its Cromwell port,
    `/_emulator` paths to its admin listener."""
    sessions: list[aiohttp.ClientSession] = []

    async def go(**config: Any) -> aiohttp.ClientSession:
        config.setdefault("data_dir", data_dir)
        emulator = await emulated_cromwell(aiohttp_server, EmulatorConfig(**config))
        session = aiohttp.ClientSession(base_url=emulator.url, middlewares=(emulator.routing(),))
        sessions.append(session)
        return session

    yield go
    for session in sessions:
        await session.close()


@pytest.fixture
async def controlled(connect: Connect) -> aiohttp.ClientSession:
    """An emulator in controlled mode: workflows move only when a test says so."""
    return await connect(mode="controlled")


@pytest.fixture
async def executing(connect: Connect) -> aiohttp.ClientSession:
    """An emulator in execute mode (runs WDL through miniwdl)."""
    return await connect()


@pytest.fixture(scope="session")
def swagger(shared_dir: Path) -> Swagger:
    """Cromwell's swagger, with the deviations real Cromwell shows (`contract.py`)."""
    return Swagger(shared_dir / "cromwell" / "cromwell-api.yaml", SWAGGER_DEVIATIONS)
