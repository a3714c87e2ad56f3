"""POST /runs within bounds: parts, bytes held in memory, and uploads that stop half-way."""

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path

from tests.api.conftest import EXAMPLES, MakeStack, Stack, hello_form

DEADLINE = 60.0
"""How long a test waits for what must happen before it fails saying so (never a pause)."""
BOUNDARY = b"B0undary"
REQUIRED = {
    "workflow_url": "hello-world.wdl",
    "workflow_type": "WDL",
    "workflow_type_version": "1.0",
}


def part(name: str, value: bytes, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    return (
        b"--"
        + BOUNDARY
        + f"\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        + value
        + b"\r\n"
    )


def request_head(stack: Stack, length: int) -> bytes:
    return (
        f"POST /ga4gh/wes/v1/runs HTTP/1.1\r\nHost: 127.0.0.1:{stack.wes.client.port}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY.decode()}\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Status and body of one HTTP/1.1 answer with a Content-Length."""
    status_line = await asyncio.wait_for(reader.readline(), DEADLINE)
    assert status_line, "the gateway closed the connection without answering"
    headers: dict[str, str] = {}
    while (line := await asyncio.wait_for(reader.readline(), DEADLINE)) not in (b"\r\n", b""):
        key, _, value = line.decode().partition(":")
        headers[key.strip().lower()] = value.strip()
    body = await asyncio.wait_for(reader.readexactly(int(headers["content-length"])), DEADLINE)
    return int(status_line.split()[1]), body


async def test_parts_up_to_the_cap_are_taken_one_more_is_413(make_stack: MakeStack) -> None:
    # hello_form sends six parts: three required fields, params, tags and the workflow.
    stack = await make_stack(settings={"uploads": {"max_parts": 6}})
    await stack.wes.submit(hello_form())
    reply = await stack.wes.post("runs", data=hello_form(attachments={"x.txt": b"x"}), expect=413)
    assert "more than 6 parts (uploads.max_parts)" in reply.json["msg"]


async def test_20000_tiny_parts_are_413_before_the_body_ends(stack: Stack) -> None:
    """The issue's 2 MB body of empty `a{i}.wdl` parts, against the default cap.

    Half of the body is sent and the rest held back: the 413 must come while the upload is
    still unfinished, and so must the answer to a liveness probe on another connection.
    """
    fields = b"".join(part(name, value.encode()) for name, value in REQUIRED.items())
    parts = b"".join(part("workflow_attachment", b"", f"a{i}.wdl") for i in range(20_000))
    body = fields + parts + b"--" + BOUNDARY + b"--\r\n"
    reader, writer = await asyncio.open_connection("127.0.0.1", stack.wes.client.port)
    try:
        writer.write(request_head(stack, len(body)) + body[: len(body) // 2])
        await writer.drain()
        await stack.wes.get("/health/live", expect=200)
        status, answer = await read_response(reader)
        assert status == 413, answer
        error = json.loads(answer)
        assert error["status_code"] == 413
        assert "more than 200 parts" in error["msg"]
    finally:
        writer.close()
    assert await stack.requests_to_cromwell("/api/workflows/v1") == []


async def test_in_memory_parts_have_their_own_limit(make_stack: MakeStack, tmp_path: Path) -> None:
    stack = await make_stack(settings={"uploads": {"max_in_memory_size": 4096}})
    big_params = {"hello_world.name": "x" * 5000}
    reply = await stack.wes.post("runs", data=hello_form(params=big_params), expect=413)
    assert "uploads.max_in_memory_size" in reply.json["msg"]
    big_wdl = {"big.wdl": b"# padding\n" * 500}
    reply = await stack.wes.post("runs", data=hello_form(attachments=big_wdl), expect=413)
    assert "'big.wdl'" in reply.json["msg"]
    # A data file goes to storage, not to memory: the same size is fine.
    data = {"names.txt": b"Frank\n" * 1000}
    await stack.wes.submit(hello_form(attachments=data))
    json_body = {**REQUIRED, "workflow_params": big_params}
    json_body["workflow_url"] = "https://example.org/hello.wdl"
    await stack.wes.post("runs", json=json_body, expect=413)


async def test_an_upload_cut_off_mid_body_leaves_nothing_staged(
    stack: Stack, tmp_path: Path
) -> None:
    staging = tmp_path / "uploads"
    wdl = (EXAMPLES / "hello-world.wdl").read_bytes()
    fields = b"".join(part(name, value.encode()) for name, value in REQUIRED.items())
    head_of_body = (
        fields
        + part("workflow_attachment", wdl, "hello-world.wdl")
        + part("workflow_attachment", b"A" * 100, "data/first.txt")
        + b"--" + BOUNDARY
        + b'\r\nContent-Disposition: form-data; name="workflow_attachment"; '
        + b'filename="data/reads/second.bin"\r\n\r\n'
        + b"C" * 300_000
    )  # fmt: skip
    _, writer = await asyncio.open_connection("127.0.0.1", stack.wes.client.port)
    writer.write(request_head(stack, len(head_of_body) * 2) + head_of_body)
    await writer.drain()
    await _until(lambda: any(staging.glob("*/data/reads/second.bin")), "second.bin is staging")
    writer.close()  # half the body sent, then the client goes away
    await writer.wait_closed()
    await _until(
        lambda: not any(staging.iterdir()),
        "the staging root is empty again",
        left=lambda: sorted(str(p.relative_to(staging)) for p in staging.rglob("*")),
    )
    assert await stack.requests_to_cromwell("/api/workflows/v1") == []


async def _until(
    condition: Callable[[], bool], what: str, left: Callable[[], object] = lambda: None
) -> None:
    """Return once `condition()` (run off the event loop) holds; fail naming `what` if never."""
    deadline = time.monotonic() + DEADLINE
    while not await asyncio.to_thread(condition):
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}; left: {await asyncio.to_thread(left)}")
        await asyncio.sleep(0.02)
