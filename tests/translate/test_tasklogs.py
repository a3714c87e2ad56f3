from collections.abc import Callable
from typing import Any

import pytest

from cromwes.translate.tasklogs import failure_messages, flat_tasks, task_log

LOGS = "https://wes.example/ga4gh/wes/v1/runs/r/logs/task"


@pytest.mark.parametrize(
    ("recording", "count", "first_ids"),
    [
        pytest.param("metadata-succeeded.json", 1, ["test.hello@1"], id="succeeded"),
        pytest.param("metadata-failed.json", 1, ["ChRISJob.plugin_instance@1"], id="failed"),
        pytest.param("metadata-submitted.json", 0, [], id="submitted-no-calls"),
        pytest.param("metadata-running-queued.json", 1, ["test.hello@1"], id="queued-call"),
        pytest.param(
            "metadata-scatter-preempted-retry.json",
            5,
            ["sc_test.do_prepare@1", "sc_test.do_gather@1", "sc_test.do_scatter:0@1"],
            id="preempted-retry",
        ),
        pytest.param(
            "metadata-scatter-papiv2.json",
            4,
            ["wf_hello.hello:0@1", "wf_hello.hello:1@1", "wf_hello.goodbye:0@1"],
            id="papiv2-scatter",
        ),
        pytest.param(
            "metadata-subworkflow-not-expanded.json", 0, [], id="subworkflow-not-expanded"
        ),
        pytest.param("metadata-failed-with-shards.json", 52, None, id="50-shards-failing"),
        pytest.param("metadata-subworkflows-expanded-scatters.json", 16, None, id="nested"),
    ],
)
def test_flattening(
    recorded: Callable[[str], Any], recording: str, count: int, first_ids: list[str] | None
) -> None:
    tasks = flat_tasks(recorded(recording))
    assert len(tasks) == count
    assert len({task.id for task in tasks}) == count, "task ids must be unique"
    if first_ids is not None:
        assert [task.id for task in tasks[: len(first_ids)]] == first_ids


def test_retried_attempts_are_separate_tasks(recorded: Callable[[str], Any]) -> None:
    tasks = {t.id: t for t in flat_tasks(recorded("metadata-scatter-preempted-retry.json"))}
    first, second = tasks["sc_test.do_scatter:0@1"], tasks["sc_test.do_scatter:0@2"]
    assert first.name == second.name == "sc_test.do_scatter[0]"
    assert "executionStatus: Preempted" in first.system_logs
    assert second.exit_code == 0
    assert first.stdout != second.stdout


def test_nested_subworkflow_tasks_carry_their_path(recorded: Callable[[str], Any]) -> None:
    tasks = flat_tasks(recorded("metadata-subworkflows-expanded-scatters.json"))
    ids = {task.id for task in tasks}
    assert "wf.wf:0~wf.wf:1~wf.wf:0~wf.foo:1@1" in ids
    named = next(t for t in tasks if t.id == "wf.wf:0~wf.wf:1~wf.wf:0~wf.foo:1@1")
    assert named.name == "wf.wf[0] / wf.wf[1] / wf.wf[0] / wf.foo[1]"
    assert named.call == ""


def test_shards_come_in_call_then_shard_order(recorded: Callable[[str], Any]) -> None:
    """The 50-shard scatter started its shards in the order 34, 35, 37, 49, 4, 5, ... within a
    few milliseconds; they are listed 0, 1, 2, ... 49 (issue 13 item 10)."""
    ids = [t.id for t in flat_tasks(recorded("metadata-failed-with-shards.json"))]
    scatter = "FailingInSeveralWays.ScatterJobThatWillFailSometimes"
    assert ids[0] == "FailingInSeveralWays.WriteGreeting@1", "the call that started first"
    assert ids[1:51] == [f"{scatter}:{shard}@1" for shard in range(50)]
    assert ids[51:] == ["FailingInSeveralWays.ReadItBackToMe@1"]


def test_attempts_follow_their_shard(recorded: Callable[[str], Any]) -> None:
    """Recorded to the second: do_gather and do_scatter both started at 13:47:56, so the call
    names break the tie; the retry of shard 0 sits between shard 0 and shard 1."""
    ids = [t.id for t in flat_tasks(recorded("metadata-scatter-preempted-retry.json"))]
    assert ids == [
        "sc_test.do_prepare@1",
        "sc_test.do_gather@1",
        "sc_test.do_scatter:0@1",
        "sc_test.do_scatter:0@2",
        "sc_test.do_scatter:1@1",
    ]


def test_call_order_compares_starts_as_instants() -> None:
    """`b` started at 12:00:00 UTC written with an offset; `a` a second later in UTC: `b` first,
    although its text sorts after `a`'s."""
    metadata: Any = {
        "calls": {
            "wf.a": [{"shardIndex": -1, "attempt": 1, "start": "2024-01-01T12:00:01.000Z"}],
            "wf.b": [{"shardIndex": -1, "attempt": 1, "start": "2024-01-01T07:00:00.000-05:00"}],
            "wf.c": [{"shardIndex": -1, "attempt": 1}],
        }
    }
    tasks = flat_tasks(metadata)
    assert [t.id for t in tasks] == ["wf.b@1", "wf.a@1", "wf.c@1"]
    assert tasks[0].start_time == "2024-01-01T12:00:00.000Z"


def test_task_log_of_a_failed_task(recorded: Callable[[str], Any]) -> None:
    task = flat_tasks(recorded("metadata-failed.json"))[0]
    log = task_log(task, LOGS)
    assert log.id == "ChRISJob.plugin_instance@1"
    assert log.cmd == (
        "/usr/local/bin/python /usr/local/bin/office_convert  /share/incoming /share/outgoing",
    )
    assert log.exit_code == 1
    assert log.start_time == "2022-01-24T00:17:42.922Z"
    assert log.end_time == "2022-01-24T00:19:35.890Z"
    assert log.stdout == f"{LOGS}/ChRISJob.plugin_instance@1/stdout"
    assert log.stderr == f"{LOGS}/ChRISJob.plugin_instance@1/stderr"
    assert log.system_logs is not None
    assert any("exited with return code 1" in line for line in log.system_logs)


def test_queued_task_has_no_log_urls_yet(recorded: Callable[[str], Any]) -> None:
    log = task_log(flat_tasks(recorded("metadata-running-queued.json"))[0], LOGS)
    assert log.stdout is None
    assert log.stderr is None
    assert log.exit_code is None
    assert log.system_logs is not None
    assert "executionStatus: QueuedInCromwell" in log.system_logs


def test_failure_messages_walk_the_tree_once(recorded: Callable[[str], Any]) -> None:
    failures = recorded("metadata-failed.json")["failures"]
    assert list(failure_messages(failures)) == [
        "Workflow failed",
        "Job ChRISJob.plugin_instance:NA:1 exited with return code 1 which has not been declared "
        "as a valid return code. See 'continueOnReturnCode' runtime attribute for more details.",
    ]
