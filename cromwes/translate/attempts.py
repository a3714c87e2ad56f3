"""What a Cromwell call attempt's status says in WES's words: its state, and so whether it has
started and whether it has ended.

The one definition both readers of an attempt use: the run's event stream (an attempt started,
ended) and a log follow (it will write no more, the follow ends), so they never disagree.

Cromwell shows a preempted attempt in one of two ways (../shared/cromwell):

* current servers: `executionStatus: RetryableFailure` with `backendStatus: Preempted` and
  `retryableFailure: true` (more/metadata-preempted-retryablefailure-papi-v53.json, 8 PAPI
  preemptions). `RetryableFailure` alone also means a failure retried under `maxRetries`; only
  the backend's word tells a preemption;
* the 2016 docs example: `executionStatus: Preempted` (metadata-scatter-preempted-retry.json),
  a status current servers no longer have (cromwell-api.md §2.3).

Either way the attempt has ended, PREEMPTED, and a later attempt takes over.
"""

from collections.abc import Mapping

from cromwes.models import State

EXECUTION_STATES: Mapping[str, State] = {
    "NotStarted": State.QUEUED,
    "WaitingForQueueSpace": State.QUEUED,
    "QueuedInCromwell": State.QUEUED,
    "Starting": State.QUEUED,
    "Running": State.RUNNING,
    "Aborting": State.CANCELING,
    "Done": State.COMPLETE,
    "Bypassed": State.COMPLETE,
    "Failed": State.EXECUTOR_ERROR,
    # The attempt failed and Cromwell runs another (maxRetries, or a preemption: see
    # `attempt_state`).
    "RetryableFailure": State.EXECUTOR_ERROR,
    "Aborted": State.CANCELED,
    "Unstartable": State.SYSTEM_ERROR,
    "Preempted": State.PREEMPTED,
}
"""Cromwell's call `executionStatus` (cromwell-api.md §2.3) in WES's vocabulary; anything
else is UNKNOWN (neither started nor ended)."""
PREEMPTED_BACKEND_STATUS = "Preempted"
RETRIED_STATUSES = frozenset({"RetryableFailure", "Preempted"})
"""Statuses after which Cromwell runs another attempt of the same shard."""


def attempt_state(execution_status: str, backend_status: str | None) -> State:
    """The WES state of one attempt from its `executionStatus` and `backendStatus`: a failed
    attempt whose backend says it was preempted is PREEMPTED."""
    state = EXECUTION_STATES.get(execution_status, State.UNKNOWN)
    if state is State.EXECUTOR_ERROR and backend_status == PREEMPTED_BACKEND_STATUS:
        return State.PREEMPTED
    return state
