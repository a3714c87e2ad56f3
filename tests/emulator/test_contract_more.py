"""Contract for the situations recorded in ../shared/cromwell/more: call-cache hits, calls that
fail without a `returnCode` or with a negative one, an aborted workflow whose calls a restarted
Cromwell failed, nested scatters as `ScatterAt` pseudo sub-workflows, Pair and Map outputs.

Each test submits the recording's own WDL to a controlled emulator, asks for the situation
through the control API (the emulator README, "Moving a controlled workflow") or a synthetic
request, and compares the body with the recorded one: keys, JSON types and WDL value shapes.
"""

import json
from pathlib import Path

import aiohttp
import pytest

from tests.emulator.contract import (
    CALL_CACHING_KEYS,
    NO_DOCKER,
    NO_DOCKER_SIZE,
    SUCCEEDED,
    Recorded,
    assert_metadata_contract,
    metadata_allowances,
    nested,
)
from tests.emulator.helpers import API, get_json, metadata, move, submit
from tests.emulator.structure import Allowances, Swagger

MORE = "more/"
METADATA_SOURCE = {
    "$.metadataSource": "the recordings of Cromwell 74 to 91 have none (metadata-failed.json, "
    "metadata-succeeded.json, more/metadata-failed-exit137-no-returncode-v88.json, "
    "more/metadata-callcached-all-hits-local-v91.json); the emulator answers as Cromwell 87"
}
NO_CACHE_RESULT = {
    f"$.calls.*[].callCaching.{key}": "call caching is off in the emulator's run, and Cromwell "
    "with caching off writes no hit nor result (more/metadata-failed-exit137-no-returncode-"
    "v88.json); the recording's Cromwell had it on"
    for key in ("hit", "result")
}
PAPI = "reported by Google's PAPI backend only; the emulator is a Local backend"
NESTED_SCATTER = "metadata-nested-scatter-scatterat-v59.json"


def wdl_of(recorded: Recorded, recording: str) -> str:
    return str(recorded(MORE + recording)["submittedFiles"]["workflow"])


def exists(path: str) -> bool:
    return Path(path).exists()


async def test_justifications_hold(recorded: Recorded) -> None:
    assert "metadataSource" in recorded(MORE + NESTED_SCATTER)
    for recording in (
        "metadata-failed.json",
        SUCCEEDED,
        MORE + "metadata-failed-exit137-no-returncode-v88.json",
        MORE + "metadata-callcached-all-hits-local-v91.json",
    ):
        assert "metadataSource" not in recorded(recording), recording
    call = recorded(MORE + "metadata-failed-exit137-no-returncode-v88.json")["calls"]
    caching = call["HelloWorldWorkflow.SuccessTask"][0]["callCaching"]
    assert caching["effectiveCallCachingMode"] == "CallCachingOff"
    assert "hit" not in caching


async def test_every_call_a_cache_hit(
    controlled: aiohttp.ClientSession, recorded: Recorded, swagger: Swagger
) -> None:
    recording = "metadata-callcached-all-hits-local-v91.json"
    source = wdl_of(recorded, recording)
    inputs = {
        "VcfIndexAndStats.input_vcf": "/data/x.vcf.gz",
        "VcfIndexAndStats.output_basename": "x",
    }
    submitted = await submit(controlled, source, inputs=inputs)
    hits = {"cache_hits": True}
    await move(
        controlled,
        submitted["id"],
        status="Succeeded",
        calls={"IndexVcf": hits, "StatsVcf": hits},
    )
    body = await metadata(controlled, submitted["id"])
    for fqn in ("VcfIndexAndStats.IndexVcf", "VcfIndexAndStats.StatsVcf"):
        [hit] = body["calls"][fqn]
        assert not {"jobId", "backendStatus", "commandLine"} & hit.keys()
        assert hit["returnCode"] == 0
        assert hit["callCaching"]["hit"] is True
        assert hit["callCaching"]["result"].startswith("Cache Hit: ")
        assert hit["callCaching"]["result"].endswith(f":{fqn}:-1")
        assert [e["description"] for e in hit["executionEvents"]].count("RunningJob") == 0
        # The hit copied its outputs and ran nothing: stdout names a file never written.
        assert hit["stdout"].endswith("/execution/stdout")
        assert not exists(hit["stdout"])
        assert not exists(hit["stderr"])
        for path in hit["outputs"].values():
            assert "/cacheCopy/execution/" in path
            assert exists(path)
    allowances = Allowances(missing=NO_DOCKER_SIZE)
    await assert_metadata_contract(
        body, recorded(MORE + recording), swagger, allowances, source=source
    )


async def test_some_calls_cache_hits(
    controlled: aiohttp.ClientSession, recorded: Recorded, swagger: Swagger
) -> None:
    recording = "metadata-awsbatch-s3-partial-cachehit-v77.json"
    source = wdl_of(recorded, recording)
    submitted = await submit(controlled, source, inputs={"jgi_meta.input_file": "/data/r.fq"})
    hits = {"cache_hits": True}
    await move(
        controlled, submitted["id"], status="Succeeded", calls={"bbcms": hits, "create_agp": hits}
    )
    body = await metadata(controlled, submitted["id"])
    hit = {fqn: elements[0]["callCaching"]["hit"] for fqn, elements in body["calls"].items()}
    assert hit == {
        "jgi_meta.bbcms": True,
        "jgi_meta.assy": False,
        "jgi_meta.create_agp": True,
        "jgi_meta.read_mapping_pairs": False,
    }
    ran = body["calls"]["jgi_meta.assy"][0]
    assert ran["callCaching"]["result"] == "Cache Miss"
    assert "jobId" in ran
    assert exists(ran["stdout"])
    allowances = Allowances(
        extra={"$.workflowRoot": "metadata-succeeded.json (AWS Batch writes none)"},
        missing=NO_DOCKER,
    )
    await assert_metadata_contract(
        body, recorded(MORE + recording), swagger, allowances, source=source
    )


async def test_failed_calls_without_return_code(
    controlled: aiohttp.ClientSession, recorded: Recorded, swagger: Swagger
) -> None:
    """Exit 137 (the backend killed the job) has no returnCode; exits 1 and 2 have theirs."""
    recording = "metadata-failed-exit137-no-returncode-v88.json"
    source = wdl_of(recorded, recording)
    submitted = await submit(controlled, source)
    await move(
        controlled,
        submitted["id"],
        status="Failed",
        calls={
            "WarningTask": {"failing_shards": [-1], "return_code": 1},
            "ErrorTask": {"failing_shards": [-1], "return_code": 2},
            "CriticalErrorTask": {"failing_shards": [-1], "fails_as": "killed"},
        },
    )
    body = await metadata(controlled, submitted["id"])
    calls = {fqn.split(".")[1]: elements[0] for fqn, elements in body["calls"].items()}
    assert {name: call.get("returnCode") for name, call in calls.items()} == {
        "SuccessTask": 0,
        "WarningTask": 1,
        "ErrorTask": 2,
        "CriticalErrorTask": None,
        "AnotherSuccessTask": 0,
    }
    killed = calls["CriticalErrorTask"]
    assert killed["executionStatus"] == "Failed"
    assert killed["backendStatus"] == "Done"
    assert killed["failures"][0]["message"].startswith("The compute backend terminated the job.")
    causes = [cause["message"] for cause in body["failures"][0]["causedBy"]]
    assert len(causes) == 3
    assert any("return code 2" in cause for cause in causes)
    await assert_metadata_contract(body, recorded(MORE + recording), swagger, source=source)


async def test_failed_call_never_started(
    controlled: aiohttp.ClientSession, recorded: Recorded, swagger: Swagger
) -> None:
    recording = "metadata-failed-job-submit-no-returncode-v52.json"
    source = wdl_of(recorded, recording)
    submitted = await submit(controlled, source, inputs={"fq_count.fastq_file": "/data/t.fq"})
    await move(controlled, submitted["id"], status="Failed", fails_as="unsubmitted")
    body = await metadata(controlled, submitted["id"])
    [call] = body["calls"]["fq_count.count_seqs"]
    assert call["executionStatus"] == "Failed"
    assert not {"returnCode", "backendStatus"} & call.keys()
    message = call["failures"][0]["message"]
    prefix = "Unable to start job. Check the stderr file for possible errors: "
    assert message.startswith(prefix)
    assert message.endswith("/execution/stderr.submit")
    assert exists(message.removeprefix(prefix))
    assert not exists(call["stdout"])
    allowances = Allowances(missing=METADATA_SOURCE)
    await assert_metadata_contract(
        body, recorded(MORE + recording), swagger, allowances, source=source
    )


async def test_failed_call_with_a_negative_return_code(
    controlled: aiohttp.ClientSession, recorded: Recorded, swagger: Swagger
) -> None:
    recording = "metadata-failed-returncode-minus1-local-2017.json"
    source = wdl_of(recorded, recording)
    submitted = await submit(controlled, source, parts={"workflowType": "WDL"})
    await move(controlled, submitted["id"], status="Failed", return_code=-1)
    body = await metadata(controlled, submitted["id"])
    [call] = body["calls"]["assembly_trinity.trinity_guided_assembly"]
    assert call["returnCode"] == -1
    assert "exited with return code -1 which" in call["failures"][0]["message"]
    allowances = metadata_allowances(
        "$.workflowProcessingEvents",
        "$.actualWorkflowLanguage",
        "$.actualWorkflowLanguageVersion",
        "$.submittedFiles.root",
        "$.submittedFiles.workflowUrl",
        "$.calls.*[].commandLine",
    ) | Allowances(
        missing=NO_CACHE_RESULT,
        filled={
            "$.failures[].causedBy[]": "Cromwell 29 put the job's failure at the top; current "
            'ones wrap it in "Workflow failed" (metadata-failed.json)'
        },
    )
    await assert_metadata_contract(
        body, recorded(MORE + recording), swagger, allowances, source=source
    )


async def test_preempted_attempts_are_retried(
    controlled: aiohttp.ClientSession, recorded: Recorded, swagger: Swagger
) -> None:
    recording = "metadata-preempted-retryablefailure-papi-v53.json"
    source = """version 1.0
task CalculateCellMetrics {
  input { Int shard_number }
  command <<< echo ~{shard_number} >>>
  output { File cell_metrics = stdout() }
}
workflow Optimus {
  scatter (shard_number in range(3)) {
    call CalculateCellMetrics { input: shard_number = shard_number }
  }
}
"""
    submitted = await submit(controlled, source)
    await move(
        controlled,
        submitted["id"],
        status="Succeeded",
        shards=3,
        retries={"1": 2},
        retries_as="preempted",
    )
    body = await metadata(controlled, submitted["id"])
    shard = [e for e in body["calls"]["Optimus.CalculateCellMetrics"] if e["shardIndex"] == 1]
    assert [(e["attempt"], e["executionStatus"], e.get("backendStatus")) for e in shard] == [
        (1, "RetryableFailure", "Preempted"),
        (2, "RetryableFailure", "Preempted"),
        (3, "Done", "Done"),
    ]
    assert all("returnCode" not in e and e["retryableFailure"] for e in shard[:2])
    assert "was preempted for the 2nd time" in shard[1]["failures"][0]["message"]
    assert shard[1]["callRoot"].endswith("/call-CalculateCellMetrics/shard-1/attempt-2")
    papi_only = ("backendLabels", "backendLogs", "jes", "labels", "preemptible")
    allowances = Allowances(
        missing={
            **NO_DOCKER,
            **{f"$.calls.*[].{key}": PAPI for key in papi_only},
            **CALL_CACHING_KEYS,
            **METADATA_SOURCE,
            "$.workflowLog": PAPI,
        }
    )
    await assert_metadata_contract(
        body, recorded(MORE + recording), swagger, allowances, source=source
    )


async def test_aborted_after_a_restart_has_failed_calls(
    controlled: aiohttp.ClientSession, recorded: Recorded, swagger: Swagger
) -> None:
    recording = "metadata-aborted-calls-failed-after-restart-v52.json"
    source = wdl_of(recorded, recording)
    inputs = {"bbmap_shard_wf.reads": "/data/r.fq.bz2", "bbmap_shard_wf.reference": "/data/r.fa"}
    submitted = await submit(controlled, source, inputs=inputs)
    workflow_id = submitted["id"]
    await move(controlled, workflow_id, status="Running")
    first = (await metadata(controlled, workflow_id))["start"]
    await move(controlled, workflow_id, status="Running", restarted=True)
    await move(controlled, workflow_id, status="Aborted")
    body = await metadata(controlled, workflow_id)
    assert body["status"] == "Aborted"
    assert "failures" not in body
    assert body["start"] > first, "start is the second pick-up"
    events = [(e["description"], e["cromwellId"]) for e in body["workflowProcessingEvents"]]
    assert sorted(description for description, _ in events) == [
        "Finished",
        "PickedUp",
        "PickedUp",
        "Released",
    ]
    assert len({cromwell_id for _, cromwell_id in events}) == 2
    [call] = body["calls"]["bbmap_shard_wf.shard"]
    assert call["executionStatus"] == "Failed"
    assert call["retryableFailure"] is False
    assert call["failures"][0]["message"] == (
        "No backend job for bbmap_shard_wf.shard:NA:1 could be found. The status of the "
        "underlying job cannot be known."
    )
    assert not {"stdout", "stderr", "callRoot", "jobId", "backendStatus"} & call.keys()
    logs = await get_json(controlled, f"{API}/{workflow_id}/logs")
    assert logs == {"id": workflow_id}
    allowances = Allowances(missing={**METADATA_SOURCE, **NO_CACHE_RESULT})
    await assert_metadata_contract(
        body, recorded(MORE + recording), swagger, allowances, source=source
    )


async def nested_scatter(session: aiohttp.ClientSession, recorded: Recorded) -> tuple[str, str]:
    source = wdl_of(recorded, NESTED_SCATTER)
    submitted = await submit(session, source, labels={"caper-user": "me"})
    await move(
        session,
        submitted["id"],
        status="Succeeded",
        calls={"ScatterAt9_25": {"shards": 2}, "ScatterAt9_25/t_nested_scatter_1": {"shards": 2}},
    )
    return str(submitted["id"]), source


async def test_nested_scatter_is_a_scatterat_pseudo_subworkflow(
    controlled: aiohttp.ClientSession, recorded: Recorded, swagger: Swagger
) -> None:
    workflow_id, source = await nested_scatter(controlled, recorded)
    body = await metadata(controlled, workflow_id, "?expandSubWorkflows=true")
    assert list(body["calls"]) == ["ScatterAt9_25"], "the inner scatter's variable: line 9, col 25"
    outer = body["calls"]["ScatterAt9_25"]
    assert [(e["shardIndex"], e["inputs"]) for e in outer] == [(0, {"i": 0}), (1, {"i": 1})]
    for element in outer:
        sub = element["subWorkflowMetadata"]
        assert sub["workflowName"] == "ScatterAt9_25"
        assert sub["parentWorkflowId"] == workflow_id == sub["rootWorkflowId"]
        assert sub["workflowRoot"] == body["workflowRoot"]
        inner = sub["calls"]["nested_scatter.t_nested_scatter_1"]
        assert [e["shardIndex"] for e in inner] == [0, 1]
        assert (
            f"/call-ScatterAt9_25/shard-{element['shardIndex']}/ScatterAt9_25/{sub['id']}/"
            in (inner[0]["callRoot"])
        )
        assert set(sub["outputs"]) == {"t_nested_scatter_1.out"}
    assert [len(a) for a in body["outputs"]["nested_scatter.t_nested_scatter_1.out"]] == [2, 2]
    again = await metadata(controlled, workflow_id, "?expandSubWorkflows=false")
    assert [e["subWorkflowId"] for e in again["calls"]["ScatterAt9_25"]] == [
        e["subWorkflowMetadata"]["id"] for e in outer
    ], "stable sub-workflow ids"
    allowances = Allowances(missing={**METADATA_SOURCE, **nested(CALL_CACHING_KEYS, 1)})
    await assert_metadata_contract(
        body, recorded(MORE + NESTED_SCATTER), swagger, allowances, source=source
    )


@pytest.mark.parametrize(
    ("recording", "expected"),
    [
        pytest.param("metadata-pair-output-htcondor-v58.json", ["left", "right"], id="pair"),
        pytest.param("metadata-map-output-htcondor-v58.json", ["1", "2"], id="map"),
    ],
)
async def test_pair_and_map_outputs(
    controlled: aiohttp.ClientSession,
    recorded: Recorded,
    swagger: Swagger,
    recording: str,
    expected: list[str],
) -> None:
    source = wdl_of(recorded, recording)
    submitted = await submit(controlled, source)
    await move(controlled, submitted["id"], status="Succeeded")
    body = await metadata(controlled, submitted["id"])
    value = body["outputs"]["HelloWorld.WriteGreeting.pair_test"]
    assert sorted(value) == expected
    assert all(exists(path) for path in value.values())
    [call] = body["calls"]["HelloWorld.WriteGreeting"]
    assert sorted(call["outputs"]["pair_test"]) == expected
    outputs = await get_json(controlled, f"{API}/{submitted['id']}/outputs")
    assert outputs["outputs"] == body["outputs"]
    allowances = Allowances(missing={**METADATA_SOURCE, **CALL_CACHING_KEYS, **NO_DOCKER})
    await assert_metadata_contract(
        body, recorded(MORE + recording), swagger, allowances, source=source
    )


SYNTHETIC_WDL = """version 1.0
task work {
  input { Int index }
  command <<< >>>
  output { File out = stdout() }
}
workflow cached {
  scatter (index in range(3)) {
    call work { input: index = index }
  }
  output { Pair[File,Map[Int,File]] out = (work.out[0], {1: work.out[1]}) }
}
"""
"""What a synthetic workflow `cached` of 3 shards is, as WDL (the types its values have)."""


async def test_synthetic_requests_ask_for_the_same_shapes(
    controlled: aiohttp.ClientSession, recorded: Recorded, swagger: Swagger
) -> None:
    request = {
        "name": "cached",
        "shards": 3,
        "cache_hits": [0, 2],
        "outputs": {"out": "Pair[File,Map[Int,File]]"},
    }
    async with controlled.post("/_emulator/workflows", json=request) as response:
        assert response.status == 201, await response.text()
        [workflow_id] = (await response.json())["ids"]
    body = await metadata(controlled, workflow_id)
    shards = body["calls"]["cached.work"]
    assert [e["callCaching"]["hit"] for e in shards] == [True, False, True]
    assert [("jobId" in e) for e in shards] == [False, True, False]
    pair = body["outputs"]["cached.out"]
    assert exists(pair["left"])
    assert all(exists(p) for p in pair["right"].values())
    allowances = Allowances(
        missing=NO_DOCKER_SIZE,
        extra={"$.calls.*[].jobId": "a missed call runs (more/metadata-awsbatch-s3-partial-"
               "cachehit-v77.json)", "$.calls.*[].commandLine": "the same",
               "$.calls.*[].backendStatus": "the same"},
    )  # fmt: skip
    await assert_metadata_contract(
        body,
        recorded(MORE + "metadata-callcached-all-hits-local-v91.json"),
        swagger,
        allowances,
        source=SYNTHETIC_WDL,
    )
    failed = {"name": "killed", "status": "Failed", "shards": 2, "failing_shards": [1],
              "fails_as": "killed", "restarted": False}  # fmt: skip
    async with controlled.post("/_emulator/workflows", json=failed) as response:
        [failed_id] = (await response.json())["ids"]
    body = await metadata(controlled, failed_id)
    assert [e.get("returnCode") for e in body["calls"]["killed.work"]] == [0, None]
    assert json.dumps(body["failures"]).count("The compute backend terminated the job") == 1
