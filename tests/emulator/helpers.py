"""Small client-side helpers shared by the emulator tests: submit, poll, zip, move."""

import asyncio
import io
import json
import os
import time
import zipfile
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import aiohttp

API = "/api/workflows/v1"
POLL_SECONDS = 0.1

HELLO_DRAFT2 = """task hello {
  String name

  command {
    echo 'Hello ${name}!'
  }
  output {
    File response = stdout()
  }
}

workflow test {
  call hello
}
"""

HELLO_1_0 = """version 1.0

task hello {
  input {
    String name
  }
  command <<<
    echo 'Hello ~{name}!'
    echo 'to stderr' >&2
  >>>
  output {
    File response = stdout()
  }
}

workflow test {
  input {
    String name
  }
  call hello { input: name = name }
  output {
    File response = hello.response
  }
}
"""

LONG = """version 1.0

task long {
  command <<<
    sleep 600 &
    sleep 600
  >>>
}

workflow long_running {
  call long
}
"""
"""A task that runs for ten minutes, with a background child: for abort and restart tests."""


async def submit(
    session: aiohttp.ClientSession,
    source: str | None,
    *,
    inputs: Mapping[str, Any] | None = None,
    labels: Mapping[str, str] | None = None,
    options: Mapping[str, Any] | None = None,
    dependencies: Mapping[str, str] | None = None,
    parts: Mapping[str, str] | None = None,
    expect: int = 201,
) -> dict[str, Any]:
    """POST a multipart submission; return the JSON answer (asserting its HTTP status)."""
    form = aiohttp.FormData()
    if source is not None:
        form.add_field("workflowSource", source, filename="workflow.wdl")
    if inputs is not None:
        form.add_field("workflowInputs", json.dumps(inputs), filename="inputs.json")
    if labels is not None:
        form.add_field("labels", json.dumps(labels), filename="labels.json")
    if options is not None:
        form.add_field("workflowOptions", json.dumps(options), filename="options.json")
    if dependencies is not None:
        form.add_field("workflowDependencies", zip_of(dependencies), filename="deps.zip")
    for name, value in (parts or {}).items():
        form.add_field(name, value)
    async with session.post(API, data=form) as response:
        body = await response.json()
        assert response.status == expect, (response.status, body)
        return dict(body)


async def get_json(session: aiohttp.ClientSession, path: str, expect: int = 200) -> Any:
    async with session.get(path) as response:
        body = await response.json()
        assert response.status == expect, (path, response.status, body)
        return body


async def metadata(session: aiohttp.ClientSession, workflow_id: str, query: str = "") -> Any:
    """A workflow's metadata (`GET /api/workflows/v1/{id}/metadata`, `query` appended)."""
    return await get_json(session, f"{API}/{workflow_id}/metadata{query}")


async def post_json(
    session: aiohttp.ClientSession, path: str, body: Any = None, expect: int = 200
) -> Any:
    async with session.post(path, json=body) as response:
        answer = await response.json()
        assert response.status == expect, (path, response.status, answer)
        return answer


async def move(session: aiohttp.ClientSession, workflow_id: str, **body: Any) -> Any:
    """Move a controlled workflow (`POST /_emulator/workflows/{id}/status`)."""
    return await post_json(session, f"/_emulator/workflows/{workflow_id}/status", body)


async def status_of(session: aiohttp.ClientSession, workflow_id: str) -> str:
    body = await get_json(session, f"{API}/{workflow_id}/status")
    return str(body["status"])


async def wait_until(
    condition: Callable[[], Awaitable[bool]], what: str, within: float = 30.0
) -> None:
    """Poll `condition` until it holds; fail saying `what` never happened."""
    deadline = time.monotonic() + within
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"within {within:.0f} s, {what} never happened")
        await asyncio.sleep(POLL_SECONDS)  # a polling interval, not a synchronisation


async def wait_status(
    session: aiohttp.ClientSession, workflow_id: str, *statuses: str, within: float = 30.0
) -> str:
    """Wait until the workflow reaches one of `statuses`; return it."""
    seen: list[str] = []

    async def reached() -> bool:
        seen.append(await status_of(session, workflow_id))
        return seen[-1] in statuses

    await wait_until(
        reached, f"workflow {workflow_id} reaching {statuses} (last {seen[-1:]})", within
    )
    return seen[-1]


def zip_of(files: Mapping[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def process_group_alive(pgid: int) -> bool:
    """Whether any live process still belongs to process group `pgid` (read from /proc)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False
