"""An event on the wire, byte for byte: the encoding every subscriber shares, and the id each
gets for itself (its cursor: what that client has been sent)."""

import json

from tests.api.conftest import Stack, hello_form
from tests.api.sse import Stream, open_stream
from tests.wes_spec import BASE


def parts(frame: bytes) -> tuple[bytes, bytes]:
    """(its `id:` line, the rest: its `event:` and `data:` lines)."""
    id_line, _, rest = frame.partition(b"\r\n")
    assert id_line.startswith(b"id: "), frame
    return id_line, rest


async def frames_to_the_end(stream: Stream) -> list[bytes]:
    frames = []
    while (frame := await stream.frame()) is not None:
        frames.append(frame)
    return frames


async def test_subscribers_get_the_same_bytes_for_an_event_each_with_its_own_id(
    stack: Stack,
) -> None:
    run_id = await stack.wes.submit(hello_form())
    await stack.move(run_id, "Running", shards=2)
    url = f"{BASE}/runs/{run_id}/events"
    async with open_stream(stack.wes.client, url) as first:
        welcome = await first.frame()
        assert welcome is not None
        state, until, digest = parts(welcome)[0].removeprefix(b"id: ").decode().split(".")
        # A cursor no event of this run explains: that client is sent only what comes next,
        # and its ids go on carrying its own digest.
        other_cursor = f"{state}.{until}.{int(digest, 16) ^ 0x5BD1E9955BD1E995:016x}"
        async with open_stream(
            stack.wes.client, url, headers={"Last-Event-ID": other_cursor}
        ) as second:
            await stack.move(run_id, "Succeeded")
            mine, theirs = await frames_to_the_end(first), await frames_to_the_end(second)
    assert len(mine) == len(theirs) == 3, (mine, theirs)  # two tasks ended, then COMPLETE
    for frame, other in zip(mine, theirs, strict=True):
        (id_line, rest), (other_id_line, other_rest) = parts(frame), parts(other)
        assert rest == other_rest, "the same event is the same bytes for every subscriber"
        assert id_line != other_id_line, "each subscriber's id is its own cursor"
        event_line, data_line, end = rest.split(b"\r\n")
        assert event_line in (b"event: task", b"event: state")
        assert end == b""
        data = json.loads(data_line.removeprefix(b"data: "))
        compact = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
        assert data_line == b"data: " + compact, "compact JSON on one line, keys in order"
    assert json.loads(parts(mine[-1])[1].split(b"\r\n")[1][6:])["state"] == "COMPLETE"
