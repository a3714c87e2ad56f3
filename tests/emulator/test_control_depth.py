"""The control API caps how deep its JSON bodies and WDL types nest: a deeper one is a 400
naming the field, sent to the admin listener as a test would; the limit itself is taken."""

import json
from typing import Any

import aiohttp
import pytest

from tests.emulator.helpers import API, HELLO_DRAFT2, get_json, move, submit

LIMIT = 64
"""Levels of arrays and objects a body may open, itself included (the emulator README)."""
TYPE_LIMIT = 8
"""Levels of type parameters a WDL type may nest (the emulator README)."""


def deep_text(depth: int) -> str:
    # Built as text: json.dumps itself cannot write 5,000 levels.
    return "[" * depth + '"leaf"' + "]" * depth


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value]
    return value


async def send(
    session: aiohttp.ClientSession, method: str, path: str, text: str
) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    async with session.request(method, path, data=text, headers=headers) as response:
        return response.status, await response.json()


@pytest.mark.parametrize("depth", [5000, LIMIT - 1], ids=["past-the-parser", "one-past-the-cap"])
async def test_move_outputs_nested_too_deep_are_400_naming_the_field(
    controlled: aiohttp.ClientSession, depth: int
) -> None:
    submitted = await submit(controlled, HELLO_DRAFT2)
    path = f"/_emulator/workflows/{submitted['id']}/status"
    # The body is level 1 and `outputs` level 2: `depth` arrays inside take it past the cap.
    body = '{"status": "Succeeded", "outputs": {"test.hello.response": ' + deep_text(depth) + "}}"
    status, answer = await send(controlled, "POST", path, body)
    assert (status, answer) == (400, {"error": f"outputs: nests deeper than {LIMIT} levels"})
    record = await get_json(controlled, f"/_emulator/workflows/{submitted['id']}")
    assert (record["status"], record["outputs"]) == ("Submitted", None), "nothing was changed"


async def test_move_outputs_at_the_cap_are_taken_and_shown(
    controlled: aiohttp.ClientSession,
) -> None:
    submitted = await submit(controlled, HELLO_DRAFT2)
    outputs = {"test.hello.response": nested(LIMIT - 2)}
    await move(controlled, submitted["id"], status="Succeeded", outputs=outputs)
    body = await get_json(controlled, f"{API}/{submitted['id']}/metadata")
    assert body["outputs"] == outputs


@pytest.mark.parametrize(
    ("method", "path", "text", "field"),
    [
        pytest.param("POST", "/_emulator/workflows", deep_text(5000), "[0]", id="whole-body"),
        pytest.param(
            "POST",
            "/_emulator/workflows",
            '{"count": 1, "labels": {"a": ' + deep_text(5000) + "}}",
            "labels",
            id="synthetic-labels",
        ),
        pytest.param(
            "PUT",
            "/_emulator/faults",
            '[{"route": "status"}, ' + deep_text(5000) + "]",
            "[1]",
            id="fault-rule",
        ),
        pytest.param(
            "PUT",
            "/_emulator/faults",
            '{"down": false, "rules": ' + deep_text(LIMIT) + "}",
            "rules",
            id="fault-rules",
        ),
    ],
)
async def test_control_bodies_nested_too_deep_are_400_naming_the_field(
    controlled: aiohttp.ClientSession, method: str, path: str, text: str, field: str
) -> None:
    status, answer = await send(controlled, method, path, text)
    assert (status, answer) == (400, {"error": f"{field}: nests deeper than {LIMIT} levels"})
    faults = await get_json(controlled, "/_emulator/faults")
    assert faults == {"rules": [], "down": False}, "no fault rule was set"
    stats = await get_json(controlled, "/_emulator/stats")
    assert stats["workflows"] == 0, "no workflow was made"


async def test_brackets_inside_strings_are_text(controlled: aiohttp.ClientSession) -> None:
    garbage = '"[{' * 5000
    rule = {"route": "status", "kind": "garbage", "times": 1, "body": garbage}
    status, answer = await send(controlled, "PUT", "/_emulator/faults", json.dumps([rule]))
    assert status == 200, answer
    assert [r["body"] for r in answer["rules"]] == [garbage]


def array_type(depth: int) -> str:
    return "Array[" * depth + "File" + "]" * depth


@pytest.mark.parametrize("depth", [5000, TYPE_LIMIT + 1], ids=["past-the-parser", "one-past"])
async def test_synthetic_output_types_nested_too_deep_are_400_naming_the_output(
    controlled: aiohttp.ClientSession, depth: int
) -> None:
    body = json.dumps({"outputs": {"ok": "File", "reads": array_type(depth)}})
    status, answer = await send(controlled, "POST", "/_emulator/workflows", body)
    assert (status, answer) == (
        400,
        {"error": f"outputs: the type of 'reads' nests deeper than {TYPE_LIMIT} levels"},
    )
    stats = await get_json(controlled, "/_emulator/stats")
    assert stats["workflows"] == 0, "no workflow was made"


async def test_synthetic_output_types_at_the_cap_are_made_up(
    controlled: aiohttp.ClientSession,
) -> None:
    body = json.dumps({"name": "deep", "outputs": {"reads": array_type(TYPE_LIMIT)}})
    status, answer = await send(controlled, "POST", "/_emulator/workflows", body)
    assert status == 201, answer
    [workflow_id] = answer["ids"]
    outputs = (await get_json(controlled, f"{API}/{workflow_id}/outputs"))["outputs"]
    value = outputs["deep.reads"]
    for _ in range(TYPE_LIMIT - 1):
        assert len(value) == 2
        value = value[0]
    assert len(value) == 2
    assert all(isinstance(path, str) for path in value)


DEEP_TYPE_WDL = (
    "version 1.0\nworkflow deep {\n  output {\n    "
    + "Array[" * 11 + "Int" + "]" * 11 + " x = []\n  }\n}\n"
)  # fmt: skip
"""A type 11 Arrays deep (miniwdl reads it at once): made up, its values would double 11
times."""
DEEP_LITERAL_WDL = (
    "version 1.0\nworkflow deep {\n  output {\n    "
    + "Array[Int] x = " + "[" * 30 + "1" + "]" * 30 + "\n  }\n}\n"
)  # fmt: skip
"""An array literal 30 levels deep: miniwdl's parser would take exponential time over it."""


@pytest.mark.parametrize("status", ["Succeeded", "Failed"])
async def test_a_controlled_workflow_with_types_too_deep_is_unusable(
    controlled: aiohttp.ClientSession, status: str
) -> None:
    submitted = await submit(controlled, DEEP_TYPE_WDL)
    await move(controlled, submitted["id"], status=status)
    body = await get_json(controlled, f"{API}/{submitted['id']}/metadata")
    assert body["status"] == status
    assert body.get("outputs", {}) == {}
    if status == "Failed":
        [top] = body["failures"]
        assert top["message"] == "Workflow input processing failed"
        [cause] = top["causedBy"]
        assert f"nested at most {TYPE_LIMIT} levels deep: x: Array[" in cause["message"]


async def test_a_workflow_nesting_arrays_past_what_the_parser_reads_fails_at_once(
    controlled: aiohttp.ClientSession,
) -> None:
    submitted = await submit(controlled, DEEP_LITERAL_WDL)
    await move(controlled, submitted["id"], status="Failed")
    body = await get_json(controlled, f"{API}/{submitted['id']}/metadata")
    [cause] = body["failures"][0]["causedBy"]
    assert cause["message"].startswith("workflow.wdl: brackets nest more than 12 levels deep")
