"""The attempts of one call directory of a miniwdl run, as Cromwell call elements, and the small
readers of what miniwdl writes in a run or call directory.

Inside a call directory `pid` and `cromwes-attempts.jsonl` (written by `hostwdl.py`) say which
attempt runs, and `outputs.json` / `error.json` how the call ended (emulator-recipes.md §1,
"Status and progress"). Blocking file reads: call these through `asyncio.to_thread`.
"""

import json
import os
from collections.abc import Iterator, Mapping
from typing import Any

from cromwes.emulator.calls import (
    Failure,
    JobAttempt,
    failure,
    job_events,
    job_failure_message,
    local_backend_status,
)
from cromwes.emulator.hostwdl import ATTEMPTS_FILE, CALL_FILE

CALL_STATUS = {"Succeeded": "Done", "Failed": "Failed", "Aborted": "Aborted", "Running": "Running"}


def job_attempts(fqn: str, shard: int, path: str) -> list[JobAttempt]:
    attempts = _attempt_log(os.path.join(path, ATTEMPTS_FILE))
    call = read_json(os.path.join(path, CALL_FILE)) or {}
    status, ended, error = ending(path)
    started = mtime(os.path.join(path, "inputs.json")) or mtime(path) or 0
    inputs = unqualified(read_json(os.path.join(path, "inputs.json")) or {})
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
            failures = [failure(error_message(error))]
    elif call_status == "Aborted":
        exit_code = None
    end = ended if call_status != "Running" else None
    outputs = unqualified(read_json(os.path.join(path, "outputs.json")) or {})
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


def _was_terminated(error: Any) -> bool:
    return any(node.get("error") == "Terminated" for node in _causes(error))


def error_message(error: Any, default: str = "the call failed") -> str:
    """The innermost message of a miniwdl `error_json` document."""
    message = default
    for node in _causes(error):
        message = str(node.get("message") or node.get("error") or message)
    return message


def _causes(error: Any) -> Iterator[Mapping[str, Any]]:
    """A miniwdl `error_json` document and its chain of `cause`s, outermost first."""
    node = error
    while isinstance(node, dict):
        yield node
        node = node.get("cause")


def ending(directory: str) -> tuple[str, int | None, dict[str, Any] | None]:
    outputs = os.path.join(directory, "outputs.json")
    errors = os.path.join(directory, "error.json")
    if os.path.exists(outputs):
        return "Succeeded", mtime(outputs), None
    error = read_json(errors)
    if error is not None:
        status = "Aborted" if _was_terminated(error) else "Failed"
        return status, mtime(errors), error
    return "Running", None, None


def unqualified(values: Mapping[str, Any]) -> dict[str, Any]:
    """miniwdl namespaces a call's inputs/outputs (`hello.name`); Cromwell's call elements don't."""
    return {key.split(".", 1)[-1]: value for key, value in values.items()}


def read_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as data:
            return json.load(data)
    except (FileNotFoundError, ValueError):
        return None


def mtime(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns // 1_000_000
    except FileNotFoundError:
        return None
