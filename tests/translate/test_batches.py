"""A batch's overall state, and its runs in input order, from Cromwell's query rows."""

import pytest

from cromwes.cromwell.types import QueryResult
from cromwes.models import State
from cromwes.translate.batches import BatchLabels, BatchRun, batch_runs, batch_state

S = State


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        pytest.param([S.QUEUED] * 3, S.QUEUED, id="all-queued"),
        pytest.param([S.PAUSED, S.PAUSED], S.PAUSED, id="all-paused"),
        pytest.param([S.COMPLETE] * 2, S.COMPLETE, id="all-complete"),
        pytest.param([S.QUEUED, S.RUNNING], S.RUNNING, id="one-started"),
        pytest.param([S.QUEUED, S.COMPLETE], S.RUNNING, id="one-finished-one-waits"),
        pytest.param([S.RUNNING, S.CANCELING, S.COMPLETE], S.CANCELING, id="cancel-under-way"),
        pytest.param([S.COMPLETE, S.CANCELED], S.CANCELED, id="finished-some-cancelled"),
        pytest.param([S.CANCELED, S.EXECUTOR_ERROR], S.EXECUTOR_ERROR, id="a-failure-wins"),
        pytest.param([S.EXECUTOR_ERROR, S.SYSTEM_ERROR], S.SYSTEM_ERROR, id="system-error-worst"),
        pytest.param([S.COMPLETE, S.PREEMPTED], S.PREEMPTED, id="preempted"),
        pytest.param([S.UNKNOWN, S.COMPLETE], S.RUNNING, id="unknown-is-unfinished"),
    ],
)
def test_batch_state(states: list[State], expected: State) -> None:
    assert batch_state(states) is expected


def test_runs_come_in_input_order_whatever_cromwell_returns() -> None:
    labels = BatchLabels("wes-batch-id", "wes-batch-index")
    rows: list[QueryResult] = [
        {"id": "c", "status": "Running", "labels": {"wes-batch-index": "10"}},
        {"id": "a", "status": "Succeeded", "labels": {"wes-batch-index": "2"}},
        {"id": "z", "status": "Failed", "labels": {"wes-batch-index": "not a number"}},
        {"id": "s", "status": "Running", "parentWorkflowId": "a"},
        {"id": "b", "status": "Submitted", "labels": {"wes-batch-index": "9"}},
    ]
    assert batch_runs(rows, labels) == [
        BatchRun(2, "a", S.COMPLETE),
        BatchRun(9, "b", S.QUEUED),
        BatchRun(10, "c", S.RUNNING),
        BatchRun(-1, "z", S.EXECUTOR_ERROR),
    ]
