"""Contract: for each situation recorded from real Cromwell (../shared/cromwell), the emulator's
response has the same keys and JSON types as the recorded body, and validates against
Cromwell's swagger. Every allowed difference names its reason; an extra key must be one that
real Cromwell emits in the recording named as its justification.
"""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.emulator.conftest import Connect
from tests.emulator.contract import (
    CALL_CACHING_KEYS,
    EXTRA,
    NO_DOCKER_SIZE,
    Recorded,
    assert_contract,
    assert_metadata_contract,
    metadata_allowances,
    nested,
)
from tests.emulator.helpers import (
    API,
    HELLO_DRAFT2,
    get_json,
    metadata,
    move,
    post_json,
    submit,
    wait_status,
)
from tests.emulator.structure import Allowances, Swagger, lines, recorded_places, shape_problems
from tests.emulator.wdltypes import wdl_types

SCATTERED_1_0 = """version 1.0

task WriteGreeting {
  command <<< echo hello >>>
  output { String out = read_string(stdout()) }
}

task ScatterJob {
  input { Int idx }
  command <<< exit 0 >>>
}

workflow FailingInSeveralWays {
  call WriteGreeting
  scatter (idx in range(50)) {
    call ScatterJob { input: idx = idx }
  }
}
"""

SUB_MAIN = """version 1.0
import "lib/sub.wdl" as sub

workflow wf {
  scatter (i in range(2)) {
    call sub.wf_sub
  }
}
"""
SUB_DEPENDENCIES = {
    "lib/sub.wdl": """version 1.0
import "tasks/foo.wdl" as tasks

workflow wf_sub {
  scatter (i in range(2)) {
    call tasks.wf_foo
  }
}
""",
    "lib/tasks/foo.wdl": """version 1.0

task foo {
  command <<< echo foo >>>
}

workflow wf_foo {
  call foo
}
""",
}


def read(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


async def test_justifications_hold(recorded: Recorded) -> None:
    for place, recording in EXTRA.items():
        assert place in recorded_places(recorded(recording)), f"{recording} has no {place!r}"


@pytest.mark.parametrize(
    ("recording", "definition"),
    [
        pytest.param("submit.json", "WorkflowIdAndStatus", id="submit"),
        pytest.param("status.json", "WorkflowIdAndStatus", id="status"),
        pytest.param("abort-aborting.json", "WorkflowIdAndStatus", id="abort"),
        pytest.param("labels.json", "LabelsResponse", id="labels"),
        pytest.param("outputs.json", "IdOnly", id="outputs"),
        pytest.param("logs.json", "IdOnly", id="logs"),
        pytest.param("query.json", "WorkflowQueryResponse", id="query"),
        pytest.param("metadata-succeeded.json", "WorkflowMetadataResponse", id="metadata"),
        pytest.param("backends.json", "BackendResponse", id="backends"),
        pytest.param("version.json", "VersionResponse", id="version"),
    ],
)
def test_recorded_bodies_need_the_same_swagger_deviations(
    recorded: Recorded, swagger: Swagger, recording: str, definition: str
) -> None:
    assert not swagger.problems(definition, recorded(recording))


async def test_submitted_metadata(
    controlled: aiohttp.ClientSession, recorded: Recorded, swagger: Swagger
) -> None:
    submitted = await submit(controlled, HELLO_DRAFT2, inputs={}, labels={"org.x": "vitamin-d"})
    body = await metadata(controlled, submitted["id"])
    assert "workflowName" not in body
    await assert_metadata_contract(
        body, recorded("metadata-submitted.json"), swagger, source=HELLO_DRAFT2
    )


async def test_submit_status_and_logs_before_calls(
    controlled: aiohttp.ClientSession, recorded: Recorded, swagger: Swagger
) -> None:
    submitted = await submit(controlled, HELLO_DRAFT2)
    assert_contract(submitted, recorded("submit.json"), swagger, "WorkflowIdAndStatus")
    status = await get_json(controlled, f"{API}/{submitted['id']}/status")
    assert_contract(status, recorded("status.json"), swagger, "WorkflowIdAndStatus")
    logs = await get_json(controlled, f"{API}/{submitted['id']}/logs")
    assert_contract(logs, recorded("logs-no-calls-yet.json"), swagger, "IdOnly")


async def test_on_hold_submit_and_release(
    controlled: aiohttp.ClientSession, recorded: Recorded, swagger: Swagger
) -> None:
    held = await submit(controlled, HELLO_DRAFT2, parts={"workflowOnHold": "true"})
    assert held["status"] == "On Hold"
    assert_contract(held, recorded("submit-on-hold.json"), swagger, "WorkflowIdAndStatus")
    released = await post_json(controlled, f"{API}/{held['id']}/releaseHold")
    assert released == {"id": held["id"], "status": "Submitted"}
    assert_contract(released, recorded("release-hold.json"), swagger, "WorkflowIdAndStatus")


async def test_running_with_queued_call(
    controlled: aiohttp.ClientSession, recorded: Recorded, swagger: Swagger
) -> None:
    submitted = await submit(controlled, HELLO_DRAFT2, inputs={"test.hello.name": "World"})
    await move(controlled, submitted["id"], status="Running", calls_status="QueuedInCromwell")
    body = await metadata(controlled, submitted["id"], "?expandSubWorkflows=true")
    assert body["calls"]["test.hello"][0]["executionStatus"] == "QueuedInCromwell"
    await assert_metadata_contract(
        body, recorded("metadata-running-queued.json"), swagger, source=HELLO_DRAFT2
    )


async def test_running_call(
    controlled: aiohttp.ClientSession, recorded: Recorded, swagger: Swagger
) -> None:
    submitted = await submit(
        controlled, HELLO_DRAFT2, parts={"workflowType": "WDL", "workflowTypeVersion": "draft-2"}
    )
    await move(controlled, submitted["id"], status="Running")
    body = await metadata(controlled, submitted["id"])
    element = body["calls"]["test.hello"][0]
    assert element["executionStatus"] == "Running"
    assert "end" not in element
    assert "returnCode" not in element
    allowances = Allowances(missing=NO_DOCKER_SIZE)
    await assert_metadata_contract(
        body, recorded("metadata-running.json"), swagger, allowances, source=HELLO_DRAFT2
    )


async def test_running_metadata_without_calls(
    controlled: aiohttp.ClientSession, recorded: Recorded, swagger: Swagger
) -> None:
    submitted = await submit(controlled, HELLO_DRAFT2, inputs={"test.hello.name": "World"})
    await move(controlled, submitted["id"], status="Running")
    body = await metadata(controlled, submitted["id"], "?excludeKey=calls&expandSubWorkflows=false")
    assert body["calls"] == {}
    await assert_metadata_contract(
        body, recorded("metadata-excludekey-calls.json"), swagger, source=HELLO_DRAFT2
    )


async def test_succeeded_metadata_outputs_logs(
    controlled: aiohttp.ClientSession, recorded: Recorded, swagger: Swagger
) -> None:
    submitted = await submit(controlled, HELLO_DRAFT2, inputs={"test.hello.name": "World"})
    await move(controlled, submitted["id"], status="Succeeded")
    body = await metadata(controlled, submitted["id"])
    types = await wdl_types(HELLO_DRAFT2)
    assert_contract(
        body, recorded("metadata-succeeded.json"), swagger, "WorkflowMetadataResponse", types=types
    )
    outputs = await get_json(controlled, f"{API}/{submitted['id']}/outputs")
    assert_contract(outputs, recorded("outputs.json"), swagger, "IdOnly", types=types)
    logs = await get_json(controlled, f"{API}/{submitted['id']}/logs")
    assert_contract(logs, recorded("logs.json"), swagger, "IdOnly")
    for element in logs["calls"]["test.hello"]:
        assert read(element["stdout"]).endswith("synthetic stdout\n")


async def test_failed_metadata(
    controlled: aiohttp.ClientSession, recorded: Recorded, swagger: Swagger
) -> None:
    submitted = await submit(controlled, HELLO_DRAFT2, labels={"org.chrisproject.pman.name": "x"})
    await move(controlled, submitted["id"], status="Failed")
    body = await metadata(controlled, submitted["id"])
    failing = body["calls"]["test.hello"][0]
    assert failing["returnCode"] == 1
    assert "outputs" not in failing
    assert failing["failures"][0]["message"].startswith(
        "Job test.hello:NA:1 exited with return code 1"
    )
    assert body["failures"][0]["message"] == "Workflow failed"
    await assert_metadata_contract(
        body, recorded("metadata-failed.json"), swagger, source=HELLO_DRAFT2
    )


async def test_failing_scatter_of_50_shards(
    controlled: aiohttp.ClientSession, recorded: Recorded, swagger: Swagger
) -> None:
    submitted = await submit(controlled, SCATTERED_1_0, parts={"workflowType": "WDL"})
    failing = list(range(41, 50))
    await move(controlled, submitted["id"], status="Failed", shards=50, failing_shards=failing)
    body = await metadata(controlled, submitted["id"])
    shards = body["calls"]["FailingInSeveralWays.ScatterJob"]
    assert [e["shardIndex"] for e in shards] == list(range(50))
    assert [e["shardIndex"] for e in shards if e["executionStatus"] == "Failed"] == failing
    assert len(body["failures"][0]["causedBy"]) == len(failing)
    allowances = metadata_allowances(
        "$.workflowProcessingEvents", "$.submittedFiles.workflowUrl", "$.calls.*[].commandLine"
    )
    await assert_metadata_contract(
        body,
        recorded("metadata-failed-with-shards.json"),
        swagger,
        allowances,
        source=SCATTERED_1_0,
    )


async def test_retried_shard(
    controlled: aiohttp.ClientSession, recorded: Recorded, swagger: Swagger
) -> None:
    submitted = await submit(controlled, SCATTERED_1_0, parts={"workflowType": "WDL"})
    await move(controlled, submitted["id"], status="Succeeded", shards=2, retries={"0": 1})
    body = await metadata(controlled, submitted["id"])
    shard_zero = [
        e for e in body["calls"]["FailingInSeveralWays.ScatterJob"] if e["shardIndex"] == 0
    ]
    assert [(e["attempt"], e["executionStatus"]) for e in shard_zero] == [
        (1, "RetryableFailure"),
        (2, "Done"),
    ]
    assert shard_zero[0]["retryableFailure"] is True
    allowances = Allowances(
        extra={
            key: EXTRA[key]
            for key in (
                "$.workflowProcessingEvents",
                "$.actualWorkflowLanguage",
                "$.actualWorkflowLanguageVersion",
                "$.workflowRoot",
                "$.submittedFiles.root",
                "$.submittedFiles.workflowUrl",
                "$.submittedFiles.labels",
                "$.calls.*[].callRoot",
                "$.calls.*[].commandLine",
                "$.calls.*[].retryableFailure",
                "$.calls.*[].failures",
            )
        },
        missing={
            **CALL_CACHING_KEYS,
            "$.calls.*[].outputs": "a failed attempt has no outputs in current Cromwell (the "
            "failed shards of metadata-failed-with-shards.json); the 2017 docs example shows `{}`",
        },
        filled={
            "$.calls.*[].executionEvents[]": "the 2017 docs example lists none; Cromwell lists "
            "a finished job's events (metadata-succeeded.json)",
        },
    )
    # The 2017 example calls the retried attempt `Preempted`; current Cromwell reports
    # `RetryableFailure` (cromwell-api.md §2.4), so elements are matched by shape alone.
    await assert_metadata_contract(
        body,
        recorded("metadata-scatter-preempted-retry.json"),
        swagger,
        allowances,
        source=SCATTERED_1_0,
    )


async def submit_subworkflows(session: aiohttp.ClientSession) -> str:
    submitted = await submit(session, SUB_MAIN, dependencies=SUB_DEPENDENCIES)
    await move(session, submitted["id"], status="Succeeded", shards=2)
    return str(submitted["id"])


async def test_subworkflows_not_expanded(
    controlled: aiohttp.ClientSession, recorded: Recorded, swagger: Swagger
) -> None:
    workflow_id = await submit_subworkflows(controlled)
    body = await metadata(controlled, workflow_id)
    elements = body["calls"]["wf.wf_sub"]
    assert [e["shardIndex"] for e in elements] == [0, 1]
    assert all("subWorkflowMetadata" not in e and e["subWorkflowId"] for e in elements)
    assert set(body["submittedFiles"]["imports"]) == set(SUB_DEPENDENCIES)
    allowances = metadata_allowances("$.workflowProcessingEvents")
    await assert_metadata_contract(
        body,
        recorded("metadata-subworkflow-not-expanded.json"),
        swagger,
        allowances,
        source=SUB_MAIN,
        dependencies=SUB_DEPENDENCIES,
    )


async def test_subworkflows_expanded(
    controlled: aiohttp.ClientSession, recorded: Recorded, swagger: Swagger
) -> None:
    workflow_id = await submit_subworkflows(controlled)
    body = await metadata(controlled, workflow_id, "?expandSubWorkflows=true")
    sub = body["calls"]["wf.wf_sub"][0]["subWorkflowMetadata"]
    assert sub["parentWorkflowId"] == workflow_id == sub["rootWorkflowId"]
    innermost = sub["calls"]["wf_sub.wf_foo"][0]["subWorkflowMetadata"]
    assert innermost["rootWorkflowId"] == workflow_id
    assert innermost["calls"]["wf_foo.foo"][0]["executionStatus"] == "Done"
    allowances = Allowances(missing=nested(CALL_CACHING_KEYS, 2))
    await assert_metadata_contract(
        body,
        recorded("metadata-subworkflows-expanded-scatters.json"),
        swagger,
        allowances,
        source=SUB_MAIN,
        dependencies=SUB_DEPENDENCIES,
    )


async def test_query_with_labels_and_subworkflows(
    controlled: aiohttp.ClientSession, recorded: Recorded, swagger: Swagger
) -> None:
    await submit_subworkflows(controlled)
    labelled = await submit(controlled, HELLO_DRAFT2, labels={"project": "demo"})
    await move(controlled, labelled["id"], status="Succeeded")
    await submit(controlled, HELLO_DRAFT2)
    body = await get_json(controlled, f"{API}/query?additionalQueryResultFields=labels")
    # 3 roots; the sub-workflow run has 2 shards of wf_sub, each calling wf_foo once
    assert body["totalResultsCount"] == len(body["results"]) == 3 + 2 + 2
    # The recorded Submitted row (hand-made, SHAPE) has no labels; a real Submitted workflow
    # already carries its labels and `cromwell-workflow-id` (LIVE-74 metadata-submitted.json).
    submitted_labels = Allowances(extra={"$.results[].labels": "metadata-submitted.json"})
    assert_contract(
        body,
        recorded("query-with-labels-and-subworkflow.json"),
        swagger,
        "WorkflowQueryResponse",
        submitted_labels,
    )
    plain = await get_json(controlled, f"{API}/query?includeSubworkflows=false&status=Succeeded")
    assert_contract(plain, recorded("query.json"), swagger, "WorkflowQueryResponse")
    empty = await get_json(controlled, f"{API}/query?name=nothing_here")
    assert_contract(empty, recorded("query-empty.json"), swagger, "WorkflowQueryResponse")


async def test_labels_and_patch(
    controlled: aiohttp.ClientSession, recorded: Recorded, swagger: Swagger
) -> None:
    submitted = await submit(controlled, HELLO_DRAFT2, labels={"Label": "Apple"})
    body = await get_json(controlled, f"{API}/{submitted['id']}/labels")
    assert_contract(body, recorded("labels.json"), swagger, "LabelsResponse")
    async with controlled.patch(
        f"{API}/{submitted['id']}/labels", json={"label-key-1": "label-value-1"}
    ) as response:
        patched = await response.json()
    assert response.status == 200
    assert_contract(patched, recorded("labels-patch.json"), swagger, "LabelsResponse")


async def test_abort_answers(
    controlled: aiohttp.ClientSession, recorded: Recorded, swagger: Swagger
) -> None:
    queued = await submit(controlled, HELLO_DRAFT2)
    aborted = await post_json(controlled, f"{API}/{queued['id']}/abort")
    assert aborted == {"id": queued["id"], "status": "Aborted"}
    assert_contract(aborted, recorded("abort-aborted.json"), swagger, "WorkflowIdAndStatus")
    running = await submit(controlled, HELLO_DRAFT2)
    await move(controlled, running["id"], status="Running")
    aborting = await post_json(controlled, f"{API}/{running['id']}/abort")
    assert aborting == {"id": running["id"], "status": "Aborting"}
    assert_contract(aborting, recorded("abort-aborting.json"), swagger, "WorkflowIdAndStatus")


async def test_engine_endpoints(
    controlled: aiohttp.ClientSession, recorded: Recorded, swagger: Swagger
) -> None:
    cases = [
        ("/engine/v1/version", "version.json", "VersionResponse"),
        ("/engine/v1/status", "engine-status.json", "StatusResponse"),
        (f"{API}/backends", "backends.json", "BackendResponse"),
    ]
    for path, recording, definition in cases:
        body = await get_json(controlled, path)
        assert body == recorded(recording)
        assert_contract(body, recorded(recording), swagger, definition)


async def test_failed_before_calls_with_include_key(
    executing: aiohttp.ClientSession, recorded: Recorded, swagger: Swagger
) -> None:
    submitted = await submit(executing, HELLO_DRAFT2)  # the required input is missing
    await wait_status(executing, submitted["id"], "Failed")
    body = await metadata(executing, submitted["id"], "?includeKey=failures&includeKey=jobId")
    assert body == {
        "failures": [
            {
                "message": "Workflow input processing failed",
                "causedBy": [
                    {
                        "message": "Required workflow input 'test.hello.name' not specified",
                        "causedBy": [],
                    }
                ],
            }
        ],
        "calls": {},
        "id": submitted["id"],
    }
    assert_contract(
        body,
        recorded("metadata-failed-before-calls-includekey.json"),
        swagger,
        "WorkflowMetadataResponse",
    )


def error_case(recorded: Recorded, name: str) -> Mapping[str, Any]:
    catalogue: Mapping[str, Any] = recorded("errors.json")[name]
    return catalogue


async def assert_error(
    response: aiohttp.ClientResponse, recorded: Recorded, name: str, message: str | None = None
) -> None:
    case = error_case(recorded, name)
    assert response.status == case["http_status"]
    if "body_text" in case:
        assert response.content_type == "text/plain"
        assert await response.text() == case["body_text"]
        return
    body = await response.json()
    problems = shape_problems(body, case["body"])
    assert not problems, lines(problems)
    assert body["status"] == case["body"]["status"]
    assert body["message"] == (message if message is not None else case["body"]["message"])


UNKNOWN_ID = "2bdd06cc-e794-46c8-a897-4c86cedb6a06"


async def test_errors_in_cromwell_shapes(
    controlled: aiohttp.ClientSession, recorded: Recorded
) -> None:
    async with controlled.get(f"{API}/foobar/status") as response:
        await assert_error(response, recorded, "invalid_workflow_id")
    async with controlled.get(f"{API}/{UNKNOWN_ID}/metadata") as response:
        await assert_error(
            response,
            recorded,
            "unrecognized_workflow_id",
            f"Unrecognized workflow ID: {UNKNOWN_ID}",
        )
    async with controlled.post(f"{API}/{UNKNOWN_ID}/abort") as response:
        expected = f"Couldn't abort {UNKNOWN_ID} because no workflow with that ID is in progress"
        await assert_error(response, recorded, "abort_not_in_progress", expected)
    form = aiohttp.FormData()
    form.add_field("incorrectParameter", HELLO_DRAFT2)
    form.add_field("incorrectParameter2", HELLO_DRAFT2)
    async with controlled.post(API, data=form) as response:
        await assert_error(response, recorded, "submit_bad_form_fields")
    form = aiohttp.FormData()
    form.add_field("workflowUrl", "htpps://raw.githubusercontent.com/x/y.wdl")
    async with controlled.post(API, data=form) as response:
        await assert_error(response, recorded, "submit_bad_workflow_url")
    form = aiohttp.FormData()
    form.add_field("workflowSource", HELLO_DRAFT2)
    form.add_field("workflowOptions", json.dumps({"defaultRuntimeOptions": {"cpu": 1}}))
    async with controlled.post(API, data=form) as response:
        await assert_error(response, recorded, "submit_bad_options")
    async with controlled.get(f"{API}/query?BadKey=foo") as response:
        await assert_error(
            response, recorded, "query_unrecognized_key", "Unrecognized query keys: BadKey"
        )
    async with controlled.post(f"{API}/{UNKNOWN_ID}/outputs") as response:
        await assert_error(response, recorded, "wrong_method")


async def test_request_timeout_is_plain_text(connect: Connect, recorded: Recorded) -> None:
    session = await connect(mode="controlled")
    async with session.put(
        "/_emulator/faults", json={"rules": [{"route": "status", "kind": "error", "status": 503}]}
    ) as response:
        assert response.status == 200
    async with session.get(f"{API}/{UNKNOWN_ID}/status") as response:
        await assert_error(response, recorded, "request_timeout")
