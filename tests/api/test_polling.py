"""The gateway absorbs polling: finished runs are never asked again, identical concurrent reads
make one Cromwell call, answers are held briefly, and changes made through the gateway show at
once. Every count is read from the emulator's log of the requests it received."""

import asyncio
import time

from prometheus_client.parser import text_string_to_metric_families

from tests.api.conftest import MakeStack, Stack, hello_form

CLIENTS = 16
SLOW = 0.5
"""Cromwell's added latency in the coalescing tests: every poll arrives while the first call is
still being answered."""


async def cromwell_calls(stack: Stack, path_part: str, method: str = "GET") -> int:
    return sum(
        1
        for entry in await stack.requests_to_cromwell(path_part)
        if entry["method"] == method and not entry["path"].startswith("/_emulator")
    )


async def forget_requests(stack: Stack) -> None:
    async with stack.cromwell.delete("/_emulator/requests") as response:
        assert response.status in (200, 204), await response.text()


async def finished_run(stack: Stack) -> str:
    run_id = await stack.wes.submit(hello_form(controlled=True))
    await stack.move(run_id, "Succeeded")
    return run_id


async def test_a_finished_run_is_never_asked_for_its_status_or_metadata_again(
    stack: Stack,
) -> None:
    run_id = await finished_run(stack)
    reply = await stack.wes.get(f"runs/{run_id}/status", expect=200)
    assert reply.json["state"] == "COMPLETE"
    await stack.wes.get(f"runs/{run_id}", expect=200)
    await forget_requests(stack)
    for _ in range(10):
        status = await stack.wes.get(f"runs/{run_id}/status", expect=200)
        assert status.json["state"] == "COMPLETE"
        run_log = await stack.wes.get(f"runs/{run_id}", expect=200)
        assert run_log.json["state"] == "COMPLETE"
        await stack.wes.get(f"runs/{run_id}/tasks", expect=200)
    assert await stack.requests_to_cromwell(run_id) == []


async def test_a_run_seen_finished_in_a_listing_is_not_asked_for_its_status(
    stack: Stack,
) -> None:
    run_id = await finished_run(stack)
    listed = await stack.wes.get("runs", expect=200)
    assert {"run_id": run_id, "state": "COMPLETE"}.items() <= listed.json["runs"][0].items()
    await forget_requests(stack)
    reply = await stack.wes.get(f"runs/{run_id}/status", expect=200)
    assert reply.json["state"] == "COMPLETE"
    assert await cromwell_calls(stack, f"/{run_id}/status") == 0


async def test_concurrent_identical_status_polls_make_one_cromwell_call(stack: Stack) -> None:
    run_id = await stack.wes.submit(hello_form(controlled=True))
    await stack.move(run_id, "Running")
    await stack.faults([{"route": "status", "kind": "latency", "seconds": SLOW}])
    replies = await asyncio.gather(
        *(stack.wes.get(f"runs/{run_id}/status", expect=200) for _ in range(CLIENTS))
    )
    assert {reply.json["state"] for reply in replies} == {"RUNNING"}
    # Right after, within cache.status_ttl (1 s), the answer is held: no call either.
    await stack.wes.get(f"runs/{run_id}/status", expect=200)
    assert await cromwell_calls(stack, f"/{run_id}/status") == 1


async def test_concurrent_identical_list_queries_make_one_cromwell_call(stack: Stack) -> None:
    await stack.synthetic(count=30, status="mixed")
    await forget_requests(stack)
    await stack.faults([{"route": "query", "kind": "latency", "seconds": SLOW}])
    replies = await asyncio.gather(
        *(stack.wes.get("runs?page_size=10", expect=200) for _ in range(CLIENTS))
    )
    assert len({reply.body for reply in replies}) == 1
    assert len(replies[0].json["runs"]) == 10
    await stack.wes.get("runs?page_size=10", expect=200)
    assert await cromwell_calls(stack, "/query") == 1


async def test_a_submit_through_the_gateway_is_in_the_next_listing(stack: Stack) -> None:
    first = await stack.wes.submit(hello_form(controlled=True))
    listed = await stack.wes.get("runs", expect=200)  # now held for cache.query_ttl
    assert [run["run_id"] for run in listed.json["runs"]] == [first]
    second = await stack.wes.submit(hello_form(controlled=True))
    listed = await stack.wes.get("runs", expect=200)
    assert [run["run_id"] for run in listed.json["runs"]] == [second, first]


async def test_a_cancel_through_the_gateway_shows_at_once(make_stack: MakeStack) -> None:
    # Answers held for a minute: only the cancel itself can make the change show.
    stack = await make_stack(settings={"cache": {"status_ttl": 60, "running_ttl": 60}})
    run_id = await stack.wes.submit(hello_form(controlled=True))
    await stack.move(run_id, "Running")
    assert (await stack.wes.get(f"runs/{run_id}/status", expect=200)).json["state"] == "RUNNING"
    assert (await stack.wes.get(f"runs/{run_id}", expect=200)).json["state"] == "RUNNING"
    listed = await stack.wes.get("runs", expect=200)
    assert listed.json["runs"][0]["state"] == "RUNNING"
    await stack.wes.post(f"runs/{run_id}/cancel", expect=200)
    assert (await stack.wes.get(f"runs/{run_id}/status", expect=200)).json["state"] == "CANCELING"
    assert (await stack.wes.get(f"runs/{run_id}", expect=200)).json["state"] == "CANCELING"
    listed = await stack.wes.get("runs", expect=200)
    assert listed.json["runs"][0]["state"] == "CANCELING"


async def test_a_change_of_one_run_leaves_the_reads_of_another_shared(stack: Stack) -> None:
    running = await stack.wes.submit(hello_form(controlled=True))
    await stack.move(running, "Running")
    await stack.faults([{"route": "metadata", "kind": "latency", "seconds": 2}])
    first = asyncio.create_task(stack.wes.get(f"runs/{running}", expect=200))
    deadline = time.monotonic() + 10
    while not await cromwell_calls(stack, f"/{running}/metadata"):
        assert time.monotonic() < deadline, "the first read never reached Cromwell"
        await asyncio.sleep(0.02)
    # A change of another run through the gateway, while that read is under way.
    other = await stack.wes.submit(hello_form(controlled=True))
    await stack.wes.post(f"runs/{other}/cancel", expect=200)
    second = await stack.wes.get(f"runs/{running}", expect=200)
    assert (await first).json["state"] == second.json["state"] == "RUNNING"
    assert await cromwell_calls(stack, f"/{running}/metadata") == 1


async def test_a_change_made_behind_the_gateway_shows_within_the_status_ttl(
    stack: Stack,
) -> None:
    run_id = await stack.wes.submit(hello_form(controlled=True))
    await stack.move(run_id, "Running")
    await stack.wes.wait_for_state(run_id, {"RUNNING"}, within=5)
    await stack.move(run_id, "Succeeded")  # Cromwell moves on; the gateway is not told
    moved = time.monotonic()
    await stack.wes.wait_for_state(run_id, {"COMPLETE"}, within=5)
    assert time.monotonic() - moved < stack.settings.cache.status_ttl + 1.0


async def test_errors_are_not_held(stack: Stack) -> None:
    run_id = await stack.wes.submit(hello_form(controlled=True))
    await stack.faults([{"route": "status", "kind": "error", "status": 500, "times": 1}])
    await stack.wes.get(f"runs/{run_id}/status", expect=502)
    await stack.wes.get(f"runs/{run_id}/status", expect=200)


async def test_reads_saved_are_counted_in_the_metrics(stack: Stack) -> None:
    run_id = await finished_run(stack)
    for _ in range(3):
        await stack.wes.get(f"runs/{run_id}/status", expect=200)
    async with stack.wes.client.get("/metrics") as response:
        text = await response.text()
    saved = {
        (sample.labels["operation"], sample.labels["reason"]): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "cromwes_cromwell_reads_saved_total"
    }
    assert saved[("status", "finished")] == 2  # the first asked Cromwell, and saw it finished
