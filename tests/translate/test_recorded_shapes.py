"""Recorded answers of endpoints the gateway does not call, read as the parts of metadata they
repeat: the same translation must hold for them (the metadata is what the gateway reads)."""

from collections.abc import Callable
from typing import Any

from cromwes.config.settings import PathTranslation
from cromwes.policy.paths import compile_rules, translate_outputs
from cromwes.translate.request import visible_tags
from cromwes.translate.tasklogs import flat_tasks

HIDDEN = frozenset({"workflow_url", "user_id"})


def test_outputs_answer_is_translated_path_by_path(recorded: Callable[[str], Any]) -> None:
    """`/outputs` holds exactly the metadata's `outputs` map: what a run log shows of it."""
    outputs = recorded("outputs.json")["outputs"]
    rules = compile_rules(
        [PathTranslation(prefix="/Users/schambe3/github/cromwell/", replacement="/mnt/cromwell/")]
    )
    assert translate_outputs(outputs, rules) == {
        "test.hello.response": "/mnt/cromwell/cromwell-executions/test/"
        "032c9dc7-1f87-4eb9-a005-e28be7f5d1ad/call-hello/execution/stdout"
    }


def test_logs_answer_flattens_like_metadata_calls(recorded: Callable[[str], Any]) -> None:
    """`/logs` is the metadata's calls with only stdout/stderr/shard/attempt: the same task."""
    [task] = flat_tasks(recorded("logs.json"))
    assert task.id == "test.hello@1"
    assert task.stdout is not None
    assert task.stdout.endswith("930ff27a-af5e-4168-a939-757e202b5105/call-hello/execution/stdout")
    assert task.stderr is not None
    assert task.stderr.endswith("/call-hello/execution/stderr")
    assert flat_tasks(recorded("logs-no-calls-yet.json")) == []


def test_labels_answers_become_tags_without_cromwells_own(
    recorded: Callable[[str], Any],
) -> None:
    assert visible_tags(recorded("labels.json")["labels"], HIDDEN) == {
        "Label": "Apple",
        "secondaryLabel": "Orange",
        "workflowType": "AppSubmission",
    }
    assert visible_tags(recorded("labels-patch.json")["labels"], HIDDEN) == {
        "label-key-1": "label-value-1",
        "label-key-2": "label-value-2",
    }


def test_calls_compared_by_call_caching_are_finished_tasks(
    recorded: Callable[[str], Any],
) -> None:
    """The diff names calls by fqn and job index, as task ids do; both calls are Done."""
    diff = recorded("callcaching-diff.json")
    for side in ("callA", "callB"):
        call = diff[side]
        metadata: Any = {
            "calls": {
                call["callFqn"]: [
                    {
                        "shardIndex": call["jobIndex"],
                        "attempt": 1,
                        "executionStatus": call["executionStatus"],
                    }
                ]
            }
        }
        [task] = flat_tasks(metadata)
        assert task.id == "wf_hello.hello@1"
        assert task.finished, "a follow of its log ends"
