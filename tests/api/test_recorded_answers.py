"""What the gateway makes of each recorded answer other than metadata: engine health, status,
abort, submit and query bodies, and Cromwell's own WES answers for the same runs."""

import pytest

from tests.api.conftest import MakeReplay, hello_form
from tests.api.replay import ReplayingCromwell
from tests.recordings import load

SUCCEEDED = "metadata-succeeded.json"


@pytest.mark.parametrize(
    ("recording", "status", "ready"),
    [
        pytest.param("engine-status.json", 200, True, id="default-config"),
        pytest.param("more/engine-status-recorded-v91.json", 200, True, id="real-91"),
        pytest.param("engine-status-db-check.json", 200, True, id="database-checked"),
        pytest.param("engine-status-unhealthy.json", 500, False, id="unhealthy"),
    ],
)
async def test_readiness_follows_cromwells_engine_status(
    make_replay: MakeReplay, recording: str, status: int, ready: bool
) -> None:
    cromwell = ReplayingCromwell(engine_status=(status, load(recording)))
    replay = await make_replay(cromwell)
    reply = await replay.wes.get("/health/ready", expect=200 if ready else 503)
    assert reply.json["status"] == ("UP" if ready else "DOWN")


@pytest.mark.parametrize(
    ("recording", "state"),
    [
        pytest.param("status.json", "COMPLETE", id="status"),
        pytest.param("submit.json", "QUEUED", id="submitted"),
        pytest.param("submit-on-hold.json", "PAUSED", id="on-hold"),
        pytest.param("release-hold.json", "QUEUED", id="released"),
        pytest.param("abort-aborting.json", "CANCELING", id="aborting"),
        pytest.param("abort-aborted.json", "CANCELED", id="aborted"),
    ],
)
async def test_status_answers_map_to_states(
    make_replay: MakeReplay, recording: str, state: str
) -> None:
    """Every recorded `{id, status}` answer, as /status of that workflow."""
    answer = load(recording)
    cromwell = ReplayingCromwell()
    cromwell.add(answer)
    replay = await make_replay(cromwell)
    reply = await replay.wes.get(f"runs/{answer['id']}/status", expect=200)
    assert reply.json == {"run_id": answer["id"], "state": state}


async def test_status_of_a_cromwell_021_answer(make_replay: MakeReplay) -> None:
    body = load("more/small-bodies-recorded.json")["status_submitted_v21"]["body"]
    cromwell = ReplayingCromwell()
    cromwell.add(body)
    replay = await make_replay(cromwell)
    reply = await replay.wes.get(f"runs/{body['id']}/status", expect=200)
    assert reply.json["state"] == "QUEUED"


@pytest.mark.parametrize(
    ("status", "recording"),
    [("Running", "abort-aborting.json"), ("Submitted", "abort-aborted.json")],
)
async def test_cancel_answers_with_the_run_id(
    make_replay: MakeReplay, status: str, recording: str
) -> None:
    """Cromwell answers the abort with `recording`; WES answers with the run id only, the
    same body as Cromwell's own WES (`post_cancel_200`)."""
    answer = load(recording)
    cromwell = ReplayingCromwell()
    cromwell.add({"id": answer["id"], "status": status})
    replay = await make_replay(cromwell)
    reply = await replay.wes.post(f"runs/{answer['id']}/cancel", expect=200)
    builtin = load("cromwell-builtin-wes-responses.json")["post_cancel_200"]
    assert reply.json.keys() == builtin.keys()
    assert reply.json == {"run_id": answer["id"]}
    assert cromwell.requested(f"/{answer['id']}/abort")


async def test_cancel_of_a_finished_run_is_409(make_replay: MakeReplay) -> None:
    """Cromwell's 404 `abort_not_in_progress` for a finished run is not "no such run"."""
    cromwell = ReplayingCromwell()
    run_id = cromwell.add(load(SUCCEEDED))
    replay = await make_replay(cromwell)
    reply = await replay.wes.post(f"runs/{run_id}/cancel", expect=409)
    assert "already COMPLETE" in reply.json["msg"]


async def test_submit_answers_with_the_id_cromwell_created(make_replay: MakeReplay) -> None:
    """Cromwell answers `submit.json`'s shape with the id the gateway asked for."""
    cromwell = ReplayingCromwell()
    replay = await make_replay(cromwell)
    reply = await replay.wes.post("runs", data=hello_form(), expect=200)
    builtin = load("cromwell-builtin-wes-responses.json")["post_runs_201"]
    assert reply.json.keys() == builtin.keys()
    assert cromwell.requested("/api/workflows/v1")


@pytest.mark.parametrize(
    ("recording", "expected"),
    [
        pytest.param(
            "query.json",
            [
                "f1e0a1c0-304a-4e8b-8244-3074f5ee2fc7",
                "428a138c-5700-495c-aa2d-7779f146ad5c",
                "51b35b88-d4dd-49b0-bc16-7d54c1461a07",
                "4482b03f-388f-4bc1-9a5c-ee511a921da4",
            ],
            id="four-runs",
        ),
        pytest.param("query-empty.json", [], id="none"),
        pytest.param(
            "query-with-labels-and-subworkflow.json",
            ["1d919bd4-d046-43b0-9918-9964509689dd", "7620a5c6-a5c6-466c-994b-dd8dca917b9b"],
            id="a-subworkflow-row-is-no-run",
        ),
    ],
)
async def test_query_answers_list_runs(
    make_replay: MakeReplay, recording: str, expected: list[str]
) -> None:
    """Cromwell answering these recorded bodies verbatim (it would have left the sub-workflow
    out when asked to; a server before 30 could not)."""
    replay = await make_replay(ReplayingCromwell(query_answer=load(recording)))
    page = (await replay.wes.get("runs?page_size=10", expect=200)).json
    assert [run["run_id"] for run in page["runs"]] == expected
    assert page["next_page_token"] == ""
    if expected:
        assert page["runs"][0]["state"] == "COMPLETE"
        assert page["runs"][0]["start_time"] == "2024-08-13T16:35:41.694Z"


async def test_a_query_answer_without_a_total_is_502_not_one_page(
    make_replay: MakeReplay,
) -> None:
    """A dev build before Cromwell 30 answered without totalResultsCount (PR #2971)."""
    body = load("more/small-bodies-recorded.json")["query_additionalKeys_labels_v30dev"]["body"]
    replay = await make_replay(ReplayingCromwell(query_answer=body))
    reply = await replay.wes.get("runs", expect=502)
    assert "totalResultsCount" in reply.json["msg"]


async def test_service_info_names_the_engine_and_accepts_what_womtool_describes(
    make_replay: MakeReplay,
) -> None:
    replay = await make_replay()
    info = (await replay.wes.get("service-info", expect=200)).json
    version = load("version.json")["cromwell"]
    assert info["workflow_engine_versions"]["cromwell"]["workflow_engine_version"] == [version]
    described = load("womtool-describe.json")["submittedDescriptorType"]
    accepted = info["workflow_type_versions"][described["descriptorType"]]
    assert described["descriptorTypeVersion"] in accepted["workflow_type_version"]
    builtin = load("cromwell-builtin-wes-responses.json")["service_info_200"]
    builtin_wdl = set(builtin["workflow_type_version"]["WDL"]) - {"cascades"}
    assert builtin_wdl <= set(accepted["workflow_type_version"]), "every released WDL version"
    ours = {".".join(v.split(".")[:2]) for v in info["supported_wes_versions"]}
    assert set(builtin["supported_wes_versions"]) <= ours, "clients of Cromwell's WES 1.0"


async def test_the_run_agrees_with_cromwells_own_wes(make_replay: MakeReplay) -> None:
    """`get_run_derived_from_metadata_succeeded` is Cromwell's own WES for the same body: the
    fields both fill agree; where ours differ it is on purpose (URLs for logs, the workflow
    type known)."""
    builtin = load("cromwell-builtin-wes-responses.json")
    theirs = builtin["get_run_derived_from_metadata_succeeded"]
    cromwell = ReplayingCromwell()
    run_id = cromwell.add(load(SUCCEEDED))
    replay = await make_replay(cromwell)
    ours = (await replay.wes.get(f"runs/{run_id}", expect=200)).json
    assert ours["run_id"] == theirs["run_id"]
    assert ours["state"] == theirs["state"]
    assert ours["outputs"] == theirs["outputs"]
    assert ours["request"]["workflow_params"] == theirs["request"]["workflow_params"]
    assert ours["request"]["workflow_type"] == "WDL"  # theirs: "None supplied"
    for key in ("name", "start_time", "end_time"):
        assert ours["run_log"][key] == theirs["run_log"][key]
    [our_task], [their_task] = ours["task_logs"], theirs["task_logs"]
    for key in ("name", "cmd", "start_time", "end_time", "exit_code"):
        assert our_task[key] == their_task[key], key
    assert our_task["stdout"].endswith(f"/runs/{run_id}/logs/task/test.hello@1/stdout")
    status = (await replay.wes.get(f"runs/{run_id}/status", expect=200)).json
    assert status == builtin["get_run_status_200"]
    listed = (await replay.wes.get("runs", expect=200)).json["runs"]
    [theirs_listed] = builtin["get_runs_200"]["runs"]
    assert [{k: run[k] for k in theirs_listed} for run in listed] == [theirs_listed]


async def test_unknown_and_malformed_ids_are_404_never_500(make_replay: MakeReplay) -> None:
    """Cromwell's own WES answers an invalid id on cancel with a 500 (`error_invalid_id_on_
    cancel_500`); a WES client must get a 404 in the same ErrorResponse shape."""
    builtin = load("cromwell-builtin-wes-responses.json")
    replay = await make_replay()
    for method, path in (("POST", "runs/foobar/cancel"), ("GET", "runs/foobar")):
        reply = await replay.wes.call(method, path, expect=404)
        assert builtin["error_invalid_id_on_cancel_500"].keys() <= reply.json.keys()
    unknown = "5d1c2a7e-0f3b-4c6d-8e9a-1b2c3d4e5f60"
    reply = await replay.wes.get(f"runs/{unknown}", expect=404)
    assert builtin["error_404"].keys() <= reply.json.keys()
    assert reply.json["status_code"] == builtin["error_404"]["status_code"]


def endpoints_never_called() -> dict[str, str]:
    """Cromwell endpoints whose recorded answers the gateway never needs: a proxy in front of
    Cromwell may block them."""
    return {
        "/outputs": "outputs.json",
        "/logs": "logs.json",
        "/backends": "backends.json",
        "/batch": "submit-batch.json",
        "/releaseHold": "release-hold.json",
        "/callcaching/diff": "callcaching-diff.json",
        "/womtool/": "womtool-describe.json",
        "/engine/v1/stats": "more/small-bodies-recorded.json",
    }


async def test_the_gateway_never_calls_the_endpoints_it_does_not_need(
    make_replay: MakeReplay,
) -> None:
    cromwell = ReplayingCromwell()
    run_id = cromwell.add(load(SUCCEEDED))
    replay = await make_replay(cromwell)
    wes = replay.wes
    for path in ("service-info", "runs", f"runs/{run_id}", f"runs/{run_id}/status"):
        await wes.get(path, expect=200)
    await wes.get(f"runs/{run_id}/tasks", expect=200)
    await wes.post("runs", data=hello_form(), expect=200)
    await wes.get("/health/ready", expect=200)
    called = [path for _, path, _ in cromwell.journal]
    for endpoint, recording in endpoints_never_called().items():
        assert load(recording) is not None
        assert not [path for path in called if endpoint in path], endpoint
    assert "engine_stats_v21" in load("more/small-bodies-recorded.json")
