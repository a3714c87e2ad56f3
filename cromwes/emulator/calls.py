"""Call elements in neutral form: one per (call, shard, attempt), as Cromwell's `calls` lists them.

Three producers fill these in (a miniwdl run directory, a synthetic shape, a controlled workflow)
and one renderer (`metadata.py`) turns them into Cromwell's JSON, so every producer yields the
same recorded shape.
"""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

TERMINAL_CALL_STATUSES = frozenset({"Done", "Failed", "Aborted", "RetryableFailure", "Bypassed"})
FAILED_CALL_STATUSES = frozenset({"Failed", "RetryableFailure"})

SUBWORKFLOW_ID_NAMESPACE = uuid.UUID("6f1d7c36-6a44-4b5e-9a55-0c2b7d5a1f00")

Failure = dict[str, Any]
"""Cromwell's failure tree node: `{"message": str, "causedBy": [Failure, ...]}`."""


def subworkflow_id(root_id: str, call_path: str) -> str:
    """A sub-workflow's id, derived from its root and where its call sits: stable across reads
    and restarts, so a sub-workflow keeps its record (Cromwell gives each one its own UUID)."""
    return str(uuid.uuid5(SUBWORKFLOW_ID_NAMESPACE, f"{root_id}/{call_path}"))


def failure(message: str, caused_by: Sequence[Failure] = ()) -> Failure:
    return {"message": message, "causedBy": list(caused_by)}


def job_failure_message(fqn: str, shard: int, attempt: int, return_code: int) -> str:
    """Cromwell's text for a non-zero exit (metadata-failed.json, metadata-failed-with-shards)."""
    index = "NA" if shard < 0 else str(shard)
    return (
        f"Job {fqn}:{index}:{attempt} exited with return code {return_code} which has not been "
        "declared as a valid return code. See 'continueOnReturnCode' runtime attribute for more "
        "details."
    )


KILLED_MESSAGE = (
    "The compute backend terminated the job. If this termination is unexpected, examine likely "
    "causes such as preemption, running out of disk or memory on the compute instance, or "
    "exceeding the backend's maximum job duration."
)
"""Cromwell 88's text for a job that exited 137 (metadata-failed-exit137-no-returncode-v88)."""


def unstartable_message(stderr_submit: str) -> str:
    """A job the backend could not start (metadata-failed-job-submit-no-returncode-v52.json)."""
    return f"Unable to start job. Check the stderr file for possible errors: {stderr_submit}"


def preempted_message(workflow_id: str, fqn: str, shard: int, attempt: int, most: int) -> str:
    """A preempted attempt (metadata-preempted-retryablefailure-papi-v53.json)."""
    index = "NA" if shard < 0 else str(shard)
    alias = fqn.rsplit(".", 1)[-1]
    return (
        f"Task {fqn}:{index}:{attempt} failed. The job was stopped before the command finished. "
        f"PAPI error code 14. Task {workflow_id}:{alias} was preempted for the {_nth(attempt)} "
        "time. The call will be restarted with another preemptible VM (max preemptible attempts "
        f"number is {most}). Error code Status{{code=UNAVAILABLE, description=null, cause=null}}."
        "Execution failed: worker was terminated"
    )


def lost_job_message(fqn: str, shard: int, attempt: int) -> str:
    """A job Cromwell cannot find again after a restart (metadata-aborted-calls-failed-after-
    restart-v52.json)."""
    index = "NA" if shard < 0 else str(shard)
    return (
        f"No backend job for {fqn}:{index}:{attempt} could be found. The status of the "
        "underlying job cannot be known."
    )


def _nth(number: int) -> str:
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10 if number % 100 not in (11, 12, 13) else 0)
    return f"{number}{suffix or 'th'}"


def local_backend_status(status: str) -> str:
    """The Local backend reports its process state: Running, then Done once the process exited,
    whether or not the exit code was accepted (metadata-failed-with-shards.json)."""
    return "Running" if status == "Running" else "Done" if status != "Aborted" else "Aborted"


class ExecutionEvent(NamedTuple):
    """One `executionEvents` entry (a tuple: a wide scatter makes hundreds of thousands)."""

    description: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class JobAttempt:
    """One attempt of one shard of a task call."""

    fqn: str
    shard: int
    attempt: int
    status: str
    """Cromwell's `executionStatus`: QueuedInCromwell, Running, Done, Failed, RetryableFailure,
    Aborted."""
    start: int
    end: int | None = None
    call_root: str = ""
    stdout: str = ""
    stderr: str = ""
    command_line: str | None = None
    job_id: str | None = None
    return_code: int | None = None
    inputs: Mapping[str, Any] = field(default_factory=dict)
    outputs: Mapping[str, Any] = field(default_factory=dict)
    runtime_attributes: Mapping[str, str] = field(default_factory=dict)
    failures: Sequence[Failure] = ()
    events: Sequence[ExecutionEvent] = ()
    backend_status: str | None = None
    """None: no `backendStatus` (a cache hit, a job never started or lost)."""
    call_caching: Mapping[str, Any] | None = None
    """The `callCaching` object; None: call caching off."""
    written: Mapping[str, str] = field(default_factory=dict)
    """Made-up attempts: the files the attempt wrote (path -> text), written when it ends."""


@dataclass(frozen=True, slots=True)
class SubworkflowAttempt:
    """One shard of a call to a sub-workflow; `workflow_id` is the sub-workflow's own record."""

    fqn: str
    shard: int
    status: str
    start: int
    workflow_id: str
    end: int | None = None
    attempt: int = 1
    inputs: Mapping[str, Any] = field(default_factory=dict)
    outputs: Mapping[str, Any] = field(default_factory=dict)
    failures: Sequence[Failure] = ()
    events: Sequence[ExecutionEvent] = ()
    written: Mapping[str, str] = field(default_factory=dict)


CallElement = JobAttempt | SubworkflowAttempt


def job_events(
    start: int, running: int, end: int, caching: str | None = None
) -> tuple[ExecutionEvent, ...]:
    """The execution events a Local-backend job reports (metadata-succeeded.json), spread over
    the times known: queued at `start`, running from `running`, finished at `end`. With call
    caching on, the cache is read before running and updated after (`caching="miss"`,
    metadata-nested-scatter-scatterat-v59.json); a hit copies instead of running (`"hit"`,
    metadata-callcached-all-hits-local-v91.json)."""
    preparing = min(running, start + 1)
    before = (
        ExecutionEvent("Pending", start, start),
        ExecutionEvent("RequestingExecutionToken", start, preparing),
        ExecutionEvent("WaitingForValueStore", preparing, preparing),
        ExecutionEvent("PreparingJob", preparing, running),
    )
    if caching is None:
        work: tuple[ExecutionEvent, ...] = (ExecutionEvent("RunningJob", running, end),)
    else:
        reading = ExecutionEvent("CallCacheReading", running, running)
        run = () if caching == "hit" else (ExecutionEvent("RunningJob", running, end),)
        work = (reading, *run, ExecutionEvent("UpdatingCallCache", end, end))
    return (*before, *work, ExecutionEvent("UpdatingJobStore", end, end))


def subworkflow_events(start: int, end: int) -> tuple[ExecutionEvent, ...]:
    """The events of a sub-workflow call (metadata-subworkflow-not-expanded.json)."""
    return (
        ExecutionEvent("SubWorkflowPendingState", start, start),
        ExecutionEvent("WaitingForValueStore", start, start),
        ExecutionEvent("SubWorkflowPreparingState", start, start),
        ExecutionEvent("SubWorkflowRunningState", start, end),
    )


def workflow_failures(elements: Sequence[CallElement]) -> list[Failure]:
    """Cromwell's workflow-level tree: "Workflow failed" caused by each failed job's failures."""
    causes = [
        cause for element in elements if element.status == "Failed" for cause in element.failures
    ]
    return [failure("Workflow failed", causes)]
