"""A preempted attempt over sockets: the run's events say it ended PREEMPTED, and a follow of its
log ends, because both read one definition (`cromwes.translate.attempts`).

Cromwell shows a preemption in two ways, and both are served here: the controlled emulator
makes today's (`RetryableFailure` with `backendStatus: Preempted`, as
more/metadata-preempted-retryablefailure-papi-v53.json), and a replaying Cromwell serves the
2016 docs example (`executionStatus: Preempted`, metadata-scatter-preempted-retry.json).
"""

import asyncio
from pathlib import Path

from tests.api.conftest import MakeReplay, Stack, hello_form
from tests.api.replay import ReplayingCromwell
from tests.api.sse import Sse, open_stream
from tests.recordings import replayable
from tests.wes_spec import BASE

FOLLOW_DEADLINE = 20.0
"""Seconds a follow of an attempt that has ended may take; it never needs more than one look."""


def is_task(task_id: str, change: str) -> "object":
    return lambda e: (
        e.event == "task" and (e.data["task_id"], e.data["change"]) == (task_id, change)
    )


async def test_a_preempted_attempt_ended_preempted_and_its_follow_ends(stack: Stack) -> None:
    run_id = await stack.wes.submit(hello_form())
    # Attempt 1 preempted, attempt 2 running (PAPI's words, the emulator's `retries_as`).
    await stack.move(run_id, "Running", retries=1, retries_as="preempted")
    preempted, retry = "hello_world.say_hello@1", "hello_world.say_hello@2"
    url = f"{BASE}/runs/{run_id}/events?history=true"
    async with open_stream(stack.wes.client, url) as stream:
        events = await stream.until(is_task(retry, "retried"))
    ended = _ended(events, preempted)
    assert (ended["state"], ended["cromwell_status"], ended["retryable"]) == (
        "PREEMPTED", "RetryableFailure", True,
    )  # fmt: skip
    assert ended["exit_code"] is None, "a preempted attempt has no exit code"
    status = (await stack.wes.get(f"runs/{run_id}/status", expect=200)).json["state"]
    assert status == "RUNNING", "the run goes on: only the attempt ended"
    async with asyncio.timeout(FOLLOW_DEADLINE):
        reply = await stack.wes.get(
            f"runs/{run_id}/logs/task/{preempted}/stdout?follow=true", expect=200
        )
    # What the emulator wrote for that attempt when it ended, whole.
    assert reply.body == b"hello_world.say_hello shard -1 attempt 1: synthetic stdout\n"


async def test_a_follow_of_an_attempt_cromwell_calls_preempted_ends(
    make_replay: MakeReplay, tmp_path: Path
) -> None:
    """Before, the events said this attempt ended while a follow of its log went on for
    `logs.follow_max_duration` (an hour by default)."""
    body = replayable("metadata-scatter-preempted-retry.json")
    executions = "/home/jdoe/cromwell/cromwell-executions"
    # The docs example leaves out `workflowRoot`, which Cromwell writes (metadata-succeeded.json)
    # and which tells the gateway which files are the run's own.
    body["workflowRoot"] = f"{executions}/sc_test/{body['id']}"
    cromwell = ReplayingCromwell()
    run_id = cromwell.add(body)
    mounted = tmp_path / "executions"
    stdout = mounted / "sc_test" / run_id / "call-do_scatter" / "shard-0" / "stdout"
    stdout.parent.mkdir(parents=True)
    stdout.write_bytes(b"words before the preemption\n")
    replay = await make_replay(
        cromwell,
        path_translations=[{"prefix": executions, "replacement": str(mounted)}],
        blob_storage_client={"local": {"allowed_read_roots": [str(mounted)]}},
    )
    preempted = "sc_test.do_scatter:0@1"
    async with open_stream(replay.wes.client, f"{BASE}/runs/{run_id}/events?history=true") as s:
        events = await s.rest()
    ended = _ended(events, preempted)
    assert (ended["state"], ended["cromwell_status"]) == ("PREEMPTED", "Preempted")
    assert [e.data["state"] for e in events if e.event == "state"] == ["COMPLETE"]
    async with asyncio.timeout(FOLLOW_DEADLINE):
        reply = await replay.wes.get(
            f"runs/{run_id}/logs/task/{preempted}/stdout?follow=true", expect=200
        )
    assert reply.body == b"words before the preemption\n"


def _ended(events: list[Sse], task_id: str) -> dict[str, object]:
    [ended] = [e.data for e in events if is_task(task_id, "ended")(e)]  # type: ignore[operator]
    return ended
