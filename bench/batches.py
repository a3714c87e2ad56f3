"""Batch figures: a POST /batches of 1,000 elements, then reading and cancelling that batch.

`python -m bench.batches` starts its own stack (emulator in controlled mode and a gateway, each
in its own process, defaults otherwise) and prints the rows; `batch_rows(stack)` gives the same
rows as (measure, figure, goal, met) for `make bench`'s table. Loopback only, bounded in time.
"""

import asyncio
import json
import sys
import time
from pathlib import Path

import aiohttp

from bench.stack import Stack, stack

ELEMENTS = 1000
"""The default `batches.max_runs`: the largest batch a default gateway takes."""
GOAL_SECONDS = 30.0
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "hello-world.wdl"
MeasureRow = tuple[str, str, str, bool | None]


def batch_form(elements: int) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("workflow_url", "hello-world.wdl")
    form.add_field("workflow_type", "WDL")
    form.add_field("workflow_type_version", "1.0")
    params = [{"hello_world.name": f"sample-{index:05d}"} for index in range(elements)]
    form.add_field("workflow_params", json.dumps(params))
    form.add_field("tags", json.dumps({"bench": "batches"}))
    form.add_field("workflow_attachment", EXAMPLE.read_bytes(), filename="hello-world.wdl")
    return form


async def _timed(bench: Stack, elements: int) -> tuple[float, float, float, int, int]:
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        started = time.monotonic()
        async with session.post(f"{bench.wes}/batches", data=batch_form(elements)) as reply:
            body = await reply.json()
            if reply.status != 200:
                raise SystemExit(f"POST /batches answered {reply.status}: {body}")
        submitted = time.monotonic() - started
        batch = f"{bench.wes}/batches/{body['batch_id']}"
        started = time.monotonic()
        async with session.get(batch) as reply:
            listed = len((await reply.json())["run_ids"])
        read = time.monotonic() - started
        started = time.monotonic()
        async with session.post(f"{batch}/cancel") as reply:
            cancelled = len((await reply.json())["run_ids"])
        cancel = time.monotonic() - started
    return submitted, read, cancel, listed, cancelled


def batch_rows(bench: Stack, elements: int = ELEMENTS) -> list[MeasureRow]:
    submitted, read, cancel, listed, cancelled = asyncio.run(_timed(bench, elements))
    return [
        (f"POST /batches, {elements} elements (one attachment)", f"{submitted:.1f} s",
         f"< {GOAL_SECONDS:g} s", submitted < GOAL_SECONDS),
        (f"GET /batches/{{id}}, {listed} runs", f"{read * 1000:.0f} ms", "", None),
        (f"POST /batches/{{id}}/cancel, {cancelled} runs", f"{cancel:.1f} s", "", None),
    ]  # fmt: skip


def main() -> None:
    elements = int(sys.argv[1]) if len(sys.argv) > 1 else ELEMENTS
    with stack() as bench:
        rows = batch_rows(bench, elements)
    print("| measure | figure | goal | met |\n| --- | --- | --- | --- |")
    for measure, figure, goal, met in rows:
        print(f"| {measure} | {figure} | {goal} | {({True: 'yes', False: 'NO', None: ''})[met]} |")


if __name__ == "__main__":
    main()
