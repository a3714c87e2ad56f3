"""The made-up jobs of one shard of one call of a synthetic or controlled workflow: its attempts,
in the form Cromwell records for each way a job ends.

* it ran: `returnCode`, `backendStatus`, `jobId`, `commandLine`, logs in its own `execution/`;
* a call-cache hit (metadata-callcached-all-hits-local-v91.json): no `jobId`, `backendStatus` or
  `commandLine`, `returnCode` 0, `callCaching.hit`, outputs in `cacheCopy/execution/`, and
  stdout/stderr naming `execution/stdout|stderr`, where nothing is written;
* it exited non-zero (`return_code`, negative ones included), was killed (exit 137: no
  `returnCode`), never started (no `returnCode` nor `backendStatus`, a `stderr.submit`), or was
  preempted (`backendStatus: Preempted`, retried);
* it was lost when Cromwell restarted while the workflow was aborted: `Failed`, without logs,
  call root, job id or backend status (metadata-aborted-calls-failed-after-restart-v52.json).

Paths follow Cromwell's Local layout (`call-x/shard-3/attempt-2/execution/stdout`). With
`shared_logs` (synthetic runs, possibly 50,000 shards wide) the shards of a call share one
stdout/stderr and one set of output files, written by `shared_files`.
"""

import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

from cromwes.emulator.calls import (
    KILLED_MESSAGE,
    Failure,
    JobAttempt,
    failure,
    job_events,
    job_failure_message,
    local_backend_status,
    lost_job_message,
    preempted_message,
    unstartable_message,
)
from cromwes.emulator.shapes import CallShape
from cromwes.emulator.values import MadeUp, WdlType, parsed

RUNNING_CALL_STATUSES = ("Running", "QueuedInCromwell")
CACHED_FROM = uuid.UUID("1d875251-3d90-457c-9fd4-8464d52553ce")
"""Namespace of the made-up ids of the workflows whose results a cache hit reuses."""


@dataclass(frozen=True, slots=True)
class CallPlan:
    """What every shard of one call shares, worked out once per document."""

    workflow_id: str
    fqn: str
    call: CallShape
    call_dir: str
    shared_logs: bool
    caching: bool
    inputs: dict[str, WdlType] = field(default_factory=dict)
    outputs: dict[str, WdlType] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        workflow_id: str,
        fqn: str,
        call: CallShape,
        call_dir: str,
        *,
        shared_logs: bool,
        caching: bool,
    ) -> "CallPlan":
        return cls(
            workflow_id,
            fqn,
            call,
            call_dir,
            shared_logs,
            caching,
            parsed(call.inputs),
            parsed(call.outputs),
        )

    def shard_dir(self, shard: int) -> str:
        return f"{self.call_dir}/shard-{shard}" if shard >= 0 else self.call_dir

    def shared_files(self) -> dict[str, str]:
        """The files the shards of a shared-logs call share, with what they say."""
        label = f"{self.fqn}, every shard and attempt"
        logs = f"{self.call_dir}/execution"
        made = MadeUp()
        made.values(self.inputs, f"{self.call_dir}/inputs")
        made.values(self.outputs, logs)
        return {
            f"{logs}/stdout": f"{label}: synthetic stdout\n",
            f"{logs}/stderr": f"{label}: synthetic stderr\n",
            **made.files,
        }


def job_attempts(
    plan: CallPlan, shard: int, status: str, start: int, end: int, *, lost: bool = False
) -> list[JobAttempt]:
    """Every attempt of one shard whose last attempt is in `status`: the earlier ones
    `RetryableFailure`; `lost`: a `Failed` last attempt is a job lost in a restart."""
    call = plan.call
    retries = call.failed_attempts(shard) if status != "QueuedInCromwell" else 0
    attempts = retries + 1
    slice_ms = max((end - start) // attempts, 1)
    shard_dir = plan.shard_dir(shard)
    elements: list[JobAttempt] = []
    for attempt in range(1, attempts + 1):
        attempt_start = start + slice_ms * (attempt - 1)
        last = attempt == attempts
        attempt_status = status if last else "RetryableFailure"
        directory = shard_dir if attempt == 1 else f"{shard_dir}/attempt-{attempt}"
        ending = _ending(call, shard, attempt_status, lost=lost and last)
        elements.append(
            _attempt(plan, shard, attempt, attempt_status, ending, directory, attempt_start,
                     attempt_start + slice_ms, retries)
        )  # fmt: skip
    return elements


def last_attempt_failures(plan: CallPlan, shard: int) -> list[Failure]:
    """The failures of a failing shard's last attempt, without making up its jobs."""
    attempt = plan.call.failed_attempts(shard) + 1
    ending = _ending(plan.call, shard, "Failed", lost=False)
    return _outcome(plan, shard, attempt, "Failed", ending, attempt - 1)[0]


def _ending(call: CallShape, shard: int, status: str, *, lost: bool) -> str:
    if status == "Failed":
        return "lost" if lost else call.fails_as
    if status == "RetryableFailure":
        return call.retries_as
    if status == "Done" and call.is_cache_hit(shard):
        return "hit"
    return "ran"


def _attempt(
    plan: CallPlan,
    shard: int,
    attempt: int,
    status: str,
    ending: str,
    directory: str,
    start: int,
    end: int,
    retries: int,
) -> JobAttempt:
    fqn = plan.fqn
    finished = status not in RUNNING_CALL_STATUSES
    shared = f"{plan.call_dir}/execution" if plan.shared_logs else None
    streams = shared if shared and ending != "hit" else f"{directory}/execution"
    made = MadeUp()
    inputs = made.values(plan.inputs, f"{plan.call_dir if shared else directory}/inputs", shard)
    outputs: dict[str, Any] = {}
    if status == "Done":
        cache_copy = f"{directory}/cacheCopy/execution" if ending == "hit" else streams
        outputs = made.values(plan.outputs, shared or cache_copy, max(shard, 0))
    failures, return_code, backend_status = _outcome(plan, shard, attempt, status, ending, retries)
    # A shared-logs call's files are written once for all its shards (`shared_files`).
    written = {}
    if not shared and ending != "lost":
        written = _written(made, fqn, shard, attempt, status, ending, directory, streams)
    caching = _call_caching(plan, shard, status, ending) if plan.caching else None
    kept = ending not in ("hit", "lost")
    return JobAttempt(
        fqn=fqn,
        shard=shard,
        attempt=attempt,
        status=status,
        start=start,
        end=end if finished else None,
        call_root="" if ending == "lost" else directory,
        stdout="" if ending == "lost" else f"{streams}/stdout",
        stderr="" if ending == "lost" else f"{streams}/stderr",
        command_line=f"echo 'synthetic {fqn} shard {shard}'" if kept else None,
        job_id=str(10_000 + max(shard, 0) * 8 + attempt) if kept else None,
        return_code=return_code,
        inputs=inputs,
        outputs=outputs,
        runtime_attributes={} if ending == "lost" else _runtime(retries),
        failures=failures,
        events=_events(start, end, caching) if finished else (),
        backend_status=backend_status,
        call_caching=caching,
        written=written,
    )


def _written(
    made: MadeUp,
    fqn: str,
    shard: int,
    attempt: int,
    status: str,
    ending: str,
    directory: str,
    streams: str,
) -> dict[str, str]:
    """The files one attempt wrote: its input and output files, its stdout and stderr (a
    cache hit and a job never started wrote none; the latter its `stderr.submit`)."""
    label = f"{fqn} shard {shard} attempt {attempt}"
    written = dict(made.files)
    if ending == "unsubmitted":
        written[f"{directory}/execution/stderr.submit"] = f"{label}: could not be submitted\n"
    elif ending != "hit" and status != "QueuedInCromwell":
        written[f"{streams}/stdout"] = f"{label}: synthetic stdout\n"
        written[f"{streams}/stderr"] = f"{label}: synthetic stderr\n"
    return written


def _outcome(
    plan: CallPlan, shard: int, attempt: int, status: str, ending: str, retries: int
) -> tuple[list[Failure], int | None, str | None]:
    """The failures, `returnCode` and `backendStatus` of an attempt that ended so."""
    fqn = plan.fqn
    if status in RUNNING_CALL_STATUSES or status == "Aborted":
        return [], None, local_backend_status(status)
    if ending == "ran":
        return [], 0, local_backend_status(status)
    if ending == "hit":
        return [], 0, None
    if ending == "exit":
        code = plan.call.return_code
        return [failure(job_failure_message(fqn, shard, attempt, code))], code, "Done"
    if ending == "killed":
        return [failure(KILLED_MESSAGE)], None, "Done"
    if ending == "unsubmitted":
        submit_log = f"{plan.shard_dir(shard)}/execution/stderr.submit"
        if attempt > 1:
            submit_log = f"{plan.shard_dir(shard)}/attempt-{attempt}/execution/stderr.submit"
        return [failure(unstartable_message(submit_log))], None, None
    if ending == "preempted":
        message = preempted_message(plan.workflow_id, fqn, shard, attempt, retries)
        return [failure(message)], None, "Preempted"
    return [failure(lost_job_message(fqn, shard, attempt))], None, None


def _events(start: int, end: int, caching: dict[str, Any] | None) -> Any:
    mode = None if caching is None else "hit" if caching["hit"] else "miss"
    return job_events(start, start + 1, end, mode)


def _runtime(retries: int) -> dict[str, str]:
    """Cromwell's defaults, as strings (metadata-succeeded.json)."""
    return {
        "maxRetries": str(retries),
        "failOnStderr": "false",
        "continueOnReturnCode": "0",
    }


def _call_caching(plan: CallPlan, shard: int, status: str, ending: str) -> dict[str, Any]:
    """`callCaching` of a workflow that reads and writes the cache (metadata-callcached-*)."""
    hit = ending == "hit"
    caching: dict[str, Any] = {
        "allowResultReuse": status == "Done",
        "effectiveCallCachingMode": "ReadAndWriteCache",
        "hit": hit,
        "result": f"Cache Hit: {_cached_from(plan)}:{plan.fqn}:{shard}" if hit else "Cache Miss",
    }
    if status == "Done":
        caching["hashes"] = _hashes(plan)
    return caching


def _cached_from(plan: CallPlan) -> str:
    return str(uuid.uuid5(CACHED_FROM, f"{plan.workflow_id}/{plan.fqn}"))


def _hashes(plan: CallPlan) -> dict[str, Any]:
    """Hashes in the recorded layout (upper-case md5 hex), made up from the call's types."""
    return {
        "output count": _md5(str(len(plan.outputs))),
        "runtime attribute": {
            "docker": "N/A",
            "continueOnReturnCode": _md5("0"),
            "failOnStderr": _md5("false"),
        },
        "output expression": {
            f"{t} {n}": _md5(f"{plan.fqn}.{n}") for n, t in plan.call.outputs.items()
        },
        "input count": _md5(str(len(plan.inputs))),
        "backend name": _md5("Local"),
        "command template": _md5(plan.fqn),
        "input": {f"{t} {n}": _md5(f"{plan.fqn}.{n}") for n, t in plan.call.inputs.items()},
    }


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest().upper()
