"""Cromwell's API answers JSON nested past what a parser can follow as malformed input: a 400
in Cromwell's failure shape, nothing stored, never a 500."""

import aiohttp
import pytest

from tests.emulator.helpers import API, HELLO_DRAFT2, get_json, submit

DEEP = '{"a": ' + "[" * 5000 + "1" + "]" * 5000 + "}"
"""Past Python's parsers (about 1,000 levels); the gateway itself refuses past 64."""


async def stored(session: aiohttp.ClientSession) -> int:
    return int((await get_json(session, f"{API}/query"))["totalResultsCount"])


@pytest.mark.parametrize("part", ["workflowInputs", "workflowOptions", "labels"])
async def test_a_submission_part_nested_too_deep_is_400(
    controlled: aiohttp.ClientSession, part: str
) -> None:
    answer = await submit(controlled, HELLO_DRAFT2, parts={part: DEEP}, expect=400)
    assert answer["status"] == "fail"
    assert await stored(controlled) == 0


async def test_a_query_nested_too_deep_is_400(controlled: aiohttp.ClientSession) -> None:
    headers = {"Content-Type": "application/json"}
    async with controlled.post(f"{API}/query", data=DEEP, headers=headers) as response:
        assert response.status == 400
        assert (await response.json())["status"] == "fail"


async def test_a_label_update_nested_too_deep_is_400(controlled: aiohttp.ClientSession) -> None:
    submitted = await submit(controlled, HELLO_DRAFT2, labels={"k": "v"})
    headers = {"Content-Type": "application/json"}
    path = f"{API}/{submitted['id']}/labels"
    async with controlled.patch(path, data=DEEP, headers=headers) as response:
        assert response.status == 400
        assert (await response.json())["status"] == "fail"
    assert (await get_json(controlled, path))["labels"]["k"] == "v"
