"""Progress of a workflow read from its miniwdl run directory, as Cromwell call elements.

A call directory (`call-<alias>[-<shard>...]`) appears once miniwdl starts the call; inside it
`pid` and `cromwes-attempts.jsonl` (written by `hostwdl.py`) say which attempt runs, and
`outputs.json` / `error.json` how the call ended (emulator-recipes.md §1, "Status and
progress"). A sub-workflow call directory holds `workflow.log` and call directories of its own.
Blocking file reads: call this through `asyncio.to_thread`.
"""

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cromwes.emulator.calls import (
    CallElement,
    Failure,
    JobAttempt,
    SubworkflowAttempt,
    failure,
    job_events,
    job_failure_message,
    local_backend_status,
    subworkflow_events,
)
from cromwes.emulator.hostwdl import ATTEMPTS_FILE, CALL_FILE
from cromwes.emulator.shapes import CallShape, WorkflowShape

CALL_STATUS = {"Succeeded": "Done", "Failed": "Failed", "Aborted": "Aborted", "Running": "Running"}

IdFor = Callable[[str], str]
"""Sub-workflow id for a call directory path relative to the root run directory."""


@dataclass(frozen=True, slots=True)
class ChildRun:
    """A sub-workflow call shard and what ran inside it."""

    workflow_id: str
    relative_path: str
    shape: WorkflowShape
    run: "WorkflowRun"


@dataclass(frozen=True, slots=True)
class WorkflowRun:
    """One (sub-)workflow's directory, read at one moment."""

    directory: str
    status: str
    start: int | None
    end: int | None
    inputs: Mapping[str, Any] = field(default_factory=dict)
    outputs: Mapping[str, Any] = field(default_factory=dict)
    elements: tuple[CallElement, ...] = ()
    children: tuple[ChildRun, ...] = ()
    error: Mapping[str, Any] | None = None

    @property
    def job_failures(self) -> list[Failure]:
        return [f for e in self.elements if e.status == "Failed" for f in e.failures]


def read_run(directory: str, shape: WorkflowShape, root_dir: str, id_for: IdFor) -> WorkflowRun:
    """Everything miniwdl has written so far under `directory` (a workflow's run directory)."""
    status, end, error = _ending(directory)
    start = _mtime(os.path.join(directory, "inputs.json"))
    calls = {call.alias: call for call in shape.calls}
    elements: list[CallElement] = []
    children: list[ChildRun] = []
    for alias, shards in sorted(_call_directories(directory).items()):
        call = calls.get(alias) or CallShape(alias=alias, callee=alias)
        fqn = f"{shape.name}.{alias}"
        for shard, path in shards:
            relative = os.path.relpath(path, root_dir)
            if call.subworkflow is not None or os.path.exists(os.path.join(path, "workflow.log")):
                sub_shape = call.subworkflow or WorkflowShape(name=call.callee)
                child = read_run(path, sub_shape, root_dir, id_for)
                workflow_id = id_for(relative)
                children.append(ChildRun(workflow_id, relative, sub_shape, child))
                elements.append(_subworkflow_element(fqn, shard, workflow_id, child))
            else:
                elements.extend(_job_attempts(fqn, shard, path))
    return WorkflowRun(
        directory=directory,
        status=status,
        start=start,
        end=end,
        inputs=_unqualified(_read_json(os.path.join(directory, "inputs.json")) or {}),
        outputs=_read_json(os.path.join(directory, "outputs.json")) or {},
        elements=tuple(elements),
        children=tuple(children),
        error=error,
    )


def _ending(directory: str) -> tuple[str, int | None, dict[str, Any] | None]:
    outputs = os.path.join(directory, "outputs.json")
    errors = os.path.join(directory, "error.json")
    if os.path.exists(outputs):
        return "Succeeded", _mtime(outputs), None
    error = _read_json(errors)
    if error is not None:
        status = "Aborted" if _was_terminated(error) else "Failed"
        return status, _mtime(errors), error
    return "Running", None, None


def _call_directories(directory: str) -> dict[str, list[tuple[int, str]]]:
    """`call-x` -> shard -1; `call-x-7` -> shard 7; nested scatters (`call-x-1-0`) are numbered
    in their order, as Cromwell gives each job of a nested scatter one flat index."""
    found: dict[str, list[tuple[tuple[int, ...], str]]] = {}
    try:
        entries = [e for e in os.scandir(directory) if e.is_dir() and e.name.startswith("call-")]
    except FileNotFoundError:
        return {}
    for entry in entries:
        alias, *indexes = entry.name[len("call-") :].split("-")
        if all(i.isdigit() for i in indexes):
            found.setdefault(alias, []).append((tuple(int(i) for i in indexes), entry.path))
    result: dict[str, list[tuple[int, str]]] = {}
    for alias, dirs in found.items():
        dirs.sort()
        if all(len(index) <= 1 for index, _ in dirs):
            result[alias] = [(index[0] if index else -1, path) for index, path in dirs]
        else:
            result[alias] = [(position, path) for position, (_, path) in enumerate(dirs)]
    return result


def _job_attempts(fqn: str, shard: int, path: str) -> list[JobAttempt]:
    attempts = _attempt_log(os.path.join(path, ATTEMPTS_FILE))
    call = _read_json(os.path.join(path, CALL_FILE)) or {}
    status, ended, error = _ending(path)
    started = _mtime(os.path.join(path, "inputs.json")) or _mtime(path) or 0
    inputs = _unqualified(_read_json(os.path.join(path, "inputs.json")) or {})
    common: dict[str, Any] = {
        "fqn": fqn,
        "shard": shard,
        "call_root": path,
        "inputs": inputs,
        "runtime_attributes": call.get("runtimeAttributes", {}),
        "command_line": call.get("commandLine"),
    }
    if not attempts:
        if status == "Running":
            return [JobAttempt(attempt=1, status="QueuedInCromwell", start=started, **common)]
        return [_final_attempt(1, started, started, status, ended, error, None, path, common)]
    last = max(attempts)
    elements: list[JobAttempt] = []
    for number in range(1, last + 1):
        record = attempts.get(number, {})
        attempt_start = record.get("start", started)
        element_start = started if number == 1 else attempt_start
        if number < last:
            exit_code = record.get("exit")
            end = record.get("end", attempt_start)
            message = job_failure_message(
                fqn, shard, number, exit_code if exit_code is not None else -1
            )
            elements.append(
                JobAttempt(
                    attempt=number,
                    status="RetryableFailure",
                    backend_status=local_backend_status("RetryableFailure"),
                    start=element_start,
                    end=end,
                    stdout=_stream(path, "stdout", number),
                    stderr=_stream(path, "stderr", number),
                    job_id=_job_id(record),
                    return_code=exit_code,
                    failures=[failure(message)],
                    events=job_events(element_start, attempt_start, end),
                    **common,
                )
            )
        else:
            elements.append(
                _final_attempt(
                    number, element_start, attempt_start, status, ended, error, record, path, common
                )
            )
    return elements


def _final_attempt(
    number: int,
    start: int,
    running_since: int,
    status: str,
    ended: int | None,
    error: Mapping[str, Any] | None,
    record: Mapping[str, Any] | None,
    path: str,
    common: Mapping[str, Any],
) -> JobAttempt:
    record = record or {}
    exit_code = record.get("exit")
    call_status = CALL_STATUS[status]
    if call_status == "Running" and "end" in record:
        ended = None  # the command exited; miniwdl is still collecting outputs
    failures: list[Failure] = []
    if call_status == "Failed":
        if exit_code not in (None, 0):
            message = job_failure_message(common["fqn"], common["shard"], number, exit_code)
            failures = [failure(message)]
        else:
            failures = [failure(_error_message(error))]
    elif call_status == "Aborted":
        exit_code = None
    end = ended if call_status != "Running" else None
    outputs = _unqualified(_read_json(os.path.join(path, "outputs.json")) or {})
    return JobAttempt(
        attempt=number,
        status=call_status,
        backend_status=local_backend_status(call_status),
        start=start,
        end=end,
        stdout=_stream(path, "stdout", number),
        stderr=_stream(path, "stderr", number),
        job_id=_job_id(record),
        return_code=exit_code if call_status in ("Done", "Failed") else None,
        outputs=outputs,
        failures=failures,
        events=job_events(start, running_since, end) if end is not None else (),
        **common,
    )


def _subworkflow_element(
    fqn: str, shard: int, workflow_id: str, run: WorkflowRun
) -> SubworkflowAttempt:
    start = run.start or 0
    end = run.end if run.status != "Running" else None
    failures = run.job_failures if run.status == "Failed" else []
    if run.status == "Failed" and not failures:
        failures = [failure(_error_message(run.error))]
    return SubworkflowAttempt(
        fqn=fqn,
        shard=shard,
        status=CALL_STATUS[run.status],
        start=start,
        end=end,
        workflow_id=workflow_id,
        inputs=run.inputs,
        outputs=_unqualified(run.outputs),
        failures=failures,
        events=subworkflow_events(start, end) if end is not None else (),
    )


def _attempt_log(path: str) -> dict[int, dict[str, Any]]:
    attempts: dict[int, dict[str, Any]] = {}
    try:
        with open(path, encoding="utf-8") as log:
            lines = log.read().splitlines()
    except FileNotFoundError:
        return attempts
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue  # a line being written right now
        entry = attempts.setdefault(int(event["attempt"]), {})
        if event.get("event") == "start":
            entry["start"] = int(event["time"])
            entry["pid"] = event.get("pid")
        elif event.get("event") == "end":
            entry["end"] = int(event["time"])
            entry["exit"] = event.get("exit")
    return attempts


def _stream(path: str, name: str, attempt: int) -> str:
    return os.path.join(path, f"{name}{attempt if attempt > 1 else ''}.txt")


def _job_id(record: Mapping[str, Any]) -> str | None:
    pid = record.get("pid")
    return str(pid) if pid is not None else None


def _was_terminated(error: Mapping[str, Any]) -> bool:
    node: Mapping[str, Any] | None = error
    while node is not None:
        if node.get("error") == "Terminated":
            return True
        cause = node.get("cause")
        node = cause if isinstance(cause, dict) else None
    return False


def _error_message(error: Mapping[str, Any] | None) -> str:
    node: Mapping[str, Any] | None = error
    message = "the call failed"
    while node is not None:
        message = str(node.get("message") or node.get("error") or message)
        cause = node.get("cause")
        node = cause if isinstance(cause, dict) else None
    return message


def _unqualified(values: Mapping[str, Any]) -> dict[str, Any]:
    """miniwdl namespaces a call's inputs/outputs (`hello.name`); Cromwell's call elements don't."""
    return {key.split(".", 1)[-1]: value for key, value in values.items()}


def _read_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as data:
            return json.load(data)
    except (FileNotFoundError, ValueError):
        return None


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns // 1_000_000
    except FileNotFoundError:
        return None
