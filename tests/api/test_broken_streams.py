"""An answer that fails once it has begun: its connection is closed, so the client sees the body
cut short, and never a second answer written inside the first one's body."""

import asyncio

from tests.api.conftest import MakeStack
from tests.api.test_hangups import FAST_POLLS, running_task


async def test_a_follow_that_fails_after_it_began_is_cut_short_not_answered_twice(
    make_stack: MakeStack,
) -> None:
    stack = await make_stack(settings=FAST_POLLS)
    run_id, task_id = await running_task(stack)
    client = stack.wes.client
    reader, writer = await asyncio.open_connection(client.host, client.port)
    # A second request pipelined behind the follow: were the connection reused after the
    # failure, its answer would follow on the same connection.
    writer.write(
        f"GET /ga4gh/wes/v1/runs/{run_id}/logs/task/{task_id}/stdout?follow=true HTTP/1.1\r\n"
        "Host: wes\r\n\r\n"
        "GET /health/live HTTP/1.1\r\nHost: wes\r\n\r\n".encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
    assert head.startswith(b"HTTP/1.1 200"), head
    assert b"Transfer-Encoding: chunked" in head, head
    assert await asyncio.wait_for(reader.read(1), timeout=10), "the first bytes of the log"
    # The follow's next look at the run fails: Cromwell answers 500 from now on.
    await stack.faults([{"route": "metadata", "kind": "error", "status": 500}])
    rest = await asyncio.wait_for(reader.read(), timeout=30)  # until the gateway closes
    writer.close()
    assert b"HTTP/1.1" not in rest, rest[-500:]
    assert not rest.endswith(b"0\r\n\r\n"), "a last chunk would make the cut body look whole"
