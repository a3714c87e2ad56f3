"""An attempt's WES state, and so whether it started and ended, from Cromwell's words (pure)."""

from collections.abc import Callable
from typing import Any

import pytest

from cromwes.models import State
from cromwes.translate.attempts import attempt_state
from cromwes.translate.events import task_events
from cromwes.translate.tasklogs import flat_tasks

RUN = "0191d0a4-4f5e-7000-8000-000000000000"


@pytest.mark.parametrize(
    ("execution_status", "backend_status", "state"),
    [
        pytest.param("QueuedInCromwell", None, State.QUEUED, id="queued"),
        pytest.param("Running", "Running", State.RUNNING, id="running"),
        pytest.param("Done", "Success", State.COMPLETE, id="done"),
        pytest.param("Failed", "Done", State.EXECUTOR_ERROR, id="failed"),
        pytest.param("RetryableFailure", "Done", State.EXECUTOR_ERROR, id="retried-failure"),
        pytest.param("RetryableFailure", "Preempted", State.PREEMPTED, id="preempted-papi"),
        pytest.param("Preempted", "Preempted", State.PREEMPTED, id="preempted-2016-docs"),
        pytest.param("Unstartable", None, State.SYSTEM_ERROR, id="unstartable"),
        pytest.param("Aborted", "Aborted", State.CANCELED, id="aborted"),
        # The backend's word tells why an attempt failed, never that a running one ended.
        pytest.param("Running", "Preempted", State.RUNNING, id="running-backend-preempted"),
        pytest.param("Done", "Preempted", State.COMPLETE, id="done-backend-preempted"),
        pytest.param("Hibernating", None, State.UNKNOWN, id="unknown"),
    ],
)
def test_an_attempt_state_reads_both_statuses(
    execution_status: str, backend_status: str | None, state: State
) -> None:
    assert attempt_state(execution_status, backend_status) is state


def test_every_call_status_cromwell_has_is_known_and_the_terminal_ones_end(
    recorded: Callable[[str], Any],
) -> None:
    """A follow ends, and an event says the attempt ended, on Cromwell's terminal statuses and
    on RetryableFailure, because a new attempt takes over."""
    mapping = recorded("status-mapping.json")
    states = {s: attempt_state(s, None) for s in mapping["cromwell_call_execution_statuses"]}
    assert State.UNKNOWN not in states.values()
    assert {s for s, state in states.items() if state.is_terminal} == {
        *mapping["cromwell_call_terminal_statuses"],
        "RetryableFailure",
    }


@pytest.mark.parametrize(
    ("recording", "preempted", "retries"),
    [
        pytest.param(
            "more/metadata-preempted-retryablefailure-papi-v53.json",
            {"Optimus.TagGenes:6@1", "Optimus.PreUMISort:9@1", "Optimus.GeneSortBam:3@1",
             "Optimus.GeneSortBam:14@1", "Optimus.CalculateGeneMetrics:8@1",
             "Optimus.CalculateGeneMetrics:13@1", "Optimus.CalculateCellMetrics:15@1",
             "Optimus.CalculateCellMetrics:21@1"},
            {"Optimus.TagGenes:6@2", "Optimus.GeneSortBam:3@2"},
            id="papi-v53-retryablefailure",
        ),
        pytest.param(
            "metadata-scatter-preempted-retry.json",
            {"sc_test.do_scatter:0@1"},
            {"sc_test.do_scatter:0@2"},
            id="docs-2016-preempted",
        ),
    ],
)  # fmt: skip
def test_a_preempted_attempt_ended_preempted_for_its_log_and_its_events(
    recorded: Callable[[str], Any], recording: str, preempted: set[str], retries: set[str]
) -> None:
    tasks = flat_tasks(recorded(recording))
    assert {t.id for t in tasks if t.state is State.PREEMPTED} == preempted
    assert all(t.finished for t in tasks if t.id in preempted), "a follow of its log ends"
    events = {event.key: event.data for event in task_events(RUN, tasks)}
    for task_id in preempted:
        ended = events[f"{task_id}>ended"]
        assert (ended["state"], ended["retryable"]) == ("PREEMPTED", True), task_id
    for task_id in retries:
        assert events[f"{task_id}>started"]["change"] == "retried"
