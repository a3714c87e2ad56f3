"""Fault knobs: latency, errors, garbage, resets, and "down" with the admin listener."""

import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from cromwes.emulator.config import EmulatorConfig
from cromwes.emulator.server import EmulatorServer
from tests.emulator.conftest import Connect
from tests.emulator.helpers import API, HELLO_DRAFT2, get_json, submit

STATUS = f"{API}/{uuid.uuid4()}/status"
"""A Cromwell route that answers 404 unless faulted."""


async def put_faults(session: aiohttp.ClientSession, document: Any, expect: int = 200) -> Any:
    async with session.put("/_emulator/faults", json=document) as response:
        body = await response.json()
        assert response.status == expect, body
        return body


async def test_latency_delays_only_its_route(controlled: aiohttp.ClientSession) -> None:
    await put_faults(controlled, [{"route": "status", "kind": "latency", "seconds": 0.3}])
    started = time.monotonic()
    await get_json(controlled, STATUS, expect=404)
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    await get_json(controlled, "/engine/v1/version")
    await get_json(controlled, "/_emulator/faults")
    assert time.monotonic() - started < 0.3


async def test_error_with_times_then_recovery(controlled: aiohttp.ClientSession) -> None:
    faults = await put_faults(
        controlled, {"rules": [{"route": "*", "kind": "error", "status": 500, "times": 2}]}
    )
    assert faults["rules"][0]["times"] == 2
    for _ in range(2):
        body = await get_json(controlled, "/engine/v1/version", expect=500)
        assert body == {"status": "error", "message": "Emulated fault on route version"}
    assert (await get_json(controlled, "/_emulator/faults"))["rules"][0]["times"] == 0
    assert await get_json(controlled, "/engine/v1/version") == {"cromwell": "87"}


async def test_client_error_status_uses_fail(controlled: aiohttp.ClientSession) -> None:
    await put_faults(
        controlled, [{"route": "query", "kind": "error", "status": 400, "body": "nope"}]
    )
    body = await get_json(controlled, f"{API}/query", expect=400)
    assert body == {"status": "fail", "message": "nope"}


async def test_garbage_is_a_200_that_is_not_json(controlled: aiohttp.ClientSession) -> None:
    await put_faults(controlled, [{"route": "metadata", "kind": "garbage"}])
    async with controlled.get(f"{API}/{uuid.uuid4()}/metadata") as response:
        assert response.status == 200
        text = await response.text()
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


async def test_reset_drops_the_connection(controlled: aiohttp.ClientSession) -> None:
    # Every time: aiohttp's client retries an idempotent request once on a reused connection.
    await put_faults(controlled, [{"route": "status", "kind": "reset"}])
    with pytest.raises(aiohttp.ClientConnectionError):
        async with controlled.get(STATUS) as response:
            await response.read()
    async with controlled.delete("/_emulator/faults") as response:
        assert response.status == 200
    await get_json(controlled, STATUS, expect=404)


async def test_rate_zero_never_fires_and_rules_are_validated(
    controlled: aiohttp.ClientSession,
) -> None:
    await put_faults(controlled, [{"route": "status", "kind": "error", "rate": 0.0}])
    await get_json(controlled, STATUS, expect=404)
    for bad in ([{"route": "nowhere"}], [{"kind": "explode"}], [{"rate": 2}], [{"colour": 1}]):
        problem = await put_faults(controlled, bad, expect=400)
        assert problem["error"]


async def test_control_api_is_never_faulted_and_reset_clears(
    controlled: aiohttp.ClientSession,
) -> None:
    await put_faults(controlled, [{"route": "*", "kind": "error", "status": 500}])
    assert (await get_json(controlled, "/_emulator/stats"))["workflows"] == 0
    await get_json(controlled, "/engine/v1/version", expect=500)
    async with controlled.post("/_emulator/reset") as response:
        assert response.status == 200
    assert await get_json(controlled, "/_emulator/faults") == {"rules": [], "down": False}
    assert await get_json(controlled, "/_emulator/requests") == []
    await get_json(controlled, "/engine/v1/version")


async def test_down_needs_the_admin_listener(controlled: aiohttp.ClientSession) -> None:
    refused = await put_faults(controlled, {"rules": [], "down": True}, expect=409)
    assert "admin listener" in refused["error"]


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[EmulatorServer]:
    config = EmulatorConfig(data_dir=tmp_path / "emulator", mode="controlled")
    async with EmulatorServer(config, port=0, admin_port=0) as running:
        yield running


async def test_down_refuses_connections_and_comes_back(server: EmulatorServer) -> None:
    assert server.admin_url is not None
    async with (
        aiohttp.ClientSession(base_url=server.url) as api,
        aiohttp.ClientSession(base_url=server.admin_url) as admin,
    ):
        submitted = await submit(api, HELLO_DRAFT2)
        port = server.port
        down = await put_faults(admin, {"rules": [], "down": True})
        assert down["down"] is True
        with pytest.raises(aiohttp.ClientConnectionError):
            async with api.get(f"{API}/{submitted['id']}/status") as response:
                await response.read()
        stats = await get_json(admin, "/_emulator/stats")
        assert stats["submissions"] == 1
        async with admin.get(f"{API}/{submitted['id']}/status") as response:
            assert response.status == 404  # the admin listener serves /_emulator only
        up = await put_faults(admin, {"rules": [], "down": False})
        assert up["down"] is False
        assert server.port == port
        status = await get_json(api, f"{API}/{submitted['id']}/status")
        assert status == {"id": submitted["id"], "status": "Submitted"}


async def test_starting_down_with_faults_from_the_command_line(tmp_path: Path) -> None:
    config = EmulatorConfig(data_dir=tmp_path / "emulator")
    faults = {"rules": [{"route": "version", "kind": "error", "status": 502}], "down": True}
    async with EmulatorServer(config, port=0, admin_port=0, faults=faults) as server:
        assert server.admin_url is not None
        async with aiohttp.ClientSession(base_url=server.admin_url) as admin:
            current = await get_json(admin, "/_emulator/faults")
            assert current["down"] is True
            await put_faults(admin, {"rules": current["rules"], "down": False})
        async with aiohttp.ClientSession(base_url=server.url) as api:
            await get_json(api, "/engine/v1/version", expect=502)
    with pytest.raises(ValueError, match="admin port"):
        await EmulatorServer(config, port=0, faults={"down": True}).start()


async def test_faults_from_config_apply_per_app(connect: Connect, tmp_path: Path) -> None:
    first = await connect(mode="controlled")
    second = await connect(mode="controlled", data_dir=tmp_path / "second")
    await put_faults(first, [{"route": "*", "kind": "error"}])
    await get_json(first, "/engine/v1/version", expect=500)
    await get_json(second, "/engine/v1/version")
