"""The gateway in front of a Cromwell that replays real recorded responses, over sockets: every
recorded metadata body is served as a run, every top-level run is listed exactly once."""

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest

from tests.api.conftest import MakeReplay, Wes
from tests.api.replay import ReplayingCromwell
from tests.recordings import (
    SNAPSHOTS_OF_ONE_WORKFLOW,
    STATUS_LEFT_OUT,
    load,
    metadata_recordings,
    replayable,
)
from tests.translate.test_states import EXPECTED

ONE_FORM = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def call_attempts(metadata: dict[str, Any]) -> int:
    """Elements of `calls` at any depth that are tasks rather than sub-workflows."""
    count = 0
    for elements in (metadata.get("calls") or {}).values():
        for call in elements:
            if "subWorkflowMetadata" in call:
                count += call_attempts(call["subWorkflowMetadata"])
            elif "subWorkflowId" not in call:
                count += 1
    return count


async def all_task_pages(wes: Wes, run_id: str, size: int) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = []
    token = ""
    for _ in range(1000):
        query = f"page_size={size}" + (f"&page_token={token}" if token else "")
        page = (await wes.get(f"runs/{run_id}/tasks?{query}", expect=200)).json
        assert len(page["task_logs"]) <= size
        tasks += page["task_logs"]
        token = page["next_page_token"]
        if not token:
            return tasks
    raise AssertionError("task pages never ended")


@pytest.mark.parametrize("recording", metadata_recordings())
async def test_every_recorded_run_is_served(make_replay: MakeReplay, recording: str) -> None:
    metadata = replayable(recording)
    cromwell = ReplayingCromwell()
    status = STATUS_LEFT_OUT.get(recording)
    run_id = cromwell.add(metadata, status=status)
    state = EXPECTED[status or metadata["status"]].value
    replay = await make_replay(cromwell)

    log = (await replay.wes.get(f"runs/{run_id}", expect=200)).json
    assert log["run_id"] == run_id
    assert log["state"] == state
    assert (await replay.wes.get(f"runs/{run_id}/status", expect=200)).json == {
        "run_id": run_id,
        "state": state,
    }
    tasks = await all_task_pages(replay.wes, run_id, size=7)
    ids = [task["id"] for task in tasks]
    assert len(ids) == len(set(ids)) == call_attempts(metadata), "one task per call attempt"
    assert ids == [task["id"] for task in log["task_logs"]], "pages = task_logs, same order"
    for task in tasks[:3]:
        one = await replay.wes.get(f"runs/{run_id}/tasks/{quote(task['id'], safe='')}")
        assert one.json == task
    times = [log["run_log"].get(k) for k in ("start_time", "end_time")]
    times += [task.get(k) for task in tasks for k in ("start_time", "end_time")]
    assert all(ONE_FORM.match(t) for t in times if t is not None), "one RFC 3339 form"


async def test_run_list_pages_every_top_level_run_exactly_once(make_replay: MakeReplay) -> None:
    """Every recording served at once, in submission order; the earlier snapshot of a workflow
    recorded twice is left out (one workflow, one row). Sub-workflows, nested or fetched by
    their own id, are rows of Cromwell's query but not runs."""
    cromwell = ReplayingCromwell()
    names = [n for n in metadata_recordings() if n not in SNAPSHOTS_OF_ONE_WORKFLOW[:-1]]
    for name in sorted(names, key=lambda n: submitted(load(n))):
        cromwell.add(replayable(name), status=STATUS_LEFT_OUT.get(name))
    bodies = [wid for wid, workflow in cromwell.workflows.items() if workflow.parent is None]
    assert len(cromwell.workflows) > len(bodies), "sub-workflows are in Cromwell's table too"
    replay = await make_replay(cromwell)
    listed: list[str] = []
    token = ""
    while True:
        page = (
            await replay.wes.get(
                "runs?page_size=4" + (f"&page_token={token}" if token else ""), expect=200
            )
        ).json
        listed += [run["run_id"] for run in page["runs"]]
        token = page["next_page_token"]
        if not token:
            break
    assert sorted(listed) == sorted(bodies), "every top-level run, and nothing else"
    assert len(listed) == len(set(listed)), "none twice"
    assert listed == list(reversed(bodies)), "newest first"


def submitted(body: dict[str, Any]) -> datetime:
    """When the workflow was submitted (or started, for bodies without it), as an instant."""
    text = body.get("submission") or body.get("start")
    if text is None:
        return datetime.min.replace(tzinfo=UTC)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def test_submitted_before_compares_instants(make_replay: MakeReplay) -> None:
    """A run submitted at 23:01:51.187 is not "before 23:01:51Z", even where Cromwell's row
    order is not submission order (issue 14 item 3)."""
    cromwell = ReplayingCromwell()
    later = {**load("metadata-succeeded.json"), "submission": "2024-08-09T23:01:51.187Z"}
    earlier = {
        **load("metadata-failed.json"),
        "submission": "2024-08-09T18:01:50.000-05:00",
    }
    cromwell.add(later)  # older summary row, later submission
    cromwell.add(earlier)
    replay = await make_replay(cromwell)
    reply = await replay.wes.get("runs?submitted_before=2024-08-09T23:01:51Z", expect=200)
    assert later["id"] not in [run["run_id"] for run in reply.json["runs"]]
    reply = await replay.wes.get("runs?submitted_after=2024-08-09T23:01:51Z", expect=200)
    assert [run["run_id"] for run in reply.json["runs"]] == [later["id"]]
    [query] = [q for _, path, q in cromwell.journal[-1:] if path.endswith("/query")]
    assert ("submission", "2024-08-09T23:01:51.000Z") in query, "the one form, to Cromwell too"


@pytest.mark.parametrize(
    ("status", "state"), [("Succeeded", "COMPLETE"), ("Failed", "EXECUTOR_ERROR")]
)
async def test_archived_run_says_so_and_agrees_with_its_status(
    make_replay: MakeReplay, status: str, state: str
) -> None:
    run_id = "8c6d3f1e-2b7a-4e59-9d0c-5a4b3c2d1e0f"
    cromwell = ReplayingCromwell()
    cromwell.add_archived(run_id, status)
    replay = await make_replay(cromwell)
    log = (await replay.wes.get(f"runs/{run_id}", expect=200)).json
    assert log["state"] == state
    assert (await replay.wes.get(f"runs/{run_id}/status", expect=200)).json["state"] == state
    [notice] = log["run_log"]["system_logs"]
    assert notice.startswith("Cromwell has archived this workflow's metadata")
    assert log["task_logs"] == []
    await replay.wes.get(f"runs/{run_id}", expect=200)
    assert len(cromwell.requested(f"/{run_id}/metadata")) == 1, "cached as the finished run it is"
