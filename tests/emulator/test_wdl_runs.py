"""Real WDL runs through miniwdl on the host: statuses, metadata shape, outputs and log files.

One emulator serves the whole module (each run is a child process; starting one per test would
only add time). Waits poll the API with a deadline.
"""

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from cromwes.emulator.config import EmulatorConfig
from cromwes.emulator.server import EmulatorServer
from tests.emulated import emulator_session
from tests.emulator.contract import (
    CALL_CACHING_KEYS,
    NO_DOCKER_SIZE,
    assert_metadata_contract,
    nested,
)
from tests.emulator.helpers import (
    API,
    HELLO_1_0,
    HELLO_DRAFT2,
    LONG,
    get_json,
    metadata,
    post_json,
    process_group_alive,
    submit,
    wait_status,
    wait_until,
)
from tests.emulator.structure import Allowances, Swagger, lines, shape_problems
from tests.emulator.wdltypes import wdl_types

pytestmark = [pytest.mark.wdl, pytest.mark.asyncio(loop_scope="module")]

Recorded = Callable[[str], Any]

SCATTER = """version 1.0

task square {
  input { Int n }
  command <<< echo $(( ~{n} * ~{n} )) >>>
  output { Int result = read_int(stdout()) }
}

workflow squares {
  scatter (n in [1, 2, 3, 4, 5]) {
    call square { input: n = n }
  }
  output { Array[Int] results = square.result }
}
"""

FAILING = """version 1.0

task fail {
  command <<<
    echo 'about to fail' >&2
    exit 1
  >>>
}

workflow failing {
  call fail
}
"""

RETRIED = """version 1.0

task flaky {
  input { String marker }
  command <<<
    if [ ! -e '~{marker}' ]; then
      touch '~{marker}'
      echo 'first attempt fails' >&2
      exit 3
    fi
    echo 'second attempt works'
  >>>
  output { String said = read_string(stdout()) }
  runtime { maxRetries: 1 }
}

workflow retried {
  input { String marker }
  call flaky { input: marker = marker }
}
"""

WIDE_NESTED_SCATTER = """version 1.0

workflow widths {
  scatter (i in range(11)) {
    scatter (j in range(2)) {
      call label { input: i = i, j = j }
    }
  }
  output { Array[Array[String]] labels = label.text }
}

task label {
  input {
    Int i
    Int j
  }
  command <<< echo '~{i}.~{j}' >>>
  output { String text = read_string(stdout()) }
}
"""
"""Eleven outer shards of two: the grouping and the numbering (10 after 9) of nested shards."""

MAIN_WITH_IMPORT = """version 1.0
import "wdl/lib.wdl" as lib

workflow main {
  scatter (name in ["ada", "bob"]) {
    call lib.inner { input: name = name }
  }
  output { Array[String] shouted = inner.shouted }
}
"""
DEPENDENCIES = {
    "wdl/lib.wdl": """version 1.0
import "tasks/shout.wdl" as tasks

workflow inner {
  input { String name }
  call tasks.shout { input: name = name }
  output { String shouted = shout.loud }
}
""",
    "wdl/tasks/shout.wdl": """version 1.0

task shout {
  input { String name }
  command <<< echo '~{name}' | tr a-z A-Z >>>
  output { String loud = read_string(stdout()) }
}
""",
}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def emulator(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[aiohttp.ClientSession]:
    config = EmulatorConfig(
        data_dir=tmp_path_factory.mktemp("wdl-emulator"), abort_grace=5, monitor_interval=0.2
    )
    async with (
        EmulatorServer(config, port=0, admin_port=0) as server,
        emulator_session(server) as session,
    ):
        yield session


def read(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def is_dir(path: str) -> bool:
    return Path(path).is_dir()


async def test_hello_world_draft2_has_the_recorded_shape(
    emulator: aiohttp.ClientSession, recorded: Recorded
) -> None:
    submitted = await submit(emulator, HELLO_DRAFT2, inputs={"test.hello.name": "World"})
    assert submitted["status"] == "Submitted"
    await wait_status(emulator, submitted["id"], "Succeeded")
    body = await metadata(emulator, submitted["id"])
    assert body["actualWorkflowLanguageVersion"] == "draft-2"
    assert [e["description"] for e in body["workflowProcessingEvents"]] == ["PickedUp", "Finished"]
    [element] = body["calls"]["test.hello"]
    assert (element["shardIndex"], element["attempt"], element["returnCode"]) == (-1, 1, 0)
    assert element["commandLine"] == "echo 'Hello World!'"
    assert read(element["stdout"]) == "Hello World!\n"
    assert is_dir(element["callRoot"])
    assert read(body["outputs"]["test.hello.response"]) == "Hello World!\n"
    types = await wdl_types(HELLO_DRAFT2)
    problems = shape_problems(body, recorded("metadata-succeeded.json"), types=types)
    assert not problems, lines(problems)


async def test_hello_world_1_0_stdout_and_stderr(emulator: aiohttp.ClientSession) -> None:
    submitted = await submit(emulator, HELLO_1_0, inputs={"test.name": "WES"})
    await wait_status(emulator, submitted["id"], "Succeeded")
    logs = await get_json(emulator, f"{API}/{submitted['id']}/logs")
    [entry] = logs["calls"]["test.hello"]
    assert read(entry["stdout"]) == "Hello WES!\n"
    assert read(entry["stderr"]) == "to stderr\n"
    outputs = await get_json(emulator, f"{API}/{submitted['id']}/outputs")
    assert read(outputs["outputs"]["test.response"]) == "Hello WES!\n"
    body = await metadata(emulator, submitted["id"])
    assert body["actualWorkflowLanguageVersion"] == "1.0"


async def test_five_way_scatter(emulator: aiohttp.ClientSession) -> None:
    submitted = await submit(emulator, SCATTER)
    await wait_status(emulator, submitted["id"], "Succeeded")
    body = await metadata(emulator, submitted["id"])
    shards = body["calls"]["squares.square"]
    assert [(e["shardIndex"], e["attempt"], e["executionStatus"]) for e in shards] == [
        (i, 1, "Done") for i in range(5)
    ]
    assert [read(e["stdout"]) for e in shards] == [f"{n * n}\n" for n in range(1, 6)]
    assert body["outputs"] == {"squares.results": [1, 4, 9, 16, 25]}


async def test_failing_task(emulator: aiohttp.ClientSession, recorded: Recorded) -> None:
    submitted = await submit(emulator, FAILING)
    await wait_status(emulator, submitted["id"], "Failed")
    body = await metadata(emulator, submitted["id"])
    [element] = body["calls"]["failing.fail"]
    assert element["executionStatus"] == "Failed"
    assert element["returnCode"] == 1
    message = (
        "Job failing.fail:NA:1 exited with return code 1 which has not been declared as a valid "
        "return code. See 'continueOnReturnCode' runtime attribute for more details."
    )
    assert element["failures"] == [{"message": message, "causedBy": []}]
    assert body["failures"] == [{"message": "Workflow failed", "causedBy": element["failures"]}]
    assert read(element["stderr"]) == "about to fail\n"
    types = await wdl_types(FAILING)
    problems = shape_problems(body, recorded("metadata-failed.json"), types=types)
    assert not problems, lines(problems)


async def test_retried_task_keeps_each_attempt(
    emulator: aiohttp.ClientSession, tmp_path: Path
) -> None:
    marker = tmp_path / "first-attempt-ran"
    submitted = await submit(emulator, RETRIED, inputs={"retried.marker": str(marker)})
    await wait_status(emulator, submitted["id"], "Succeeded")
    body = await metadata(emulator, submitted["id"])
    first, second = body["calls"]["retried.flaky"]
    assert (first["attempt"], first["executionStatus"], first["returnCode"]) == (
        1,
        "RetryableFailure",
        3,
    )
    assert first["retryableFailure"] is True
    assert (second["attempt"], second["executionStatus"]) == (2, "Done")
    assert first["runtimeAttributes"]["maxRetries"] == "1"
    assert read(first["stderr"]) == "first attempt fails\n"
    assert read(second["stdout"]) == "second attempt works\n"
    assert first["stdout"] != second["stdout"]
    assert is_dir(os.path.join(first["callRoot"], "work.attempt1"))


async def test_imported_subworkflow_from_dependencies_zip(emulator: aiohttp.ClientSession) -> None:
    submitted = await submit(emulator, MAIN_WITH_IMPORT, dependencies=DEPENDENCIES)
    workflow_id = submitted["id"]
    await wait_status(emulator, workflow_id, "Succeeded")
    body = await metadata(emulator, workflow_id)
    assert body["outputs"] == {"main.shouted": ["ADA", "BOB"]}
    calls = body["calls"]["main.inner"]
    assert [e["shardIndex"] for e in calls] == [0, 1]
    sub_ids = [e["subWorkflowId"] for e in calls]
    listed = await get_json(emulator, f"{API}/query?id={sub_ids[0]}&id={sub_ids[1]}")
    assert {
        (r["parentWorkflowId"], r["rootWorkflowId"], r["status"]) for r in listed["results"]
    } == {(workflow_id, workflow_id, "Succeeded")}
    roots_only = await get_json(emulator, f"{API}/query?includeSubworkflows=false&id={sub_ids[0]}")
    assert roots_only["totalResultsCount"] == 0
    expanded = await metadata(emulator, workflow_id, "?expandSubWorkflows=true")
    nested = expanded["calls"]["main.inner"][1]["subWorkflowMetadata"]
    assert nested["id"] == sub_ids[1]
    [shout] = nested["calls"]["inner.shout"]
    assert read(shout["stdout"]) == "BOB\n"
    direct = await metadata(emulator, sub_ids[0])
    assert direct["parentWorkflowId"] == workflow_id
    assert direct["outputs"] == {"inner.shouted": "ADA"}


async def test_nested_scatter_runs_as_scatterat_pseudo_subworkflows(
    emulator: aiohttp.ClientSession, recorded: Recorded, swagger: Swagger
) -> None:
    """miniwdl runs the jobs of a nested scatter beside the others; the metadata shows them as
    Cromwell does, inside `ScatterAt` pseudo sub-workflows (one per outer shard)."""
    recording = recorded("more/metadata-nested-scatter-scatterat-v59.json")
    source = recording["submittedFiles"]["workflow"]
    submitted = await submit(emulator, source)
    workflow_id = submitted["id"]
    await wait_status(emulator, workflow_id, "Succeeded")
    body = await metadata(emulator, workflow_id, "?expandSubWorkflows=true")
    outer = body["calls"]["ScatterAt9_25"]
    assert [(e["shardIndex"], e["inputs"]) for e in outer] == [(0, {"i": 0}), (1, {"i": 1})]
    for i, element in enumerate(outer):
        sub = element["subWorkflowMetadata"]
        assert (sub["workflowName"], sub["workflowRoot"]) == ("ScatterAt9_25", body["workflowRoot"])
        inner = sub["calls"]["nested_scatter.t_nested_scatter_1"]
        assert [(e["shardIndex"], e["inputs"]) for e in inner] == [
            (j, {"i": i, "j": j}) for j in range(2)
        ]
        assert [read(e["outputs"]["out"]) for e in inner] == [f"{i}.{j}\n" for j in range(2)]
        assert sub["outputs"]["t_nested_scatter_1.out"] == [e["outputs"]["out"] for e in inner]
        direct = await metadata(emulator, sub["id"])
        assert direct["calls"] == sub["calls"]
    gathered = body["outputs"]["nested_scatter.t_nested_scatter_1.out"]
    assert [[read(path) for path in row] for row in gathered] == [
        [f"{i}.{j}\n" for j in range(2)] for i in range(2)
    ]
    allowances = Allowances(
        missing={
            "$.metadataSource": "Cromwell 87 does not write it (metadata-succeeded.json)",
            **nested(CALL_CACHING_KEYS, 1),
        }
    )
    await assert_metadata_contract(body, recording, swagger, allowances, source=source)


async def test_nested_scatter_shards_keep_cromwells_numbering_in_every_read(
    emulator: aiohttp.ClientSession,
) -> None:
    """One `ScatterAt` shard per outer shard, numbered as the outer scatter, each holding the
    inner shards numbered as the inner scatter (metadata-nested-scatter-scatterat-v59.json);
    the same in the plain read, the expanded one and the sub-workflow's own."""
    submitted = await submit(emulator, WIDE_NESTED_SCATTER)
    workflow_id = submitted["id"]
    await wait_status(emulator, workflow_id, "Succeeded", within=90)
    plain = await metadata(emulator, workflow_id)
    expanded = await metadata(emulator, workflow_id, "?expandSubWorkflows=true")
    assert list(plain["calls"]) == list(expanded["calls"]) == ["ScatterAt5_14"]
    outer = expanded["calls"]["ScatterAt5_14"]
    assert [(e["shardIndex"], e["inputs"]) for e in outer] == [(i, {"i": i}) for i in range(11)]
    assert [e["subWorkflowId"] for e in plain["calls"]["ScatterAt5_14"]] == [
        e["subWorkflowMetadata"]["id"] for e in outer
    ]
    for i, element in enumerate(outer):
        sub = element["subWorkflowMetadata"]
        inner = sub["calls"]["widths.label"]
        assert [(e["shardIndex"], e["inputs"], e["outputs"]) for e in inner] == [
            (j, {"i": i, "j": j}, {"text": f"{i}.{j}"}) for j in range(2)
        ]
        assert sub["outputs"] == {"label.text": [f"{i}.0", f"{i}.1"]}
        assert await metadata(emulator, sub["id"]) == sub
    assert expanded["outputs"] == {
        "widths.labels": [[f"{i}.{j}" for j in range(2)] for i in range(11)]
    }


async def test_abort_kills_the_task_process_group(
    emulator: aiohttp.ClientSession, recorded: Recorded
) -> None:
    version = {"workflowType": "WDL", "workflowTypeVersion": "1.0"}  # as in the recording
    submitted = await submit(emulator, LONG, parts=version)
    workflow_id = submitted["id"]
    job_ids: list[str] = []

    async def task_running() -> bool:
        body = await metadata(emulator, workflow_id, "?includeKey=jobId&includeKey=executionStatus")
        elements = body["calls"].get("long_running.long", [])
        job_ids[:] = [
            e["jobId"] for e in elements if e.get("executionStatus") == "Running" and "jobId" in e
        ]
        return bool(job_ids)

    await wait_until(task_running, "the long task running with a job id")
    pgid = int(job_ids[0])
    assert process_group_alive(pgid)
    running = await metadata(emulator, workflow_id)
    docker_only = Allowances(missing=NO_DOCKER_SIZE)
    problems = shape_problems(
        running, recorded("metadata-running.json"), docker_only, await wdl_types(LONG)
    )
    assert not problems, lines(problems)
    aborting = await post_json(emulator, f"{API}/{workflow_id}/abort")
    assert aborting == {"id": workflow_id, "status": "Aborting"}
    await wait_status(emulator, workflow_id, "Aborted")

    async def group_gone() -> bool:
        return not process_group_alive(pgid)

    await wait_until(group_gone, f"the task's process group {pgid} (two sleeps) ending", within=10)
    body = await metadata(emulator, workflow_id)
    assert body["calls"]["long_running.long"][-1]["executionStatus"] == "Aborted"
    again = await post_json(emulator, f"{API}/{workflow_id}/abort", expect=404)
    assert again["status"] == "error"
