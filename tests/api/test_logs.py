"""Log endpoints: follow mode, translated log paths, and memory on big transfers."""

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.api.conftest import MakeStack, Stack, workflow_form

WAITER = b"""version 1.0
workflow waiter {
  input {
    String marker
  }
  call wait_for { input: marker = marker }
}
task wait_for {
  input {
    String marker
  }
  command <<<
    echo first
    while [ ! -f "~{marker}" ]; do sleep 0.05; done
    echo second
  >>>
}
"""


def waiter_form(marker: Path) -> aiohttp.FormData:
    return workflow_form(
        "waiter.wdl", {"waiter.wdl": WAITER}, params={"waiter.marker": str(marker)}
    )


async def first_task(stack: Stack, run_id: str, within: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        tasks = (await stack.wes.get(f"runs/{run_id}/tasks", expect=200)).json["task_logs"]
        if tasks and "stdout" in tasks[0]:
            task: dict[str, Any] = tasks[0]
            return task
        await asyncio.sleep(0.1)
    raise AssertionError(f"run {run_id} never showed a task with a stdout")


@pytest.mark.wdl
async def test_follow_streams_bytes_written_after_the_request(
    wdl_stack: Stack, tmp_path: Path
) -> None:
    marker = tmp_path / "go"
    run_id = await wdl_stack.wes.submit(waiter_form(marker))
    task = await first_task(wdl_stack, run_id)
    path = f"/ga4gh/wes/v1/runs/{run_id}/logs/task/{task['id']}/stdout?follow=true"
    async with wdl_stack.wes.client.get(path) as response:
        assert response.status == 200
        assert response.headers["Transfer-Encoding"] == "chunked"
        received = b""
        while b"first\n" not in received:
            received += await asyncio.wait_for(response.content.readany(), timeout=30)
        assert b"second" not in received
        await asyncio.to_thread(marker.touch)
        received += await asyncio.wait_for(response.content.read(), timeout=60)
    assert received == b"first\nsecond\n"


async def test_translated_outputs_and_log_paths(make_stack: MakeStack, tmp_path: Path) -> None:
    """Cromwell writes under its executions root; the gateway sees that disk mounted elsewhere."""
    cromwell_root = tmp_path / "emulator" / "cromwell-executions"
    mounted = tmp_path / "mounted"
    stack = await make_stack(
        settings={
            "path_translations": [
                {"prefix": str(cromwell_root), "replacement": str(mounted), "location": "OUTPUTS"}
            ],
            "blob_storage_client": {"local": {"allowed_read_roots": [str(mounted)]}},
        }
    )
    [run_id] = await stack.synthetic(count=1, status="Succeeded", shards=1)
    log = (await stack.wes.get(f"runs/{run_id}", expect=200)).json
    await asyncio.to_thread(cromwell_root.rename, mounted)
    outputs = json.dumps(log["outputs"])
    assert str(mounted) in outputs
    assert str(cromwell_root) not in outputs
    task = log["task_logs"][0]
    reply = await stack.wes.get(f"runs/{run_id}/logs/task/{task['id']}/stdout", expect=200)
    assert reply.body


async def emulator_record(stack: Stack, run_id: str) -> dict[str, Any]:
    async with stack.cromwell.get(f"/_emulator/workflows/{run_id}") as response:
        record: dict[str, Any] = await response.json()
    return record


async def test_each_log_is_served_as_what_it_is(stack: Stack) -> None:
    [failed, succeeded] = [
        (await stack.synthetic(count=1, status=status, shards=0))[0]
        for status in ("Failed", "Succeeded")
    ]
    failures = await stack.wes.get(f"runs/{failed}/logs/stderr", expect=200)
    assert failures.headers["Content-Type"] == "application/json"
    assert json.loads(failures.body)[0]["message"]
    none = await stack.wes.get(f"runs/{succeeded}/logs/stderr", expect=200)
    assert none.headers["Content-Type"] == "application/json"
    assert json.loads(none.body) == []
    part = await stack.wes.get(
        f"runs/{failed}/logs/stderr", headers={"Range": "bytes=0-0"}, expect=206
    )
    assert (part.headers["Content-Type"], part.body) == ("application/json", b"[")
    task = (await stack.wes.get(f"runs/{succeeded}/tasks", expect=200)).json["task_logs"][0]
    for stream in ("stdout", "stderr"):
        reply = await stack.wes.get(f"runs/{succeeded}/logs/task/{task['id']}/{stream}", expect=200)
        assert reply.headers["Content-Type"].split(";")[0] == "text/plain"
        assert reply.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("follow", ["maybe", "yes", "true&follow=false"])
async def test_a_follow_that_is_not_a_boolean_is_400(stack: Stack, follow: str) -> None:
    [run_id] = await stack.synthetic(count=1, status="Running", shards=1)
    [task] = (await stack.wes.get(f"runs/{run_id}/tasks", expect=200)).json["task_logs"]
    reply = await stack.wes.get(
        f"runs/{run_id}/logs/task/{task['id']}/stdout?follow={follow}", expect=400
    )
    assert "follow" in reply.json["msg"]
