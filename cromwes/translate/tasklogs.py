"""Flatten Cromwell's calls (shards, attempts, sub-workflows) into WES TaskLogs with stable ids.

A task is one element of a `calls` array that is not itself a sub-workflow: one (shard, attempt)
of one call, found at any depth of `subWorkflowMetadata` (cromwell-api.md §2.4). A retried or
preempted attempt stays a task of its own, so nothing Cromwell did is hidden.

Task ids are built from the call path, not from Cromwell's `jobId`, which is absent for
call-cached tasks and differs between backends (reference-service.md §10 item 20):

    <call fqn>[:<shard>]@<attempt>                      a task of the root workflow
    <sub-workflow call fqn>[:<shard>]~...~<task id>     a task inside sub-workflows

Separators `:`, `@` and `~` never occur in WDL identifiers and are legal in a URL path segment.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from cromwes.cromwell.types import Call, Failure, Metadata
from cromwes.models import State, TaskLog
from cromwes.translate.attempts import attempt_state
from cromwes.translate.times import instant, rfc3339

_NOT_STARTED = datetime.max.replace(tzinfo=UTC)
"""Sorts after every start: calls that have not started yet come last."""


@dataclass(frozen=True, slots=True)
class Task:
    """One task of a run: what its TaskLog and its log endpoints need, and no more.

    Holding these few fields instead of Cromwell's call element keeps a cached 50,000-task run
    small (cromwell-api.md §2.6.3: metadata of wide runs is megabytes).
    """

    id: str
    name: str
    call: str
    """The fully qualified call name, or "" for a task inside a sub-workflow."""
    shard: int
    attempt: int
    status: str
    """Cromwell's `executionStatus` of this attempt."""
    state: State
    """The attempt's WES state (`cromwes.translate.attempts`: PREEMPTED from `backendStatus`)."""
    start_time: str | None
    end_time: str | None
    command: str | None
    exit_code: int | None
    stdout: str | None
    """Cromwell's path of the task's stdout (a storage path, not a URL)."""
    stderr: str | None
    system_logs: tuple[str, ...]

    @property
    def started(self) -> bool:
        """Whether this attempt is past Cromwell's queues."""
        return self.state is not State.QUEUED

    @property
    def finished(self) -> bool:
        """Whether this attempt will write no more (a retried one: a later attempt takes over).
        A log follow ends, and the run's events tell it ended, on this one definition."""
        return self.state.is_terminal


def flat_tasks(metadata: Metadata) -> list[Task]:
    """Every task of the run, in call order (README "Run log").

    Calls come in the order they first started (the earliest start of any of their shards and
    attempts; calls not started yet last), then by name; within a call, by shard index
    (numerically, so shard 10 follows shard 9), then attempt. A sub-workflow's tasks take its
    call's place, ordered the same way inside. Starts are compared as instants. Cromwell's own
    array order is not guaranteed (cromwell-api.md §2.4), and start times alone interleave the
    shards of a scatter, which start within the same few milliseconds.
    """
    walked = _walk(metadata, id_prefix="", name_prefix="", key_prefix=())
    return [task for _, task in sorted(walked, key=lambda keyed: keyed[0])]


OrderKey = tuple[tuple[datetime, str, int, int], ...]


def _walk(
    metadata: Metadata, *, id_prefix: str, name_prefix: str, key_prefix: OrderKey
) -> Iterator[tuple[OrderKey, Task]]:
    for fqn, elements in (metadata.get("calls") or {}).items():
        first_start = min((_start(call) for call in elements), default=_NOT_STARTED)
        for call in elements:
            shard = call.get("shardIndex", -1)
            attempt = call.get("attempt", 1)
            key = (*key_prefix, (first_start, fqn, shard, attempt))
            step_id = fqn if shard < 0 else f"{fqn}:{shard}"
            step_name = fqn if shard < 0 else f"{fqn}[{shard}]"
            sub = call.get("subWorkflowMetadata")
            if sub is not None:
                yield from _walk(
                    sub,
                    id_prefix=f"{id_prefix}{step_id}~",
                    name_prefix=f"{name_prefix}{step_name} / ",
                    key_prefix=key,
                )
            elif "subWorkflowId" not in call:
                status = call.get("executionStatus", "Unknown")
                yield (
                    key,
                    Task(
                        id=f"{id_prefix}{step_id}@{attempt}",
                        name=f"{name_prefix}{step_name}",
                        call="" if id_prefix else fqn,
                        shard=shard,
                        attempt=attempt,
                        status=status,
                        state=attempt_state(status, call.get("backendStatus")),
                        start_time=rfc3339(call.get("start")),
                        end_time=rfc3339(call.get("end")),
                        command=call.get("commandLine"),
                        exit_code=call.get("returnCode"),
                        stdout=call.get("stdout") or None,
                        stderr=call.get("stderr") or None,
                        system_logs=tuple(_system_logs(call)),
                    ),
                )


def _start(call: Call) -> datetime:
    return instant(call.get("start")) or _NOT_STARTED


def task_log(task: Task, logs_url: str) -> TaskLog:
    """The WES TaskLog of `task`; `logs_url` is the absolute URL of `/runs/{id}/logs/task`."""
    url = f"{logs_url}/{quote(task.id, safe=':@~')}"
    return TaskLog(
        id=task.id,
        name=task.name,
        cmd=(task.command,) if task.command is not None else None,
        start_time=task.start_time,
        end_time=task.end_time,
        stdout=f"{url}/stdout" if task.stdout else None,
        stderr=f"{url}/stderr" if task.stderr else None,
        exit_code=task.exit_code,
        system_logs=task.system_logs,
    )


def _system_logs(call: Call) -> Iterator[str]:
    yield f"executionStatus: {call.get('executionStatus', 'Unknown')}"
    yield f"attempt: {call.get('attempt', 1)}"
    if backend_status := call.get("backendStatus"):
        yield f"backendStatus: {backend_status}"
    if call.get("retryableFailure"):
        yield "retryableFailure: true"
    yield from failure_messages(call.get("failures") or [])


def failure_messages(failures: list[Failure]) -> Iterator[str]:
    """Every message of a Cromwell `failures` tree, depth first, without repeats."""
    seen: set[str] = set()
    stack: list[Any] = list(reversed(failures))
    while stack:
        failure = stack.pop()
        message = failure.get("message")
        if message and message not in seen:
            seen.add(message)
            yield message
        stack.extend(reversed(failure.get("causedBy") or []))
