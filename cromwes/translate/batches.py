"""A batch: one workflow run once per element of a `workflow_params` array, kept as labels.

The gateway keeps no state: every run of a batch carries the batch id and its position as two
labels (`batches.label`, `batches.index_label`), and the batch is whatever Cromwell's query
finds under the first, in the order of the second.

A batch's overall state, from its runs' states:

* every run in one state: that state;
* every run finished (COMPLETE, EXECUTOR_ERROR, SYSTEM_ERROR, CANCELED, PREEMPTED): the first of
  SYSTEM_ERROR, EXECUTOR_ERROR, PREEMPTED, CANCELED that any run is in;
* otherwise CANCELING if any run is CANCELING, else RUNNING: some run has started, or some have
  finished while others wait.
"""

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from cromwes.cromwell.types import QueryResult
from cromwes.models import State
from cromwes.translate.idempotency import request_digest
from cromwes.translate.labels import Owner
from cromwes.translate.states import wes_state
from cromwes.translate.submission import WesSubmission

FINISHED_PRECEDENCE = (State.SYSTEM_ERROR, State.EXECUTOR_ERROR, State.PREEMPTED, State.CANCELED)
"""Which state a finished batch takes when its runs finished differently: the worst first."""


@dataclass(frozen=True, slots=True)
class BatchLabels:
    """The label names of a batch (`batches.label`, `batches.index_label`)."""

    batch: str
    index: str

    def of(self, batch_id: str, index: int) -> dict[str, str]:
        return {self.batch: batch_id, self.index: str(index)}


@dataclass(frozen=True, slots=True)
class BatchRun:
    index: int
    run_id: str
    state: State


def batch_elements(
    submission: WesSubmission, params: Sequence[Mapping[str, Any]]
) -> list[WesSubmission]:
    """One submission per element of a batch's `workflow_params`, sharing everything else."""
    return [replace(submission, workflow_params=element) for element in params]


def batch_digest(submission: WesSubmission, params: Sequence[Mapping[str, Any]]) -> str:
    """A digest of everything a batch request carries, its whole array of inputs included."""
    return request_digest(replace(submission, workflow_params={"batch": list(params)}))


def element_digest(digest: str, index: int) -> str:
    """The request digest kept on run `index` of a batch: a retry of another batch under the
    same key differs on every run, not only on the runs whose inputs changed."""
    return hashlib.sha256(f"{digest}:{index}".encode()).hexdigest()


def batch_query(labels: BatchLabels, batch_id: str, owner: Owner) -> list[tuple[str, str]]:
    """Cromwell query parameters selecting the top-level runs of a batch (no paging)."""
    params = [
        ("includeSubworkflows", "false"),
        ("additionalQueryResultFields", "labels"),
        ("label", f"{labels.batch}:{batch_id}"),
    ]
    if owner is not None:
        params.append(("label", f"{owner[0]}:{owner[1]}"))
    return params


def batch_runs(rows: Sequence[QueryResult], labels: BatchLabels) -> list[BatchRun]:
    """The runs of a batch in input order (a row without a readable position goes last)."""
    runs = []
    for row in rows:
        if row.get("parentWorkflowId") or not isinstance(row.get("id"), str):
            continue
        position = str((row.get("labels") or {}).get(labels.index, ""))
        index = int(position) if position.isdecimal() and len(position) < 10 else -1
        runs.append(BatchRun(index, row["id"], wes_state(row.get("status"))))
    return sorted(runs, key=lambda run: (run.index < 0, run.index, run.run_id))


def batch_state(states: Sequence[State]) -> State:
    """The overall state of a batch whose runs are in `states` (see the module docstring)."""
    distinct = set(states)
    if len(distinct) == 1:
        return next(iter(distinct))
    if all(state.is_terminal for state in distinct):
        return next((s for s in FINISHED_PRECEDENCE if s in distinct), State.COMPLETE)
    if State.CANCELING in distinct:
        return State.CANCELING
    return State.RUNNING


def batch_status(batch_id: str, runs: Sequence[BatchRun]) -> dict[str, Any]:
    """The body of `GET /batches/{batch_id}`."""
    counts: dict[str, int] = {}
    for run in runs:
        counts[run.state.value] = counts.get(run.state.value, 0) + 1
    return {
        "batch_id": batch_id,
        "state": batch_state([run.state for run in runs]).value if runs else State.QUEUED.value,
        "run_ids": [run.run_id for run in runs],
        "state_counts": counts,
    }
