"""Scale knobs: 100,000 preloaded workflows, and a synthetic run of 50,000 shards."""

import json
from pathlib import Path

import aiohttp

from tests.emulator.helpers import API, get_json, post_json


def is_file(path: str) -> bool:
    return Path(path).is_file()


async def test_preload_of_100000_workflows(controlled: aiohttp.ClientSession) -> None:
    created = await post_json(
        controlled, "/_emulator/workflows", {"count": 100_000, "status": "mixed"}, expect=201
    )
    assert len(created["ids"]) == 100_000
    stats = await get_json(controlled, "/_emulator/stats")
    assert stats["root_workflows"] == 100_000
    assert sum(stats["root_by_status"].values()) == 100_000
    page = await get_json(controlled, f"{API}/query?page=1&pageSize=10&includeSubworkflows=false")
    assert page["totalResultsCount"] == 100_000
    assert [row["id"] for row in page["results"]] == created["ids"][::-1][:10]
    counts = {}
    for status, expected in stats["root_by_status"].items():
        body = await get_json(
            controlled, f"{API}/query?status={status}&pageSize=1&includeSubworkflows=false"
        )
        counts[status] = body["totalResultsCount"]
        assert len(body["results"]) == min(1, expected)
    assert counts == stats["root_by_status"]
    assert counts["Succeeded"] > counts["Failed"] > counts["Submitted"] > 0


async def test_metadata_of_a_50000_shard_run(controlled: aiohttp.ClientSession) -> None:
    body = {
        "name": "big",
        "shards": 50_000,
        "status": "Failed",
        "failing_shards": [49_999],
        "retries": {"7": 2},
    }
    [workflow_id] = (await post_json(controlled, "/_emulator/workflows", body, expect=201))["ids"]
    path = f"{API}/{workflow_id}/metadata"
    async with controlled.get(path) as response:
        assert response.status == 200
        first_bytes = await response.read()
    metadata = json.loads(first_bytes)
    elements = metadata["calls"]["big.work"]
    assert len(elements) == 50_000 + 2
    assert [(e["attempt"], e["executionStatus"]) for e in elements if e["shardIndex"] == 7] == [
        (1, "RetryableFailure"),
        (2, "RetryableFailure"),
        (3, "Done"),
    ]
    last = elements[-1]
    assert (last["shardIndex"], last["executionStatus"], last["returnCode"]) == (
        49_999,
        "Failed",
        1,
    )
    assert metadata["failures"][0]["causedBy"][0]["message"].startswith("Job big.work:49999:1 ")
    assert is_file(last["stdout"])
    assert is_file(last["stderr"])
    async with controlled.get(path) as response:
        assert await response.read() == first_bytes  # served again from the cache


async def test_include_key_trims_every_shard(controlled: aiohttp.ClientSession) -> None:
    body = {"name": "wide", "shards": 500, "status": "Succeeded"}
    [workflow_id] = (await post_json(controlled, "/_emulator/workflows", body, expect=201))["ids"]
    query = "includeKey=executionStatus&includeKey=status"
    slim = await get_json(controlled, f"{API}/{workflow_id}/metadata?{query}")
    assert set(slim) == {"id", "status", "calls"}
    elements = slim["calls"]["wide.work"]
    assert len(elements) == 500
    assert {frozenset(e) for e in elements} == {
        frozenset({"executionStatus", "shardIndex", "attempt"})
    }
