import json
from collections.abc import Callable
from typing import Any

from cromwes.models import State
from cromwes.translate.request import REQUEST_OPTION, request_option
from cromwes.translate.runlog import RunUrls, run_log
from cromwes.translate.tasklogs import flat_tasks

RUN = "https://wes.example/ga4gh/wes/v1/runs/R"
HIDDEN = frozenset({"workflow_url"})


def build(metadata: Any, *, inline_limit: int = 1000) -> Any:
    return run_log(
        metadata,
        flat_tasks(metadata),
        urls=RunUrls(RUN),
        inline_limit=inline_limit,
        translate_outputs=lambda outputs: outputs,
        workflow_url_label="workflow_url",
        hidden_labels=HIDDEN,
    )


def test_succeeded_run(recorded: Callable[[str], Any]) -> None:
    log = build(recorded("metadata-succeeded.json"))
    assert log.run_id == "1d4bd515-7696-4062-a516-d1c6ad792785"
    assert log.state is State.COMPLETE
    assert log.run_log.name == "test"
    assert log.run_log.start_time == "2024-08-09T23:01:51.187Z"
    assert log.run_log.end_time == "2024-08-09T23:02:08.552Z"
    assert log.run_log.exit_code == 0
    assert log.run_log.stderr == f"{RUN}/logs/stderr"
    assert log.task_logs_url == f"{RUN}/tasks"
    assert log.task_logs is not None
    assert [t.id for t in log.task_logs] == ["test.hello@1"]
    assert log.outputs == {
        "test.hello.response": "/Users/schambe3/github/cromwell/cromwell-executions/test/"
        "1d4bd515-7696-4062-a516-d1c6ad792785/call-hello/execution/stdout"
    }
    request = log.request
    assert request.workflow_params == {"test.hello.name": "World"}
    assert request.workflow_type == "WDL"
    assert request.workflow_type_version == "draft-2"
    assert request.tags == {}
    assert request.workflow_engine_parameters["workflow_root"].endswith(
        "1d4bd515-7696-4062-a516-d1c6ad792785"
    )


def test_failed_run_lists_its_failures(recorded: Callable[[str], Any]) -> None:
    log = build(recorded("metadata-failed.json"))
    assert log.state is State.EXECUTOR_ERROR
    assert log.run_log.exit_code == 1
    assert log.run_log.system_logs is not None
    assert log.run_log.system_logs[0] == "Workflow failed"
    assert log.request.tags == {"org.chrisproject.pman.name": "wont-work"}


def test_submitted_run_has_no_name_yet(recorded: Callable[[str], Any]) -> None:
    log = build(recorded("metadata-submitted.json"))
    assert log.state is State.QUEUED
    assert log.run_log.name is None
    assert log.run_log.exit_code is None
    assert log.task_logs == ()


def test_task_logs_are_null_above_the_inline_limit(recorded: Callable[[str], Any]) -> None:
    log = build(recorded("metadata-failed-with-shards.json"), inline_limit=51)
    assert log.task_logs is None
    assert log.task_logs_url == f"{RUN}/tasks"


def test_request_shows_what_the_client_sent(recorded: Callable[[str], Any]) -> None:
    metadata = recorded("metadata-succeeded.json")
    option = request_option(
        workflow_params={"test.hello.name": "/data/in.txt"},
        sent_inputs={"test.hello.name": "gs://bucket/in.txt"},
        workflow_type_version="1.0",
        workflow_engine="cromwell",
        workflow_engine_version=None,
    )
    metadata["submittedFiles"]["options"] = f'{{"read_from_cache": false, "{REQUEST_OPTION}": '
    metadata["submittedFiles"]["options"] += f"{json.dumps(option)}}}"
    metadata["labels"]["workflow_url"] = "hello.wdl"
    metadata["labels"]["project"] = "demo"
    request = build(metadata).request
    assert request.workflow_params == {"test.hello.name": "/data/in.txt"}
    assert request.workflow_type_version == "1.0"
    assert request.workflow_engine == "cromwell"
    assert request.workflow_url == "hello.wdl"
    assert request.tags == {"project": "demo"}
    assert request.workflow_engine_parameters["read_from_cache"] == "false"
    assert REQUEST_OPTION not in request.workflow_engine_parameters
