"""Attachments and logs stream through the gateway: memory stays flat whatever the size.

The gateway runs in this test's process, so the process's peak RSS (reset through
/proc/self/clear_refs before each transfer) bounds what the gateway held.
"""

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp

from tests.api.conftest import Stack, hello_form

LIMIT = 64 * 2**20


def _kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(field)


@contextmanager
def peak_growth() -> Iterator[list[int]]:
    """Yields a list that receives the growth of this process's peak RSS, in bytes."""
    Path("/proc/self/clear_refs").write_text("5")
    before = _kib("VmRSS")
    result: list[int] = []
    yield result
    result.append((_kib("VmHWM") - before) * 1024)


async def test_a_100_mb_attachment_streams_to_storage(stack: Stack, tmp_path: Path) -> None:
    big = tmp_path / "reads.bin"
    await asyncio.to_thread(big.touch)
    await asyncio.to_thread(os.truncate, big, 100 * 2**20)
    form = hello_form()
    with big.open("rb") as payload, peak_growth() as growth:
        form.add_field("workflow_attachment", payload, filename="reads.bin")
        await stack.wes.post("runs", data=form, expect=200)
    staged = await asyncio.to_thread(lambda: list((tmp_path / "uploads").rglob("reads.bin")))
    assert [p.stat().st_size for p in staged] == [100 * 2**20]
    assert growth[0] < LIMIT, f"peak RSS grew {growth[0] / 2**20:.1f} MiB"


async def test_a_200_mb_workflow_file_is_413_without_being_held(
    stack: Stack, tmp_path: Path
) -> None:
    """Workflow files are kept in memory for Cromwell, so they have a small limit of their own
    (uploads.max_in_memory_size, 16 MiB by default) rather than the 1 GiB per file."""
    big = tmp_path / "big.wdl"
    await asyncio.to_thread(big.touch)
    await asyncio.to_thread(os.truncate, big, 200 * 2**20)
    form = hello_form()
    with big.open("rb") as payload, peak_growth() as growth:
        form.add_field("workflow_attachment", payload, filename="big.wdl")
        reply = await stack.wes.post("runs", data=form, expect=413)
    assert "uploads.max_in_memory_size" in reply.json["msg"]
    assert growth[0] < LIMIT, f"peak RSS grew {growth[0] / 2**20:.1f} MiB"
    assert await stack.requests_to_cromwell("/api/workflows/v1") == []


async def test_a_1_gib_log_streams_from_storage(stack: Stack) -> None:
    [run_id] = await stack.synthetic(count=1, status="Succeeded", shards=0)
    task = (await stack.wes.get(f"runs/{run_id}/tasks", expect=200)).json["task_logs"][0]
    async with stack.cromwell.get(f"/api/workflows/v1/{run_id}/metadata") as response:
        metadata = await response.json()
    [call] = next(iter(metadata["calls"].values()))
    await asyncio.to_thread(os.truncate, call["stdout"], 2**30)
    received = 0
    url = f"/ga4gh/wes/v1/runs/{run_id}/logs/task/{task['id']}/stdout"
    with peak_growth() as growth:
        async with stack.wes.client.get(url, timeout=aiohttp.ClientTimeout(total=300)) as reply:
            assert reply.status == 200
            async for chunk in reply.content.iter_chunked(2**20):
                received += len(chunk)
    assert received == 2**30
    assert growth[0] < LIMIT, f"peak RSS grew {growth[0] / 2**20:.1f} MiB"
