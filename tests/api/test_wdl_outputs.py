"""Through the gateway, the `final_workflow_outputs_dir` and `use_relative_output_paths` options:
outputs copied as Cromwell's Local backend copies them (CopyWorkflowOutputsActor), collisions
failing the run, and the run's outputs still naming the files of the run (as Cromwell's do)."""

import json
from pathlib import Path

import pytest

from tests.api.conftest import Stack, workflow_form

pytestmark = pytest.mark.wdl

REPORT_TASK = b"""
task report {
  input {
    Int n
  }
  command <<<
    mkdir -p reports
    echo "report ~{n}" > reports/report.txt
    echo "log ~{n}" > run.log
  >>>
  output {
    File report = "reports/report.txt"
    File log = "run.log"
    String note = "not a file"
  }
}
"""

REPORTS = (
    b"""version 1.0

workflow publish {
  input {
    Array[Int] ns
  }
  scatter (n in ns) {
    call report { input: n = n }
  }
  call report as summary { input: n = 0 }
  output {
    Array[File] reports = report.report
    Array[File] logs = report.log
    Pair[File, String] summary_report = (summary.report, summary.note)
  }
}
"""
    + REPORT_TASK
)

ONE_REPORT = (
    b"""version 1.0

workflow publish {
  input {
    Array[Int] ns
  }
  call report { input: n = ns[0] }
  output {
    File the_report = report.report
    File the_log = report.log
  }
}
"""
    + REPORT_TASK
)


async def publish(
    stack: Stack, ns: list[int], options: dict[str, str], source: bytes = REPORTS
) -> tuple[str, str, dict[str, object]]:
    form = workflow_form(
        "publish.wdl",
        {"publish.wdl": source},
        params={"publish.ns": ns},
        extra={"workflow_engine_parameters": json.dumps(options)},
    )
    run_id = await stack.wes.submit(form)
    state = await stack.wes.wait_for_state(run_id, {"COMPLETE", "EXECUTOR_ERROR"})
    log = (await stack.wes.get(f"runs/{run_id}", expect=200)).json
    return run_id, state, log


def files_under(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): path.read_text()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


async def test_outputs_are_copied_under_workflow_name_and_id(
    wdl_stack: Stack, tmp_path: Path
) -> None:
    final = tmp_path / "final"
    run_id, state, log = await publish(
        wdl_stack, [1, 2], {"final_workflow_outputs_dir": str(final)}
    )
    assert state == "COMPLETE"
    root = f"publish/{run_id}"
    assert files_under(final) == {
        f"{root}/call-report-0/work/reports/report.txt": "report 1\n",
        f"{root}/call-report-0/work/run.log": "log 1\n",
        f"{root}/call-report-1/work/reports/report.txt": "report 2\n",
        f"{root}/call-report-1/work/run.log": "log 2\n",
        f"{root}/call-summary/work/reports/report.txt": "report 0\n",
    }
    # Cromwell's outputs keep naming the files of the run, not the copies
    # (broadinstitute/cromwell#6222); so do the emulator's.
    outputs = log["outputs"]
    assert isinstance(outputs, dict)
    for path in [*outputs["publish.reports"], *outputs["publish.logs"]]:
        assert not path.startswith(str(final))
        assert f"/publish/{run_id}/" in path


async def test_relative_output_paths_drop_the_call_folders(
    wdl_stack: Stack, tmp_path: Path
) -> None:
    final = tmp_path / "final"
    final.mkdir()
    (final / "run.log").write_text("from an earlier run\n")
    options = {"final_workflow_outputs_dir": str(final), "use_relative_output_paths": "true"}
    _, state, _ = await publish(wdl_stack, [7], options, ONE_REPORT)
    assert state == "COMPLETE"
    # relative to the call's execution folder, subfolders kept; an earlier copy is replaced
    assert files_under(final) == {"reports/report.txt": "report 7\n", "run.log": "log 7\n"}


async def test_colliding_outputs_fail_the_run_with_cromwells_message(
    wdl_stack: Stack, tmp_path: Path
) -> None:
    final = tmp_path / "final"
    options = {"final_workflow_outputs_dir": str(final), "use_relative_output_paths": "true"}
    run_id, state, log = await publish(wdl_stack, [1, 2], options)
    assert state == "EXECUTOR_ERROR"
    outputs = log["outputs"]
    assert isinstance(outputs, dict)
    assert len(outputs["publish.reports"]) == 2, "published before the copy failed, as Cromwell's"
    failures = json.loads((await wdl_stack.wes.get(f"runs/{run_id}/logs/stderr")).body)
    [failure] = failures
    message = failure["message"]
    assert message.startswith(
        "Cannot copy output files to given final_workflow_outputs_dir as multiple files will be "
        "copied to the same path: \n"
    )
    lines = message.split("\n")[1:]
    assert [line.split(" -> ")[1] for line in lines] == [
        *[f"{final}/reports/report.txt"] * 3,
        *[f"{final}/run.log"] * 2,
    ]
    assert not final.exists()
