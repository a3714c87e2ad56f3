"""What a WES client sees when Cromwell misbehaves: a WES ErrorResponse within the timeout."""

import asyncio
import time
import uuid

import pytest

from tests.api.conftest import MakeStack, Stack, hello_form


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
