"""Server-sent events over sockets (extensions): one run's events, and every visible run's states.

The emulator runs in controlled mode: a run moves only when a test moves it, and the gateway's
watchers see each move at their next look.
"""

import asyncio
import time
from contextlib import AsyncExitStack

import pytest

from tests.api.basic import PER_USER_BASIC_AUTH, as_user
from tests.api.conftest import MakeStack, Stack, hello_form
from tests.api.sse import Sse, Stream, open_stream
from tests.wes_spec import BASE

FAST = {"events": {"poll_interval": "0.2s"}, "cache": {"running_ttl": 0}}
"""Looks five times a second, each one reaching Cromwell: what the counting tests count."""


def is_state(state: str) -> "object":
    return lambda event: event.event == "state" and event.data["state"] == state


async def test_a_run_stream_tells_its_state_then_running_then_complete_and_ends(
    stack: Stack,
) -> None:
    run_id = await stack.wes.submit(hello_form())
    async with open_stream(stack.wes.client, f"{BASE}/runs/{run_id}/events") as stream:
        first = await stream.next()
        assert first.event == "state"
        assert first.data["run_id"] == run_id
        assert first.data["state"] == "QUEUED"
        assert first.data["time"].endswith("Z")
        await stack.move(run_id, "Running")
        running = await stream.until(is_state("RUNNING"))
        started = await stream.next()
        assert [e.event for e in running] == ["state"]
        assert started.event == "task"
        assert started.data["task_id"] == "hello_world.say_hello@1"
        assert (started.data["state"], started.data["change"]) == ("RUNNING", "started")
        await stack.move(run_id, "Succeeded")
        rest = await stream.rest()
    assert stream.ended
    assert [(e.event, e.data["state"]) for e in rest] == [
        ("task", "COMPLETE"), ("state", "COMPLETE")
    ]  # fmt: skip
    ended = rest[0].data
    assert (ended["task_id"], ended["change"], ended["exit_code"]) == (
        "hello_world.say_hello@1", "ended", 0,
    )  # fmt: skip
    ids = [e.id for e in [first, *running, started, *rest]]
    assert None not in ids
    assert len(set(ids)) == len(ids), "every event id is new"


async def test_a_new_stream_of_a_finished_run_tells_its_final_state_and_ends(stack: Stack) -> None:
    run_id = await stack.wes.submit(hello_form())
    await stack.move(run_id, "Failed")
    async with open_stream(stack.wes.client, f"{BASE}/runs/{run_id}/events") as stream:
        events = await stream.rest()
    assert [(e.event, e.data["state"]) for e in events] == [("state", "EXECUTOR_ERROR")]


async def finished_with_three_shards(stack: Stack) -> tuple[str, Sse, list[Sse]]:
    """A run seen RUNNING (three shards started), then to its end: the first event and the rest."""
    run_id = await stack.wes.submit(hello_form())
    await stack.move(run_id, "Running", shards=3)
    async with open_stream(stack.wes.client, f"{BASE}/runs/{run_id}/events") as stream:
        first = await stream.next()
        assert first.data["state"] == "RUNNING"
        await stack.move(run_id, "Succeeded")
        rest = await stream.rest()
    assert [e.event for e in rest] == ["task", "task", "task", "state"], rest
    return run_id, first, rest


async def test_last_event_id_resumes_without_repeating_anything(stack: Stack) -> None:
    run_id, first, rest = await finished_with_three_shards(stack)
    url = f"{BASE}/runs/{run_id}/events"
    for seen, expected in ((first, rest), (rest[0], rest[1:]), (rest[2], rest[3:])):
        assert seen.id is not None
        async with open_stream(stack.wes.client, url, headers={"Last-Event-ID": seen.id}) as again:
            assert await again.rest() == expected


async def test_a_client_that_saw_the_end_gets_204_so_eventsource_stops(stack: Stack) -> None:
    run_id, _, rest = await finished_with_three_shards(stack)
    assert rest[-1].id is not None
    async with stack.wes.client.get(
        f"{BASE}/runs/{run_id}/events", headers={"Last-Event-ID": rest[-1].id}
    ) as response:
        assert response.status == 204
        assert await response.read() == b""


async def test_history_tells_every_task_start_and_end_then_the_final_state(stack: Stack) -> None:
    run_id, _, rest = await finished_with_three_shards(stack)
    async with open_stream(stack.wes.client, f"{BASE}/runs/{run_id}/events?history=true") as s:
        history = await s.rest()
    changes = [(e.data.get("change"), e.data["state"]) for e in history]
    assert changes == [("started", "RUNNING")] * 3 + [("ended", "COMPLETE")] * 3 + [
        (None, "COMPLETE")
    ]
    assert {e.data["shard"] for e in history[:3]} == {0, 1, 2}
    # The same events as the live client got (their ids differ: this one was never told RUNNING).
    assert [(e.event, e.data) for e in history[-4:]] == [(e.event, e.data) for e in rest]


@pytest.mark.parametrize("header", ["bogus", "RUNNING.12.zz", "NOT_A_STATE.1.0000000000000000"])
async def test_a_last_event_id_the_service_never_sent_is_400(stack: Stack, header: str) -> None:
    run_id = await stack.wes.submit(hello_form())
    reply = await stack.wes.get(
        f"runs/{run_id}/events", headers={"Last-Event-ID": header}, expect=400
    )
    assert "Last-Event-ID" in reply.json["msg"]
    assert reply.json["status_code"] == 400


async def test_unknown_and_malformed_parameters_are_400(stack: Stack) -> None:
    run_id = await stack.wes.submit(hello_form())
    await stack.wes.get(f"runs/{run_id}/events?history=perhaps", expect=400)
    await stack.wes.get(f"runs/{run_id}/events?follow=true", expect=400)
    await stack.wes.get("events?state=DONE", expect=400)
    await stack.wes.get("events?tag=no-colon", expect=400)
    await stack.wes.get("events?page_size=3", expect=400)


async def test_a_stream_of_an_unknown_run_is_404(stack: Stack) -> None:
    reply = await stack.wes.get("runs/0191d0a4-4f5e-7000-8000-000000000000/events", expect=404)
    assert reply.json["status_code"] == 404


async def test_the_all_runs_stream_shows_a_run_submitted_after_it_opened(stack: Stack) -> None:
    earlier = await stack.wes.submit(hello_form(tags={"project": "events"}))
    async with open_stream(stack.wes.client, f"{BASE}/events") as stream:
        run_id = await stack.wes.submit(hello_form(tags={"project": "events"}))
        queued = await stream.until(lambda e: e.data["run_id"] == run_id)
        assert [e.data["run_id"] for e in queued] == [run_id], "no earlier run is repeated"
        assert queued[0].event == "state"
        assert queued[0].data["state"] == "QUEUED"
        assert queued[0].data["tags"] == {"project": "events"}
        assert queued[0].data["submitted_time"] == queued[0].data["time"]
        await stack.move(run_id, "Running")
        running = await stream.next()
        assert (running.data["run_id"], running.data["state"]) == (run_id, "RUNNING")
        assert running.data["name"] == "hello_world"
        await stack.move(earlier, "Succeeded")
        changes = await stream.until(
            lambda e: e.data["run_id"] == earlier and e.data["state"] == "COMPLETE"
        )
    assert {(e.data["run_id"], e.data["state"]) for e in changes} <= {
        (earlier, "RUNNING"),
        (earlier, "COMPLETE"),
    }


async def test_the_all_runs_stream_filters_by_state_and_tag(stack: Stack) -> None:
    url = f"{BASE}/events?state=COMPLETE&tag=project:kept"
    async with open_stream(stack.wes.client, url) as stream:
        other = await stack.wes.submit(hello_form(tags={"project": "other"}))
        kept = await stack.wes.submit(hello_form(tags={"project": "kept"}))
        for run_id in (other, kept):
            await stack.move(run_id, "Running")
            await stack.move(run_id, "Succeeded")
        event = await stream.next()
    assert (event.data["run_id"], event.data["state"]) == (kept, "COMPLETE")


async def test_another_users_runs_never_appear_with_per_user_runs(make_stack: MakeStack) -> None:
    stack = await make_stack(settings=PER_USER_BASIC_AUTH)
    alice, bob = as_user("alice"), as_user("bob")
    async with open_stream(stack.wes.client, f"{BASE}/events", headers=alice) as stream:
        bobs = await stack.wes.post("runs", data=hello_form(), headers=bob, expect=200)
        await stack.move(bobs.json["run_id"], "Running")
        alices = await stack.wes.post("runs", data=hello_form(), headers=alice, expect=200)
        await stack.move(alices.json["run_id"], "Running")
        seen = await stream.until(is_state("RUNNING"))
    assert {e.data["run_id"] for e in seen} == {alices.json["run_id"]}
    await stack.wes.get(f"runs/{bobs.json['run_id']}/events", headers=alice, expect=404)
    await stack.wes.get("events", expect=401)


async def test_fifty_subscribers_to_one_run_cost_cromwell_one_look_per_interval(
    make_stack: MakeStack,
) -> None:
    stack = await make_stack(settings=FAST)
    run_id = await stack.wes.submit(hello_form())
    await stack.move(run_id, "Running")
    url = f"{BASE}/runs/{run_id}/events"
    async with AsyncExitStack() as streams:
        opened: list[Stream] = [
            await streams.enter_async_context(open_stream(stack.wes.client, url)) for _ in range(60)
        ]
        for stream in opened:
            assert (await stream.next()).data["state"] == "RUNNING"
        async with stack.cromwell.delete("/_emulator/requests") as response:
            assert response.status == 200
        started = time.monotonic()
        looks = await looks_at(stack, run_id, at_least=10, within=20)
        elapsed = time.monotonic() - started
        # One look per interval (0.2 s), whatever the number of subscribers: 60 subscribers
        # polling on their own would make 300 calls a second.
        assert looks <= elapsed / 0.2 + 2, f"{looks} metadata calls in {elapsed:.2f} s"
        await stack.move(run_id, "Succeeded")
        for stream in opened:
            rest = await stream.rest()
            assert rest[-1].data["state"] == "COMPLETE"


async def looks_at(stack: Stack, run_id: str, *, at_least: int, within: float) -> int:
    """How many metadata calls for `run_id` Cromwell has had, once there are `at_least`."""
    deadline = time.monotonic() + within
    while True:
        count = len(await stack.requests_to_cromwell(f"/{run_id}/metadata"))
        if count >= at_least:
            return count
        assert time.monotonic() < deadline, f"only {count} metadata calls within {within} s"
        await asyncio.sleep(0.05)


async def test_a_client_that_hangs_up_stops_the_polling(make_stack: MakeStack) -> None:
    stack = await make_stack(settings=FAST)
    run_id = await stack.wes.submit(hello_form())
    await stack.move(run_id, "Running")
    async with open_stream(stack.wes.client, f"{BASE}/runs/{run_id}/events") as stream:
        await stream.next()
        before = await looks_at(stack, run_id, at_least=3, within=10)
        stream.response.connection.transport.abort()  # type: ignore[union-attr]
    assert before >= 3
    # Polling stops within the disconnect check: the count then stays still for ten intervals.
    deadline = time.monotonic() + 10
    while True:
        count = len(await stack.requests_to_cromwell(f"/{run_id}/metadata"))
        await asyncio.sleep(2.0)
        if len(await stack.requests_to_cromwell(f"/{run_id}/metadata")) == count:
            break
        assert time.monotonic() < deadline, "Cromwell is still polled for a client that hung up"


async def test_a_quiet_stream_carries_keep_alive_comments(make_stack: MakeStack) -> None:
    stack = await make_stack(settings={"events": {"keepalive_interval": "0.3s"}})
    run_id = await stack.wes.submit(hello_form())
    async with open_stream(stack.wes.client, f"{BASE}/runs/{run_id}/events") as stream:
        await stream.next()
        assert await stream.comment(within=5) == "ping"
        assert stream.response.headers["X-Accel-Buffering"] == "no"
        assert stream.response.headers["Cache-Control"] == "no-cache"
