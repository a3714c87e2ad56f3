"""`GET /runs/{id}/file?path=$...`: a JSONPath dialect that cannot backtrack (issue 18 item 5)."""

import asyncio
import time
from collections.abc import Awaitable

import pytest

from tests.api.conftest import Reply, Stack, hello_form

BACKTRACKING = '$.request.workflow_params[?(@ =~ "(a+)+$")]'
PROMPT = 2.0
"""Seconds; the filter above took 7-9 s on 27 `a` and a `!`, and froze every other request."""


async def timed(request: Awaitable[Reply]) -> tuple[Reply, float]:
    started = time.monotonic()
    reply = await request
    return reply, time.monotonic() - started


async def test_a_backtracking_filter_is_refused_at_once_and_nothing_waits(stack: Stack) -> None:
    run_id = await stack.wes.submit(hello_form(params={"hello_world.name": "a" * 27 + "!"}))
    await stack.wes.get(f"runs/{run_id}", expect=200)
    (refused, refused_in), (live, live_in) = await asyncio.gather(
        timed(stack.wes.get(f"runs/{run_id}/file", params={"path": BACKTRACKING})),
        timed(stack.wes.get("/health/live")),
    )
    assert refused.status == 400
    assert "names, indices and wildcards" in refused.json["msg"]
    assert live.status == 200
    assert refused_in < PROMPT
    assert live_in < PROMPT


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("$..outputs", id="descendants"),
        pytest.param("$.request.workflow_params[0:2]", id="slice"),
        pytest.param("$.outputs|$.request", id="union"),
        pytest.param("$.outputs.`parent`", id="named-operator"),
        pytest.param('$.task_logs[?(@.name == "x")]', id="filter"),
        pytest.param("$.outputs[", id="unparsable"),
        pytest.param("$" + ".a" * 600, id="too-long"),
    ],
)
async def test_paths_outside_the_dialect_are_400(stack: Stack, path: str) -> None:
    run_id = await stack.wes.submit(hello_form())
    reply = await stack.wes.get(f"runs/{run_id}/file", params={"path": path}, expect=400)
    assert reply.json["status_code"] == 400


@pytest.mark.parametrize(
    "path",
    [
        "$.outputs['hello_world.greeting']",
        "$.request.workflow_params['hello_world.name']",
        "$.task_logs[0].stdout",
        "$.task_logs[-1].name",
        "$.request.*",
        "$['outputs'][*]",
    ],
)
async def test_names_indices_and_wildcards_are_evaluated(stack: Stack, path: str) -> None:
    """Within the dialect a path resolves; one naming no file of the run is 404, not 400."""
    run_id = await stack.wes.submit(hello_form())
    await stack.wes.get(f"runs/{run_id}/file", params={"path": path}, expect=404)
