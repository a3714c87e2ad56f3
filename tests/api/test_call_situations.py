"""What the situations recorded from real Cromwell in ../shared/cromwell/more look like through
WES, over sockets, with the controlled emulator producing them: call-cache hits, calls that
fail without an exit code (killed, never started, lost in a restart) or with a negative one,
nested scatters (Cromwell's `ScatterAt` pseudo sub-workflows), Pair and Map outputs."""

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tests.api.conftest import Stack, workflow_form

TWO_STEPS = b"""version 1.0
task index {
  input { String name }
  command <<< echo ~{name} >>>
  output { File indexed = stdout() }
}
task stats {
  input { File indexed }
  command <<< wc -c ~{indexed} >>>
  output { File report = stdout() }
}
workflow pipeline {
  input { String name }
  call index { input: name = name }
  call stats { input: indexed = index.indexed }
  output { File report = stats.report }
}
"""

NESTED_SCATTER = b"""version 1.0

workflow nested {
  scatter (i in range(2)) {
    scatter (j in range(3)) {
      call cell { input: i = i, j = j }
    }
  }
}

task cell {
  input { Int i  Int j }
  command <<< echo ~{i}.~{j} >>>
  output { File out = stdout() }
}
"""

PAIR_AND_MAP = b"""version 1.0
task split {
  command <<< touch a b >>>
  output {
    Pair[File,File] halves = ("a", "b")
    Map[Int,File] parts = {1: "a", 2: "b"}
  }
}
workflow pairs {
  call split
  output {
    Pair[File,File] halves = split.halves
    Map[Int,File] parts = split.parts
  }
}
"""


async def submitted(stack: Stack, name: str, source: bytes, **params: Any) -> str:
    form = workflow_form(name, {name: source}, params=params or None)
    return await stack.wes.submit(form)


async def run_files(stack: Stack, run_id: str) -> list[dict[str, str]]:
    files: list[dict[str, str]] = (await stack.wes.get(f"runs/{run_id}/files")).json["runFiles"]
    return files


def tasks_by_id(log: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {task["id"]: task for task in log["task_logs"]}


async def test_a_call_cache_hit_is_a_task_whose_logs_were_never_written(stack: Stack) -> None:
    run_id = await submitted(stack, "pipeline.wdl", TWO_STEPS, **{"pipeline.name": "x"})
    await stack.move(run_id, "Succeeded", call="index", cache_hits=True)
    log = (await stack.wes.get(f"runs/{run_id}", expect=200)).json
    assert log["state"] == "COMPLETE"
    tasks = tasks_by_id(log)
    assert set(tasks) == {"pipeline.index@1", "pipeline.stats@1"}
    hit, ran = tasks["pipeline.index@1"], tasks["pipeline.stats@1"]
    # Cromwell reports the hit's returnCode 0, no command line and no backend status.
    assert hit["exit_code"] == 0
    assert "cmd" not in hit
    assert not any(line.startswith("backendStatus") for line in hit["system_logs"])
    assert ran["cmd"]
    # The hit's stdout names a file Cromwell never wrote: the gateway says there is none.
    reply = await stack.wes.get(f"runs/{run_id}/logs/task/pipeline.index@1/stdout", expect=404)
    assert reply.json["status_code"] == 404
    await stack.wes.get(f"runs/{run_id}/logs/task/pipeline.stats@1/stdout", expect=200)
    # The outputs the hit copied are the run's files, as the final output is.
    files = {f["path"]: f["file_type"] for f in await run_files(stack, run_id)}
    copied = [path for path in files if "/call-index/cacheCopy/execution/" in path]
    assert [files[path] for path in copied] == ["SECONDARY"]
    assert files[log["outputs"]["pipeline.report"]] == "FINAL"
    # Nor is it among the run's files: the path Cromwell names for it was never written.
    async with stack.cromwell.get(f"/api/workflows/v1/{run_id}/metadata") as response:
        [index] = (await response.json())["calls"]["pipeline.index"]
    assert index["stdout"] not in files


async def test_calls_that_fail_without_an_exit_code(stack: Stack) -> None:
    run_id = await submitted(stack, "pipeline.wdl", TWO_STEPS, **{"pipeline.name": "x"})
    await stack.move(
        run_id,
        "Failed",
        calls={
            "index": {"failing_shards": [-1], "fails_as": "killed"},
            "stats": {"failing_shards": [-1], "fails_as": "unsubmitted"},
        },
    )
    log = (await stack.wes.get(f"runs/{run_id}", expect=200)).json
    assert log["state"] == "EXECUTOR_ERROR"
    killed, unstarted = tasks_by_id(log)["pipeline.index@1"], tasks_by_id(log)["pipeline.stats@1"]
    assert "exit_code" not in killed
    assert "exit_code" not in unstarted
    assert any("compute backend terminated the job" in line for line in killed["system_logs"])
    assert any(line.startswith("Unable to start job.") for line in unstarted["system_logs"])
    await stack.wes.get(f"runs/{run_id}/logs/task/pipeline.stats@1/stdout", expect=404)
    failures = (await stack.wes.get(f"runs/{run_id}/logs/stderr", expect=200)).json
    assert len(failures[0]["causedBy"]) == 2


async def test_a_negative_exit_code(stack: Stack) -> None:
    run_id = await submitted(stack, "pipeline.wdl", TWO_STEPS, **{"pipeline.name": "x"})
    await stack.move(run_id, "Failed", call="stats", return_code=-1)
    log = (await stack.wes.get(f"runs/{run_id}", expect=200)).json
    assert tasks_by_id(log)["pipeline.stats@1"]["exit_code"] == -1


async def test_aborted_after_a_restart_lists_the_lost_tasks_without_logs(stack: Stack) -> None:
    run_id = await submitted(stack, "pipeline.wdl", TWO_STEPS, **{"pipeline.name": "x"})
    await stack.move(run_id, "Running", restarted=True)
    await stack.move(run_id, "Aborted")
    log = (await stack.wes.get(f"runs/{run_id}", expect=200)).json
    assert log["state"] == "CANCELED"
    [task] = log["task_logs"]
    assert task["id"] == "pipeline.index@1"
    assert not {"stdout", "stderr", "exit_code"} & task.keys()
    assert "executionStatus: Failed" in task["system_logs"]
    await stack.wes.get(f"runs/{run_id}/logs/task/pipeline.index@1/stdout", expect=404)


async def test_a_nested_scatter_flattens_into_tasks_with_stable_ids(stack: Stack) -> None:
    run_id = await submitted(stack, "nested.wdl", NESTED_SCATTER)
    # The inner scatter's variable `j` is at line 5, column 14: Cromwell's ScatterAt5_14.
    shards = {"ScatterAt5_14": {"shards": 2}, "ScatterAt5_14/cell": {"shards": 3}}
    await stack.move(run_id, "Succeeded", calls=shards)
    expected = [f"ScatterAt5_14:{i}~nested.cell:{j}@1" for i in range(2) for j in range(3)]
    log = (await stack.wes.get(f"runs/{run_id}", expect=200)).json
    assert [task["id"] for task in log["task_logs"]] == expected
    assert log["task_logs"][4]["name"] == "ScatterAt5_14[1] / nested.cell[1]"
    again = (await stack.wes.get(f"runs/{run_id}", expect=200)).json
    assert [task["id"] for task in again["task_logs"]] == expected
    page = (await stack.wes.get(f"runs/{run_id}/tasks?page_size=4", expect=200)).json
    assert [task["id"] for task in page["task_logs"]] == expected[:4]
    one = await stack.wes.get(f"runs/{run_id}/tasks/{quote(expected[5], safe='')}", expect=200)
    assert one.json == log["task_logs"][5]
    stdout = await stack.wes.get(f"runs/{run_id}/logs/task/{expected[5]}/stdout", expect=200)
    assert stdout.body.endswith(b"synthetic stdout\n")
    outputs = log["outputs"]["nested.cell.out"]
    assert [len(row) for row in outputs] == [2, 2], "made-up arrays, each of two files"


async def test_pair_and_map_outputs_keep_their_shape(stack: Stack) -> None:
    run_id = await submitted(stack, "pairs.wdl", PAIR_AND_MAP)
    await stack.move(run_id, "Succeeded")
    log = (await stack.wes.get(f"runs/{run_id}", expect=200)).json
    halves, parts = log["outputs"]["pairs.halves"], log["outputs"]["pairs.parts"]
    assert sorted(halves) == ["left", "right"]
    assert sorted(parts) == ["1", "2"]
    files = {f["path"] for f in await run_files(stack, run_id)}
    assert {halves["left"], halves["right"], *parts.values()} <= files
    reply = await stack.wes.get(
        f"runs/{run_id}/file",
        params={"path": "$.outputs['pairs.halves'].left"},
        headers={"Accept": "application/octet-stream"},
        expect=200,
    )
    assert reply.body == await asyncio.to_thread(Path(halves["left"]).read_bytes)
