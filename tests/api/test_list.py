from typing import Any

import pytest

from tests.api.conftest import Stack, hello_form


async def all_pages(stack: Stack, query: str, page_size: int) -> list[str]:
    seen: list[str] = []
    token = ""
    for _ in range(1000):
        path = f"runs?page_size={page_size}{query}" + (f"&page_token={token}" if token else "")
        reply = (await stack.wes.get(path, expect=200)).json
        assert len(reply["runs"]) <= page_size
        seen += [run["run_id"] for run in reply["runs"]]
        token = reply["next_page_token"]
        if not token:
            return seen
    raise AssertionError("paging did not end")


async def test_paging_lists_every_root_run_once_newest_first(stack: Stack) -> None:
    ids = await stack.synthetic(count=23, status="Succeeded", subworkflows=1)
    assert await all_pages(stack, "", 5) == list(reversed(ids))


async def test_runs_submitted_between_pages_are_not_repeated_or_skipped(stack: Stack) -> None:
    ids = await stack.synthetic(count=17, status="Running")
    seen: list[str] = []
    token = ""
    while True:
        path = "runs?page_size=4" + (f"&page_token={token}" if token else "")
        reply = (await stack.wes.get(path, expect=200)).json
        seen += [run["run_id"] for run in reply["runs"]]
        token = reply["next_page_token"]
        if not token:
            break
        await stack.synthetic(count=3, status="Running")
    assert seen == list(reversed(ids))


async def test_rows_are_run_summaries_without_bookkeeping_labels(stack: Stack) -> None:
    await stack.synthetic(
        count=1, status="Succeeded", labels={"project": "demo", "workflow_url": "x.wdl"}
    )
    run = (await stack.wes.get("runs", expect=200)).json["runs"][0]
    assert run["state"] == "COMPLETE"
    assert run["tags"] == {"project": "demo"}
    assert run["start_time"].endswith("Z")
    assert run["end_time"].endswith("Z")


async def test_filters_are_pushed_down_to_cromwell(stack: Stack) -> None:
    await stack.synthetic(count=3, status="Running", labels={"project": "a"}, name="alpha")
    await stack.synthetic(count=2, status="Succeeded", labels={"project": "a"}, name="alpha")
    await stack.synthetic(count=4, status="Running", labels={"project": "b"}, name="beta")
    query = (
        "&state=RUNNING&state=PAUSED&tag=project:a&name=alpha&submitted_after=2000-01-01T00:00:00Z"
    )
    runs = await all_pages(stack, query, 10)
    assert len(runs) == 3
    queries = [dict_of(q) for q in await stack.requests_to_cromwell("/query")]
    page_queries = [q for q in queries if "newestFirst" in q]
    assert page_queries, "the list must come from Cromwell's query API"
    for params in page_queries:
        assert params["status"] == ["Running", "On Hold"]
        assert params["label"] == ["project:a"]
        assert params["name"] == ["alpha"]
        assert params["submission"] == ["2000-01-01T00:00:00.000Z"]
        assert params["includeSubworkflows"] == ["false"]
        assert params["pageSize"] == ["10"]


async def test_submitted_before_uses_count_queries(stack: Stack) -> None:
    old = await stack.synthetic(count=3, status="Succeeded", submission="2020-09-13T12:26:40.000Z")
    await stack.synthetic(count=2, status="Succeeded", submission="2023-11-14T22:13:20.000Z")
    runs = await all_pages(stack, "&submitted_before=2022-01-01T00:00:00Z", 2)
    assert runs == list(reversed(old))


def dict_of(entry: dict[str, Any]) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for key, value in entry["query"]:
        params.setdefault(key, []).append(value)
    return params


@pytest.mark.parametrize(
    "query",
    [
        "page_size=0",
        "page_size=1001",
        "page_size=abc",
        "page_size=9223372036854775808",
        "page_token=garbage",
        "state=NOPE",
        "tag=nocolon",
        "submitted_after=yesterday",
        # Cromwell refuses these names; the gateway says so itself, rather than a 502.
        "name=a%22b",
        "name=%00",
        "name=%F0%9F%98%80",
        "name=1st",
        # One value each: a second would be dropped in silence.
        "page_size=1&page_size=2",
        "submitted_after=2020-01-01T00:00:00Z&submitted_after=2030-01-01T00:00:00Z",
    ],
)
async def test_bad_list_parameters_are_400(stack: Stack, query: str) -> None:
    reply = await stack.wes.get(f"runs?{query}", expect=400)
    assert reply.json["status_code"] == 400
    assert query.split("=")[0] in reply.json["msg"]


async def test_a_token_from_other_filters_is_400(stack: Stack) -> None:
    await stack.synthetic(count=5, status="Running")
    token = (await stack.wes.get("runs?page_size=2", expect=200)).json["next_page_token"]
    assert token
    reply = await stack.wes.get(f"runs?page_size=2&state=RUNNING&page_token={token}", expect=400)
    assert "page_token" in reply.json["msg"]
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    await stack.wes.get(f"runs?page_size=2&page_token={tampered}", expect=400)


async def test_states_no_status_maps_to_list_nothing(stack: Stack) -> None:
    await stack.synthetic(count=2, status="Failed")
    reply = (await stack.wes.get("runs?state=SYSTEM_ERROR", expect=200)).json
    assert reply == {"runs": [], "next_page_token": ""}


async def test_queries_that_differ_only_in_their_percent_encoding_are_read_apart(
    stack: Stack,
) -> None:
    run_id = await stack.wes.submit(hello_form(tags={"team": "r&d"}, controlled=True))
    # `%2526` is the text `%26`, `%26` is `&`: once decoded, both queries read `tag=team:r%26d`.
    literal = await stack.wes.get("runs?tag=team:r%2526d&page_size=7", expect=200)
    assert literal.json["runs"] == []
    ampersand = await stack.wes.get("runs?tag=team:r%26d&page_size=7", expect=200)
    assert [run["run_id"] for run in ampersand.json["runs"]] == [run_id]
