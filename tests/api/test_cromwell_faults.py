"""What a WES client sees when Cromwell misbehaves: a WES ErrorResponse within the timeout."""

import asyncio
import time
import uuid
from pathlib import Path

import aiohttp
import pytest
from pytest_aiohttp import AiohttpClient

from cromwes.app import create_app
from cromwes.config.loading import settings_from_tree
from cromwes.emulator.config import EmulatorConfig
from cromwes.emulator.server import EmulatorServer
from tests.api.conftest import MakeStack, Stack, Wes, hello_form


async def test_cromwell_unreachable_is_502_naming_its_url(make_stack: MakeStack) -> None:
    stack = await make_stack(settings={"cromwell": {"url": "http://127.0.0.1:9"}})
    reply = await stack.wes.get(f"runs/{uuid.uuid4()}/status", expect=502)
    assert "http://127.0.0.1:9" in reply.json["msg"]
    reply = await stack.wes.get("runs", expect=502)
    assert "Cannot reach Cromwell" in reply.json["msg"]


@pytest.mark.parametrize(
    ("fault", "status", "words"),
    [
        pytest.param({"kind": "error", "status": 500}, 502, "failed (500)", id="500"),
        pytest.param({"kind": "error", "status": 503}, 503, "unavailable", id="503-timeout-text"),
        pytest.param({"kind": "garbage"}, 502, "not JSON", id="garbage"),
        pytest.param({"kind": "reset"}, 502, "Cannot reach Cromwell", id="reset"),
    ],
)
async def test_cromwell_faults_become_wes_errors(
    stack: Stack, fault: dict[str, object], status: int, words: str
) -> None:
    run_id = await stack.wes.submit(hello_form())
    await stack.faults({"rules": [{"route": "status", **fault}]})
    reply = await stack.wes.get(f"runs/{run_id}/status", expect=status)
    assert words in reply.json["msg"]
    await stack.faults({"rules": []})
    await stack.wes.get(f"runs/{run_id}/status", expect=200)


async def test_slow_cromwell_is_504_within_the_timeout(make_stack: MakeStack) -> None:
    stack = await make_stack(settings={"cromwell": {"timeout": 0.5, "metadata_timeout": 0.5}})
    run_id = await stack.wes.submit(hello_form())
    await stack.faults({"rules": [{"route": "*", "kind": "latency", "seconds": 5}]})
    for path in (f"runs/{run_id}/status", f"runs/{run_id}"):
        started = time.monotonic()
        reply = await stack.wes.get(path, expect=504)
        assert time.monotonic() - started < 1.5
        assert "did not answer" in reply.json["msg"]


async def test_one_retry_for_an_idempotent_read(stack: Stack) -> None:
    run_id = await stack.wes.submit(hello_form())
    await stack.faults({"rules": [{"route": "status", "kind": "reset", "times": 1}]})
    await stack.wes.get(f"runs/{run_id}/status", expect=200)


async def test_no_free_cromwell_slot_is_503_with_retry_after(make_stack: MakeStack) -> None:
    stack = await make_stack(
        settings={"cromwell": {"max_concurrent_calls": 1, "queue_timeout": 0.2}}
    )
    run_id = await stack.wes.submit(hello_form())
    await stack.faults({"rules": [{"route": "status", "kind": "latency", "seconds": 2}]})
    slow = asyncio.create_task(stack.wes.get(f"runs/{run_id}/status"))
    await wait_until_cromwell_saw(stack, f"/{run_id}/status")
    reply = await stack.wes.get("runs", expect=503)
    assert reply.headers["Retry-After"] == "1"
    assert "in flight" in reply.json["msg"]
    assert (await slow).status == 200


async def wait_until_cromwell_saw(stack: Stack, path_part: str) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if await stack.requests_to_cromwell(path_part):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"Cromwell never received a request for {path_part}")


async def test_cromwell_down_then_back(aiohttp_client: AiohttpClient, tmp_path: Path) -> None:
    config = EmulatorConfig(data_dir=tmp_path / "emulator", mode="controlled")
    async with EmulatorServer(config, port=0, admin_port=0) as server:
        settings = settings_from_tree(
            {"cromwell": {"url": server.url, "timeout": 2, "connect_timeout": 1},
             "blob_storage_client": {"local": {"staging_path": str(tmp_path / "uploads")}}}
        )  # fmt: skip
        wes = Wes(await aiohttp_client(create_app(settings)))
        run_id = await wes.submit(hello_form())
        async with aiohttp.ClientSession() as admin:
            async with admin.put(f"{server.admin_url}/_emulator/faults", json={"down": True}):
                pass
            started = time.monotonic()
            reply = await wes.get(f"runs/{run_id}/status", expect=502)
            assert time.monotonic() - started < 2 + 1
            assert server.url in reply.json["msg"]
            async with admin.put(f"{server.admin_url}/_emulator/faults", json={"down": False}):
                pass
        await wes.get(f"runs/{run_id}/status", expect=200)


async def test_slow_metadata_alone_is_504_and_status_still_answers(make_stack: MakeStack) -> None:
    stack = await make_stack(settings={"cromwell": {"metadata_timeout": 0.5}})
    run_id = await stack.wes.submit(hello_form())
    await stack.faults({"rules": [{"route": "metadata", "kind": "latency", "seconds": 5}]})
    started = time.monotonic()
    await stack.wes.get(f"runs/{run_id}", expect=504)
    assert time.monotonic() - started < 0.5 + 1
    await stack.wes.get(f"runs/{run_id}/status", expect=200)
    await stack.faults({"rules": []})
    await stack.wes.get(f"runs/{run_id}", expect=200)
