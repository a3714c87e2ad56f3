"""What a WES client gets when Cromwell's answer is broken at the HTTP level: a 502 naming
Cromwell, never the generic 500."""

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.api.conftest import MakeStack, hello_form
from tests.cromwell.misbehaving import http_response, misbehaving_cromwell

ID = "0190e8b4-8c3e-7c3a-9b1e-6a1f2d3c4b5a"
STATUS = f"/api/workflows/v1/{ID}/status"
CUT = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 90\r\n\r\n{"id"'
HUGE = http_response("200 OK", b"{}", extra=b"X-Huge: " + b"h" * 70_000 + b"\r\n")


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        pytest.param(CUT, "cut its answer to status short", id="truncated"),
        pytest.param(HUGE, "malformed answer to status", id="oversized-header"),
    ],
)
async def test_broken_status_answers_are_502(
    make_stack: MakeStack, answer: bytes, words: str
) -> None:
    async with misbehaving_cromwell({STATUS: answer}) as cromwell:
        stack = await make_stack(settings={"cromwell": {"url": cromwell.url}})
        reply = await stack.wes.get(f"runs/{ID}/status", expect=502)
    assert words in reply.json["msg"]
    assert cromwell.url in reply.json["msg"]


async def test_a_submit_answered_as_a_batch_is_502(
    make_stack: MakeStack, recorded: Callable[[str], Any]
) -> None:
    batch = json.dumps(recorded("submit-batch.json")).encode()
    async with misbehaving_cromwell(
        {"/api/workflows/v1": http_response("201 Created", batch)}
    ) as cromwell:
        stack = await make_stack(settings={"cromwell": {"url": cromwell.url}})
        reply = await stack.wes.post("runs", data=hello_form(), expect=502)
    assert "answered submit without a workflow id" in reply.json["msg"]
