"""Cromwell's query semantics (cromwell-api.md §2.5), GET and POST."""

import asyncio
from typing import Any

import aiohttp
import pytest

from tests.emulator.conftest import Connect
from tests.emulator.helpers import API, HELLO_DRAFT2, get_json, move, post_json, submit


async def synthetic(session: aiohttp.ClientSession, **body: Any) -> list[str]:
    created = await post_json(session, "/_emulator/workflows", body, expect=201)
    return list(created["ids"])


async def query(session: aiohttp.ClientSession, parameters: str) -> dict[str, Any]:
    body: dict[str, Any] = await get_json(session, f"{API}/query?{parameters}")
    return body


def ids(body: dict[str, Any]) -> list[str]:
    return [row["id"] for row in body["results"]]


@pytest.fixture
async def populated(controlled: aiohttp.ClientSession) -> dict[str, list[str]]:
    """Four groups created oldest first, one minute apart, from 2024-01-01T00:00:00Z."""
    groups = {
        "alpha": await synthetic(
            controlled, count=4, name="alpha", labels={"project": "a", "tier": "gold"},
            submission="2024-01-01T00:00:00Z", interval_seconds=60,
        ),
        "beta": await synthetic(
            controlled, count=3, name="beta", status="Failed", labels={"project": "b", "k": "x:y"},
            submission="2024-01-01T01:00:00Z", interval_seconds=60,
        ),
        "gamma": await synthetic(
            controlled, count=2, name="gamma", status="Running", labels={"project": "a"},
            submission="2024-01-01T02:00:00Z", interval_seconds=60,
        ),
        "held": await synthetic(
            controlled, count=1, name="held", status="On Hold", submission="2024-01-01T03:00:00Z"
        ),
    }  # fmt: skip
    return groups


async def test_newest_first_by_default_and_oldest_first_on_request(
    controlled: aiohttp.ClientSession, populated: dict[str, list[str]]
) -> None:
    oldest_first = [i for group in populated.values() for i in group]
    assert ids(await query(controlled, "")) == oldest_first[::-1]
    assert ids(await query(controlled, "newestFirst=false")) == oldest_first


async def test_paging_counts_all_matches(
    controlled: aiohttp.ClientSession, populated: dict[str, list[str]]
) -> None:
    oldest_first = [i for group in populated.values() for i in group]
    newest_first = oldest_first[::-1]
    page2 = await query(controlled, "page=2&pageSize=3")
    assert ids(page2) == newest_first[3:6]
    assert page2["totalResultsCount"] == 10
    assert ids(await query(controlled, "page=4&pageSize=3")) == newest_first[9:]
    assert ids(await query(controlled, "page=5&pageSize=3")) == []
    stable = await query(controlled, "page=2&pageSize=3&newestFirst=false")
    assert ids(stable) == oldest_first[3:6]
    # Without pageSize there is no limit, and `page` alone changes nothing.
    assert ids(await query(controlled, "page=3")) == newest_first


async def test_status_filters_are_ored_and_counted(
    controlled: aiohttp.ClientSession, populated: dict[str, list[str]]
) -> None:
    body = await query(controlled, "status=Failed&status=Running&pageSize=1")
    assert body["totalResultsCount"] == 5
    assert ids(body) == [populated["gamma"][-1]]
    held = await query(controlled, "status=On%20Hold")
    assert ids(held) == populated["held"]
    assert (await query(controlled, "status=Aborting&pageSize=1"))["totalResultsCount"] == 0
    assert (
        ids(await query(controlled, "STATUS=failed&PageSize=10&newestfirst=false"))
        == populated["beta"]
    )


async def test_label_filters(
    controlled: aiohttp.ClientSession, populated: dict[str, list[str]]
) -> None:
    project_a = populated["alpha"] + populated["gamma"]
    assert sorted(ids(await query(controlled, "label=project:a"))) == sorted(project_a)
    both = await query(controlled, "label=project:a&label=tier:gold")
    assert sorted(ids(both)) == sorted(populated["alpha"])
    either = await query(controlled, "labelor=tier:gold&labelor=project:b")
    assert sorted(ids(either)) == sorted(populated["alpha"] + populated["beta"])
    # The value is split at the first colon only.
    assert sorted(ids(await query(controlled, "label=k:x:y"))) == sorted(populated["beta"])
    excluded_and = await query(controlled, "excludeLabelAnd=project:a&excludeLabelAnd=tier:gold")
    assert sorted(ids(excluded_and)) == sorted(
        populated["beta"] + populated["gamma"] + populated["held"]
    )
    excluded_or = await query(controlled, "excludeLabelOr=project:a&excludeLabelOr=project:b")
    assert ids(excluded_or) == populated["held"]


async def test_id_name_and_time_filters(
    controlled: aiohttp.ClientSession, populated: dict[str, list[str]]
) -> None:
    chosen = [populated["alpha"][0], populated["beta"][2]]
    assert sorted(ids(await query(controlled, f"id={chosen[0]}&id={chosen[1]}"))) == sorted(chosen)
    named = await query(controlled, "name=beta&name=gamma&newestFirst=false")
    assert ids(named) == populated["beta"] + populated["gamma"]
    since = await query(controlled, "submission=2024-01-01T02:00:00%2B00:00&newestFirst=false")
    assert ids(since) == populated["gamma"] + populated["held"]
    # start = submission + 1 s; end = start + 60 s for finished ones; Running ones have no end.
    started = await query(controlled, "start=2024-01-01T01:01:01Z&newestFirst=false")
    assert ids(started) == populated["beta"][1:] + populated["gamma"]
    ended = await query(controlled, "end=2024-01-01T00:02:01.000-00:00&newestFirst=false")
    assert ids(ended) == populated["alpha"][:2]


async def test_bad_values_are_400(controlled: aiohttp.ClientSession) -> None:
    for parameters in ("submission=2024-01-01T00:00:00", "status=Bogus", "pageSize=0", "id=nope"):
        body = await get_json(controlled, f"{API}/query?{parameters}", expect=400)
        assert body["status"] == "fail", parameters


async def test_post_query_takes_single_key_objects(
    controlled: aiohttp.ClientSession, populated: dict[str, list[str]]
) -> None:
    body = await post_json(
        controlled,
        f"{API}/query",
        [{"status": "Succeeded"}, {"label": "tier:gold"}, {"PAGESIZE": "2"}, {"page": "2"}],
    )
    assert ids(body) == populated["alpha"][::-1][2:4]
    assert body["totalResultsCount"] == 4
    refused = await post_json(controlled, f"{API}/query", [{"colour": "red"}], expect=400)
    assert refused == {"status": "fail", "message": "Unrecognized query keys: colour"}


async def test_subworkflows_are_listed_unless_excluded(controlled: aiohttp.ClientSession) -> None:
    [root] = await synthetic(controlled, subworkflows=3, name="parent")
    everything = await query(controlled, "additionalQueryResultFields=labels")
    assert everything["totalResultsCount"] == 4
    subs = [row for row in everything["results"] if row["id"] != root]
    assert all(row["parentWorkflowId"] == root == row["rootWorkflowId"] for row in subs)
    assert all("labels" not in row for row in subs)  # only rows with labels get the key
    [root_row] = [row for row in everything["results"] if row["id"] == root]
    assert root_row["labels"] == {"cromwell-workflow-id": f"cromwell-{root}"}
    roots = await query(controlled, "includeSubworkflows=false")
    assert ids(roots) == [root]


async def test_new_submissions_come_first(controlled: aiohttp.ClientSession) -> None:
    first = await submit(controlled, HELLO_DRAFT2)
    second = await submit(controlled, HELLO_DRAFT2)
    await move(controlled, first["id"], status="Succeeded")
    assert ids(await query(controlled, "pageSize=1")) == [second["id"]]
    row = (await query(controlled, f"id={second['id']}"))["results"][0]
    assert "name" not in row  # not picked up yet: Cromwell does not know the name
    named = (await query(controlled, f"id={first['id']}"))["results"][0]
    assert named["name"] == "test"


async def test_hidden_submissions_are_not_listed_nor_counted(connect: Connect) -> None:
    session = await connect(mode="controlled", post_submit_404=60)
    await synthetic(session, count=2)
    await submit(session, HELLO_DRAFT2)
    body = await query(session, "pageSize=5")
    assert body["totalResultsCount"] == 2
    assert len(body["results"]) == 2
    assert (await query(session, "status=Submitted&pageSize=1"))["totalResultsCount"] == 0


async def test_concurrent_submissions_are_all_listed_in_row_order(
    controlled: aiohttp.ClientSession,
) -> None:
    # Controlled submissions parse their WDL before they are stored: numbering must not race.
    submitted = await asyncio.gather(*(submit(controlled, HELLO_DRAFT2) for _ in range(20)))
    body = await query(controlled, "newestFirst=false")
    assert sorted(ids(body)) == sorted(s["id"] for s in submitted)
    seqs = [
        (await get_json(controlled, f"/_emulator/workflows/{workflow_id}"))["seq"]
        for workflow_id in ids(body)
    ]
    assert seqs == sorted(set(seqs))
