"""Submission, labels, abort, hold and the post-submit 404 quirk, as real Cromwell behaves."""

import json
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpServer

from tests.emulator.conftest import Connect
from tests.emulator.helpers import (
    API,
    HELLO_DRAFT2,
    get_json,
    move,
    post_json,
    status_of,
    submit,
    wait_status,
    wait_until,
)


async def patch_labels(
    session: aiohttp.ClientSession, workflow_id: str, labels: Any, expect: int = 200
) -> Any:
    async with session.patch(f"{API}/{workflow_id}/labels", json=labels) as response:
        body = await response.json()
        assert response.status == expect, body
        return body


async def test_labels_patch_merges_and_answers_every_label(
    controlled: aiohttp.ClientSession,
) -> None:
    submitted = await submit(controlled, HELLO_DRAFT2, labels={"a": "1", "b": "2"})
    patched = await patch_labels(controlled, submitted["id"], {"b": "two", "c": "3"})
    assert patched == {
        "id": submitted["id"],
        "labels": {
            "a": "1",
            "b": "two",
            "c": "3",
            "cromwell-workflow-id": f"cromwell-{submitted['id']}",
        },
    }
    assert (await get_json(controlled, f"{API}/{submitted['id']}/labels")) == patched
    found = await get_json(controlled, f"{API}/query?label=c:3")
    assert [r["id"] for r in found["results"]] == [submitted["id"]]


@pytest.mark.parametrize(
    ("labels", "message_part"),
    [
        pytest.param({"n": 1}, "Labels must be strings", id="number"),
        pytest.param({"": "v"}, "can't be empty", id="empty-key"),
        pytest.param({"k" * 256: "v"}, "The maximum is 255.", id="long-key"),
        pytest.param({"k": "v" * 256}, "The maximum is 255.", id="long-value"),
        pytest.param(["not", "an", "object"], "Expected a JsObject", id="array"),
    ],
)
async def test_bad_labels_are_400(
    controlled: aiohttp.ClientSession, labels: Any, message_part: str
) -> None:
    form = aiohttp.FormData()
    form.add_field("workflowSource", HELLO_DRAFT2)
    form.add_field("labels", json.dumps(labels))
    async with controlled.post(API, data=form) as response:
        body = await response.json()
    assert response.status == 400
    assert body["status"] == "fail"
    assert body["message"].startswith("Error(s): ")
    assert message_part in body["message"]
    submitted = await submit(controlled, HELLO_DRAFT2)
    patched = await patch_labels(controlled, submitted["id"], labels, expect=400)
    assert message_part in patched["message"]


async def test_abort_semantics(connect: Connect) -> None:
    # A long pickup delay keeps executed workflows Submitted while the test acts.
    session = await connect(pickup_delay=600)
    submitted = await submit(session, HELLO_DRAFT2)
    assert await post_json(session, f"{API}/{submitted['id']}/abort") == {
        "id": submitted["id"],
        "status": "Aborted",
    }
    body = await get_json(session, f"{API}/{submitted['id']}/metadata")
    assert body["status"] == "Aborted"
    assert "end" in body
    held = await submit(session, HELLO_DRAFT2, parts={"workflowOnHold": "true"})
    assert (await post_json(session, f"{API}/{held['id']}/abort"))["status"] == "Aborted"
    finished = await post_json(session, f"{API}/{submitted['id']}/abort", expect=404)
    assert finished == {
        "status": "error",
        "message": (
            f"Couldn't abort {submitted['id']} because no workflow with that ID is in progress"
        ),
    }
    malformed = await post_json(session, f"{API}/not-a-uuid/abort", expect=400)
    assert malformed == {"status": "fail", "message": "Invalid workflow ID: 'not-a-uuid'."}


async def test_controlled_abort_stays_aborting_until_moved(
    controlled: aiohttp.ClientSession,
) -> None:
    submitted = await submit(controlled, HELLO_DRAFT2)
    await move(controlled, submitted["id"], status="Running")
    assert (await post_json(controlled, f"{API}/{submitted['id']}/abort"))["status"] == "Aborting"
    assert await status_of(controlled, submitted["id"]) == "Aborting"
    assert (await post_json(controlled, f"{API}/{submitted['id']}/abort"))["status"] == "Aborting"
    await move(controlled, submitted["id"], status="Aborted")
    body = await get_json(controlled, f"{API}/{submitted['id']}/metadata")
    assert body["calls"]["test.hello"][0]["executionStatus"] == "Aborted"


async def test_release_hold(controlled: aiohttp.ClientSession) -> None:
    held = await submit(controlled, HELLO_DRAFT2, parts={"workflowOnHold": "true"})
    assert await status_of(controlled, held["id"]) == "On Hold"
    released = await post_json(controlled, f"{API}/{held['id']}/releaseHold")
    assert released == {"id": held["id"], "status": "Submitted"}
    again = await post_json(controlled, f"{API}/{held['id']}/releaseHold", expect=400)
    assert again["status"] == "fail"
    unknown = str(uuid.uuid4())
    missing = await post_json(controlled, f"{API}/{unknown}/releaseHold", expect=404)
    assert missing == {"status": "fail", "message": f"Unrecognized workflow ID: {unknown}"}


async def test_requested_workflow_id(controlled: aiohttp.ClientSession) -> None:
    chosen = str(uuid.uuid4())
    submitted = await submit(controlled, HELLO_DRAFT2, parts={"requestedWorkflowId": f'"{chosen}"'})
    assert submitted["id"] == chosen
    reused = await submit(
        controlled, HELLO_DRAFT2, parts={"requestedWorkflowId": f'"{chosen}"'}, expect=400
    )
    assert reused["message"] == f"Requested workflow IDs are already in use: {chosen}"
    bad = await submit(controlled, HELLO_DRAFT2, parts={"requestedWorkflowId": '"x"'}, expect=400)
    assert bad["message"] == "Error(s): Invalid UUID string: x"


@pytest.mark.parametrize(
    ("options", "accepted"),
    [
        pytest.param({"my_own_key": "any string", "flag": True, "n": 3}, True, id="scalars"),
        pytest.param({"default_runtime_attributes": {"docker": "ubuntu"}}, True, id="runtime"),
        pytest.param({"final_workflow_outputs_dir": ["a"]}, False, id="array"),
        pytest.param({"defaultRuntimeOptions": {"cpu": 1}}, False, id="object"),
    ],
)
async def test_workflow_options_follow_cromwells_code(
    controlled: aiohttp.ClientSession, options: dict[str, Any], accepted: bool
) -> None:
    answer = await submit(
        controlled, HELLO_DRAFT2, options=options, expect=201 if accepted else 400
    )
    if accepted:
        body = await get_json(controlled, f"{API}/{answer['id']}/metadata")
        assert json.loads(body["submittedFiles"]["options"]) == options
    else:
        [(key, value)] = options.items()
        compact = json.dumps(value, separators=(",", ":"))
        assert answer["message"] == (
            "Error(s): Invalid workflow options provided: Unsupported key/value pair in "
            f"WorkflowOptions: {key} -> {compact}"
        )


async def test_invalid_wdl_is_accepted_then_fails(executing: aiohttp.ClientSession) -> None:
    submitted = await submit(executing, "workflow broken { call }")
    assert submitted["status"] == "Submitted"
    await wait_status(executing, submitted["id"], "Failed")
    body = await get_json(executing, f"{API}/{submitted['id']}/metadata")
    [failure] = body["failures"]
    assert failure["message"] == "Workflow input processing failed"
    assert failure["causedBy"][0]["message"]
    assert body["calls"] == {}


async def test_missing_import_fails_with_its_cause(executing: aiohttp.ClientSession) -> None:
    source = 'version 1.0\nimport "lib/missing.wdl" as lib\nworkflow w { call lib.t }\n'
    submitted = await submit(executing, source, dependencies={"lib/other.wdl": "version 1.0\n"})
    await wait_status(executing, submitted["id"], "Failed")
    body = await get_json(executing, f"{API}/{submitted['id']}/metadata?includeKey=failures")
    cause = body["failures"][0]["causedBy"][0]
    assert "lib/missing.wdl" in json.dumps(cause)


async def test_post_submit_404_window(connect: Connect) -> None:
    session = await connect(mode="controlled", post_submit_404=0.5)
    submitted = await submit(session, HELLO_DRAFT2)
    workflow_id = submitted["id"]
    for view in ("status", "metadata", "outputs", "logs", "labels"):
        body = await get_json(session, f"{API}/{workflow_id}/{view}", expect=404)
        assert body == {"status": "fail", "message": f"Unrecognized workflow ID: {workflow_id}"}

    async def visible() -> bool:
        async with session.get(f"{API}/{workflow_id}/status") as response:
            return response.status == 200

    await wait_until(visible, "the workflow becoming visible after the 404 window", within=10)
    other = await submit(session, HELLO_DRAFT2)
    # Abort goes to the workflow store: it works at once.
    aborted = await post_json(session, f"{API}/{other['id']}/abort")
    assert aborted["status"] == "Aborted"


async def test_submission_parts(controlled: aiohttp.ClientSession) -> None:
    form = aiohttp.FormData()
    form.add_field("wdlSource", HELLO_DRAFT2)
    form.add_field("workflowInputs", json.dumps({"test.hello.name": "one", "extra": 1}))
    form.add_field("workflowInputs_3", json.dumps({"test.hello.name": "three"}))
    form.add_field("workflowInputs_2", json.dumps({"test.hello.name": "two", "more": 2}))
    async with controlled.post(API, data=form) as response:
        submitted = await response.json()
        assert response.status == 201
        assert "has been deprecated in favor of 'workflowSource'" in response.headers["Warning"]
    view = await get_json(controlled, f"/_emulator/workflows/{submitted['id']}")
    assert view["submitted"]["inputs"] == {"test.hello.name": "three", "extra": 1, "more": 2}
    assert view["submitted"]["workflowSource"] == HELLO_DRAFT2
    assert view["mode"] == "controlled"
    both = await submit(
        controlled, HELLO_DRAFT2, parts={"workflowUrl": "http://127.0.0.1/x.wdl"}, expect=400
    )
    assert both["message"] == "Error(s): workflowSource and workflowUrl can't both be supplied"
    not_a_type = await submit(controlled, HELLO_DRAFT2, parts={"workflowType": "CWL"}, expect=400)
    assert "CWL" in not_a_type["message"]


async def test_workflow_url_is_fetched_from_loopback_only(
    controlled: aiohttp.ClientSession, aiohttp_server: AiohttpServer, tmp_path: Path
) -> None:
    async def wdl(request: web.Request) -> web.Response:
        return web.Response(text=HELLO_DRAFT2)

    source_app = web.Application()
    source_app.router.add_get("/hello.wdl", wdl)
    source = await aiohttp_server(source_app)
    by_http = await submit(
        controlled, None, parts={"workflowUrl": str(source.make_url("/hello.wdl"))}
    )
    await move(controlled, by_http["id"], status="Succeeded")
    body = await get_json(controlled, f"{API}/{by_http['id']}/metadata")
    assert body["workflowName"] == "test"
    assert body["submittedFiles"]["workflow"] == HELLO_DRAFT2
    assert body["submittedFiles"]["workflowUrl"].endswith("hello.wdl")
    local = tmp_path / "hello.wdl"
    local.write_text(HELLO_DRAFT2)
    for outside in ("https://example.org/x.wdl", local.as_uri()):
        refused = await submit(controlled, None, parts={"workflowUrl": outside}, expect=400)
        assert refused["message"] == (
            "Error(s): Error while validating workflow url: the emulator only fetches loopback "
            f"http(s):// URLs: {outside}"
        )


async def test_request_journal_records_what_cromwell_received(
    controlled: aiohttp.ClientSession,
) -> None:
    async with controlled.delete("/_emulator/requests") as response:
        assert response.status == 200
    await submit(
        controlled, HELLO_DRAFT2, inputs={"test.hello.name": "x"}, dependencies={"a.wdl": ""}
    )
    await get_json(controlled, f"{API}/query?status=Running&pageSize=2")
    entries = await get_json(controlled, "/_emulator/requests")
    assert [(e["method"], e["path"]) for e in entries] == [
        ("POST", API),
        ("GET", f"{API}/query"),
    ]
    form = entries[0]["form"]
    assert form["workflowSource"] == HELLO_DRAFT2
    assert json.loads(form["workflowInputs"]) == {"test.hello.name": "x"}
    assert form["workflowDependencies"]["filename"] == "deps.zip"
    assert form["workflowDependencies"]["size"] > 0
    assert entries[1]["query"] == [["status", "Running"], ["pageSize", "2"]]
    assert entries[1]["form"] is None


async def test_unknown_paths_and_methods_answer_like_akka(
    controlled: aiohttp.ClientSession,
) -> None:
    async with controlled.get("/api/workflows/v1/nowhere/else/at/all") as response:
        assert response.status == 404
        assert await response.text() == "The requested resource could not be found."
    async with controlled.delete(f"{API}/{uuid.uuid4()}/status") as response:
        assert response.status == 405
        assert await response.text() == "HTTP method not allowed, supported methods: GET"


async def test_controlled_moves_are_checked(
    controlled: aiohttp.ClientSession, connect: Connect, tmp_path: Path
) -> None:
    submitted = await submit(controlled, HELLO_DRAFT2)
    path = f"/_emulator/workflows/{submitted['id']}/status"
    bad = await post_json(controlled, path, {"status": "Done"}, expect=400)
    assert "unknown status" in bad["error"]
    executing = await connect(data_dir=tmp_path / "executing", pickup_delay=600)
    runnable = await submit(executing, HELLO_DRAFT2)
    path = f"/_emulator/workflows/{runnable['id']}/status"
    refused = await post_json(executing, path, {"status": "Running"}, expect=409)
    assert "not a controlled" in refused["error"]


async def test_stats(controlled: aiohttp.ClientSession) -> None:
    await submit(controlled, HELLO_DRAFT2)
    await post_json(
        controlled, "/_emulator/workflows", {"count": 3, "status": "Failed"}, expect=201
    )
    stats = await get_json(controlled, "/_emulator/stats")
    assert stats["workflows"] == stats["root_workflows"] == 4
    assert stats["submissions"] == 1
    assert stats["by_status"]["Failed"] == 3
    assert stats["by_status"]["Submitted"] == 1


async def test_synthetic_outputs_are_named_by_identifiers(
    controlled: aiohttp.ClientSession,
) -> None:
    body = {"outputs": {"../../x": "File"}}
    refused = await post_json(controlled, "/_emulator/workflows", body, expect=400)
    assert "../../x" in refused["error"]


async def test_json_is_sent_without_a_charset_like_cromwell(
    controlled: aiohttp.ClientSession,
) -> None:
    submitted = await submit(controlled, HELLO_DRAFT2)
    for path in (
        f"{API}/{submitted['id']}/status",
        f"{API}/{submitted['id']}/metadata",
        f"{API}/query",
    ):
        async with controlled.get(path) as response:
            assert response.headers["Content-Type"] == "application/json", path
