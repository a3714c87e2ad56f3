"""A client that hangs up: its follow stops polling, and nobody else loses their answer."""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import aiohttp

from tests.api.conftest import MakeStack, Stack

FAST_POLLS = {"cache": {"running_ttl": 0}, "logs": {"follow_poll_interval": 0.05}}
"""Every follow poll asks Cromwell for metadata, twenty times a second."""


async def running_task(stack: Stack) -> tuple[str, str]:
    [run_id] = await stack.synthetic(count=1, status="Running", shards=1)
    [task] = (await stack.wes.get(f"runs/{run_id}/tasks", expect=200)).json["task_logs"]
    return run_id, str(task["id"])


@asynccontextmanager
async def following(stack: Stack, run_id: str, task_id: str) -> AsyncIterator[None]:
    """A follow of the task's stdout on a connection of its own, hung up on leaving."""
    url = stack.wes.client.make_url(
        f"/ga4gh/wes/v1/runs/{run_id}/logs/task/{task_id}/stdout?follow=true"
    )
    async with aiohttp.ClientSession() as session:
        response = await session.get(url)
        assert response.status == 200
        assert await asyncio.wait_for(response.content.readany(), timeout=10), "first bytes"
        yield
        response.close()  # drops the connection: the client hangs up


async def metadata_requests(stack: Stack, run_id: str) -> int:
    return len(await stack.requests_to_cromwell(f"/{run_id}/metadata"))


async def until(what: str, check: Callable[[], Awaitable[bool]], within: float = 10) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never happened within {within:g} s: {what}")


async def follows_answered(stack: Stack) -> bool:
    """Whether the gateway has finished answering a follow (its request counter shows it)."""
    metrics = (await stack.wes.get("/metrics", expect=200)).body.decode()
    return any(
        line.startswith("cromwes_http_requests_total") and "/logs/task/" in line
        for line in metrics.splitlines()
    )


async def test_follow_stops_polling_cromwell_once_the_client_hangs_up(
    make_stack: MakeStack,
) -> None:
    stack = await make_stack(settings=FAST_POLLS)
    run_id, task_id = await running_task(stack)
    before = await metadata_requests(stack, run_id)
    async with following(stack, run_id, task_id):

        async def polling() -> bool:
            return await metadata_requests(stack, run_id) >= before + 3

        await until("the follow polled Cromwell's metadata", polling)
    # follow_max_duration is an hour: only noticing the hang-up ends this request.
    await until("the gateway ended the follow", lambda: follows_answered(stack))
    polls = await metadata_requests(stack, run_id)
    await stack.wes.get(f"runs/{run_id}/status", expect=200)
    journal = await stack.requests_to_cromwell(f"/{run_id}/")
    assert journal[-1]["path"].endswith("/status"), "nothing reached Cromwell after the marker"
    assert await metadata_requests(stack, run_id) == polls, "no metadata poll after the end"


async def test_a_client_hanging_up_does_not_cancel_another_waiting_on_the_same_load(
    make_stack: MakeStack,
) -> None:
    """The follow's metadata check and another client's run log share one slow Cromwell call;
    the follow's client hangs up while both wait; the other client still gets its run log."""
    stack = await make_stack(settings=FAST_POLLS)
    run_id, task_id = await running_task(stack)
    async with following(stack, run_id, task_id):
        await stack.faults({"rules": [{"route": "metadata", "kind": "latency", "seconds": 3}]})
        slow_from = await metadata_requests(stack, run_id)

        async def follow_waits_on_slow_metadata() -> bool:
            return await metadata_requests(stack, run_id) > slow_from

        await until("the follow's check reached the slow metadata", follow_waits_on_slow_metadata)
        other = asyncio.create_task(stack.wes.get(f"runs/{run_id}"))

        async def other_is_in_flight() -> bool:
            metrics = (await stack.wes.get("/metrics", expect=200)).body.decode()
            return "cromwes_http_requests_in_flight 3.0" in metrics  # follow, other, this scrape

        await until("the other client's request is being answered", other_is_in_flight)
    reply = await other
    assert reply.status == 200, reply.body[:300]
    assert reply.json["state"] == "RUNNING"
    assert await metadata_requests(stack, run_id) == slow_from + 1, "one shared Cromwell call"
