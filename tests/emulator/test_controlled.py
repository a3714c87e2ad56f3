"""Controlled workflows: they move only when a test says so, with calls shaped on request."""

from pathlib import Path
from typing import Any

import aiohttp

from tests.emulator.helpers import (
    API,
    HELLO_DRAFT2,
    get_json,
    move,
    post_json,
    submit,
    wait_status,
)

SCATTER = """version 1.0

task prepare {
  command <<< echo ready >>>
  output { String out = read_string(stdout()) }
}

task work {
  input { Int i }
  command <<< echo ~{i} >>>
  output { File result = stdout() }
}

workflow fan {
  call prepare
  scatter (i in range(3)) {
    call work { input: i = i }
  }
  output {
    Array[File] results = work.result
    String note = prepare.out
  }
}
"""

WITH_SUBWORKFLOW = """version 1.0
import "inner.wdl" as inner

workflow outer {
  scatter (i in range(2)) {
    call inner.inside
  }
}
"""
INNER = {"inner.wdl": "version 1.0\ntask t { command <<< true >>> }\nworkflow inside { call t }\n"}


def read(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def attempts(body: dict[str, Any], fqn: str) -> list[tuple[int, int, str]]:
    return [(e["shardIndex"], e["attempt"], e["executionStatus"]) for e in body["calls"][fqn]]


async def test_terminal_state_writes_logs_and_outputs(controlled: aiohttp.ClientSession) -> None:
    submitted = await submit(controlled, SCATTER)
    workflow_id = submitted["id"]
    await move(controlled, workflow_id, status="Running")
    running = await get_json(controlled, f"{API}/{workflow_id}/metadata")
    assert list(running["calls"]) == ["fan.prepare"]
    assert running["calls"]["fan.prepare"][0]["executionStatus"] == "Running"
    await move(controlled, workflow_id, status="Succeeded", shards=3)
    body = await get_json(controlled, f"{API}/{workflow_id}/metadata")
    assert attempts(body, "fan.work") == [(i, 1, "Done") for i in range(3)]
    assert body["outputs"]["fan.note"] == "synthetic note"
    assert [read(path) for path in body["outputs"]["fan.results"]] == ["synthetic results\n"] * 2
    logs = await get_json(controlled, f"{API}/{workflow_id}/logs")
    for elements in logs["calls"].values():
        for element in elements:
            assert read(element["stdout"]).endswith("synthetic stdout\n")
            assert read(element["stderr"]).endswith("synthetic stderr\n")


async def test_failing_and_retried_shards(controlled: aiohttp.ClientSession) -> None:
    submitted = await submit(controlled, SCATTER)
    workflow_id = submitted["id"]
    await move(
        controlled, workflow_id, status="Failed", shards=3, failing_shards=[1], retries={"0": 2}
    )
    body = await get_json(controlled, f"{API}/{workflow_id}/metadata")
    assert attempts(body, "fan.work") == [
        (0, 1, "RetryableFailure"),
        (0, 2, "RetryableFailure"),
        (0, 3, "Done"),
        (1, 1, "Failed"),
        (2, 1, "Done"),
    ]
    assert attempts(body, "fan.prepare") == [(-1, 1, "Done")]
    [cause] = body["failures"][0]["causedBy"]
    assert cause["message"].startswith("Job fan.work:1:1 exited with return code 1")
    retried = body["calls"]["fan.work"][0]
    assert retried["stdout"] != body["calls"]["fan.work"][1]["stdout"]
    assert read(retried["stdout"]).startswith("fan.work shard 0 attempt 1")


async def test_explicit_outputs_and_going_back(controlled: aiohttp.ClientSession) -> None:
    submitted = await submit(controlled, HELLO_DRAFT2)
    workflow_id = submitted["id"]
    await move(controlled, workflow_id, status="Succeeded", outputs={"test.hello.response": "x"})
    outputs = await get_json(controlled, f"{API}/{workflow_id}/outputs")
    assert outputs == {"outputs": {"test.hello.response": "x"}, "id": workflow_id}
    await move(controlled, workflow_id, status="Running")
    body = await get_json(controlled, f"{API}/{workflow_id}/metadata")
    assert "end" not in body
    assert body["outputs"] == {}
    await move(controlled, workflow_id, status="Submitted")
    body = await get_json(controlled, f"{API}/{workflow_id}/metadata")
    assert "workflowName" not in body
    assert body["calls"] == {}


async def test_subworkflow_records_follow_their_parent(controlled: aiohttp.ClientSession) -> None:
    submitted = await submit(controlled, WITH_SUBWORKFLOW, dependencies=INNER)
    workflow_id = submitted["id"]
    # Controlled mode does not evaluate scatter expressions: the test says how wide.
    await move(controlled, workflow_id, status="Running", shards=2)
    listed = await get_json(controlled, f"{API}/query?includeSubworkflows=true")
    children = [r for r in listed["results"] if r.get("parentWorkflowId") == workflow_id]
    assert sorted(r["status"] for r in children) == ["Running", "Running"]
    # Only a root workflow is in Cromwell's workflow store, so only it can be aborted.
    refused = await post_json(controlled, f"{API}/{children[0]['id']}/abort", expect=404)
    assert refused["status"] == "error"
    await move(controlled, workflow_id, status="Failed", failing_shards=[1])
    listed = await get_json(controlled, f"{API}/query?includeSubworkflows=true")
    children = [r for r in listed["results"] if r.get("parentWorkflowId") == workflow_id]
    assert sorted(r["status"] for r in children) == ["Failed", "Succeeded"]
    body = await get_json(controlled, f"{API}/{workflow_id}/metadata")
    shards = {e["shardIndex"]: e for e in body["calls"]["outer.inside"]}
    failed_child = await get_json(controlled, f"{API}/{shards[1]['subWorkflowId']}/metadata")
    assert failed_child["status"] == "Failed"
    assert failed_child["parentWorkflowId"] == workflow_id


async def test_the_label_makes_a_workflow_controlled_in_execute_mode(
    executing: aiohttp.ClientSession,
) -> None:
    controlled = await submit(executing, HELLO_DRAFT2, labels={"cromwes-emulator": "controlled"})
    broken = await submit(executing, "this is not WDL")
    await wait_status(executing, broken["id"], "Failed")
    # The dispatcher took the later submission: the labelled one was never queued.
    assert (await get_json(executing, f"{API}/{controlled['id']}/status"))["status"] == "Submitted"
    view = await get_json(executing, f"/_emulator/workflows/{controlled['id']}")
    assert view["mode"] == "controlled"
    await move(executing, controlled["id"], status="Succeeded")
    assert (await get_json(executing, f"{API}/{controlled['id']}/status"))["status"] == "Succeeded"


async def test_a_subworkflow_document_is_named_after_its_call(
    controlled: aiohttp.ClientSession,
) -> None:
    """Cromwell names a sub-workflow's document after the call's alias, and qualifies its
    outputs with the callee's name (more/metadata-callcached-scattered-subworkflows-caas-v53:
    `sc_pe`, `SmartSeq2SingleCell.aligned_bam`)."""
    source = WITH_SUBWORKFLOW.replace("call inner.inside", "call inner.inside as per_sample")
    typed = {"inner.wdl": INNER["inner.wdl"].replace("workflow inside { call t }",
             "workflow inside { call t output { String said = \"x\" } }")}  # fmt: skip
    submitted = await submit(controlled, source, dependencies=typed)
    await move(controlled, submitted["id"], status="Succeeded", shards=2)
    body = await get_json(controlled, f"{API}/{submitted['id']}/metadata?expandSubWorkflows=true")
    [first, _] = body["calls"]["outer.per_sample"]
    sub = first["subWorkflowMetadata"]
    assert sub["workflowName"] == "per_sample"
    assert list(sub["calls"]) == ["inside.t"]
    assert sub["outputs"] == {"inside.said": "synthetic said"}
    assert first["outputs"] == {"said": "synthetic said"}


def pickups(body: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(who, what, when) of each processing event; who is the instance before a restart or
    after it."""
    return [
        (
            "before" if e["cromwellId"].endswith("-before-restart") else "after",
            e["description"],
            e["timestamp"],
        )
        for e in body["workflowProcessingEvents"]
    ]


async def test_a_synthetic_restart_shows_two_pickups_and_fails_lost_jobs(
    controlled: aiohttp.ClientSession,
) -> None:
    ids: dict[str, str] = {}
    for status in ("Aborted", "Succeeded"):
        request = {"name": "lost", "status": status, "shards": 2, "restarted": True,
                   "submission": "2024-01-01T00:00:00.000Z"}  # fmt: skip
        [ids[status]] = (await post_json(controlled, "/_emulator/workflows", request, 201))["ids"]
    aborted = await get_json(controlled, f"{API}/{ids['Aborted']}/metadata")
    assert pickups(aborted) == [
        ("after", "PickedUp", "2024-01-01T00:00:01.000Z"),
        ("before", "PickedUp", "2024-01-01T00:00:00.001Z"),
        ("before", "Released", "2024-01-01T00:00:00.999Z"),
        ("after", "Finished", "2024-01-01T00:01:01.000Z"),
    ]
    assert [(e["shardIndex"], e["executionStatus"]) for e in aborted["calls"]["lost.work"]] == [
        (0, "Failed"),
        (1, "Failed"),
    ]
    assert aborted["calls"]["lost.work"][1]["failures"][0]["message"] == (
        "No backend job for lost.work:1:1 could be found. The status of the underlying job "
        "cannot be known."
    )
    succeeded = await get_json(controlled, f"{API}/{ids['Succeeded']}/metadata")
    assert [what for who, what, _ in pickups(succeeded) if who == "before"] == [
        "PickedUp",
        "Released",
    ]
    assert attempts(succeeded, "lost.work") == [(0, 1, "Done"), (1, 1, "Done")]


async def test_a_controlled_restart_is_forgotten_when_the_workflow_goes_back(
    controlled: aiohttp.ClientSession,
) -> None:
    submitted = await submit(controlled, SCATTER)
    workflow_id = submitted["id"]
    await move(controlled, workflow_id, status="Running", restarted=True)
    restarted = await get_json(controlled, f"{API}/{workflow_id}/metadata")
    assert [(who, what) for who, what, _ in pickups(restarted)] == [
        ("after", "PickedUp"),
        ("before", "PickedUp"),
        ("before", "Released"),
    ]
    await move(controlled, workflow_id, status="Submitted")
    await move(controlled, workflow_id, status="Running")
    await move(controlled, workflow_id, status="Aborted")
    body = await get_json(controlled, f"{API}/{workflow_id}/metadata")
    assert [(who, what) for who, what, _ in pickups(body)] == [
        ("after", "PickedUp"),
        ("after", "Finished"),
    ]
    [prepare] = body["calls"]["fan.prepare"]
    assert prepare["executionStatus"] == "Aborted", "no restart: its job was not lost"
