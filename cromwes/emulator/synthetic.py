"""Made-up workflows in exactly the recorded shape, for tests and benchmarks.

Two uses: (a) many small workflows at once (`POST /_emulator/workflows`, `--preload-runs`), with
mixed statuses, labels, names and times; (b) call elements generated on demand from a shape and
a status, for synthetic runs of any width (50,000 shards) and for controlled workflows. Paths
follow Cromwell's Local layout (`call-x/shard-3/execution/stdout`); a synthetic run's shards
share one stdout/stderr file per call, a controlled run gets one per attempt. Files are written
by `write_log_files`, which does blocking I/O (call it through `asyncio.to_thread`).
"""

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cromwes.emulator.calls import (
    CallElement,
    ExecutionEvent,
    Failure,
    JobAttempt,
    SubworkflowAttempt,
    failure,
    job_events,
    job_failure_message,
    subworkflow_events,
    subworkflow_id,
)
from cromwes.emulator.records import WorkflowRecord
from cromwes.emulator.shapes import CallShape, WorkflowShape

RUNNING_CALL_STATUSES = ("Running", "QueuedInCromwell")


def elements_for(
    record: WorkflowRecord,
    *,
    shared_logs: bool,
    calls_status: str = "Running",
    now: int,
) -> list[CallElement]:
    """The call elements of a synthetic or controlled workflow in its current status:
    none before pickup, the first call running while it runs, every call once it ended (the
    failing shards `Failed`, retried shards with their `RetryableFailure` attempts)."""
    shape = record.shape
    if shape is None or record.start is None or record.status in ("Submitted", "On Hold"):
        return []
    start = record.start
    end = record.end if record.end is not None else max(now, start + 1)
    root = record.workflow_root or ""
    calls = shape.calls
    if record.status in ("Running", "Aborting", "Aborted"):
        calls = calls[:1]
    failing = _failing(shape) if record.status == "Failed" else {}
    elements: list[CallElement] = []
    span = max(end - start, len(calls) + 1)
    for position, call in enumerate(calls):
        call_start = start + span * position // (len(calls) + 1)
        call_end = start + span * (position + 1) // (len(calls) + 1)
        for shard in call.shard_indexes:
            shard_status = _shard_status(
                record.status, calls_status, shard in failing.get(call.alias, ())
            )
            if call.subworkflow is not None:
                path = f"{call.alias}/{shard}"
                elements.append(
                    _sub_element(record, call, shard, path, shard_status, call_start, call_end)
                )
                continue
            elements.extend(
                _job_elements(
                    record.id,
                    shape.name,
                    call,
                    shard,
                    shard_status,
                    call_start,
                    call_end,
                    root,
                    shared_logs,
                )
            )
    return elements


def sub_records_status(parent_status: str, failing: bool) -> str:
    """A sub-workflow's status, following its parent's."""
    if parent_status in ("Running", "Aborting"):
        return "Running"
    if parent_status == "Failed":
        return "Failed" if failing else "Succeeded"
    return parent_status


def subworkflow_calls(
    shape: WorkflowShape, failing_everywhere: bool
) -> Iterable[tuple[CallShape, int, bool]]:
    """Each (call, shard, fails?) that runs a sub-workflow."""
    failing = _failing(shape)
    for call in shape.calls:
        if call.subworkflow is not None:
            for shard in call.shard_indexes:
                yield call, shard, failing_everywhere and shard in failing.get(call.alias, ())


def workflow_outputs(shape: WorkflowShape, workflow_root: str) -> tuple[dict[str, Any], list[str]]:
    """Outputs of a succeeded synthetic workflow, and the files they name (to be written)."""
    outputs: dict[str, Any] = {}
    files: list[str] = []
    for name, wdl_type in shape.outputs.items():
        bare = wdl_type.rstrip("?+")
        if bare in ("File", "Directory"):
            path = os.path.join(workflow_root, "outputs", name)
            files.append(path)
            outputs[f"{shape.name}.{name}"] = path
        elif bare == "String":
            outputs[f"{shape.name}.{name}"] = f"synthetic {name}"
        elif bare in ("Int", "Float"):
            outputs[f"{shape.name}.{name}"] = 0
        elif bare == "Boolean":
            outputs[f"{shape.name}.{name}"] = True
        elif bare.startswith(("Array", "Map")):
            outputs[f"{shape.name}.{name}"] = [] if bare.startswith("Array") else {}
        else:
            outputs[f"{shape.name}.{name}"] = None
    return outputs, files


def workflow_failure_message(
    record: WorkflowRecord, elements: Sequence[CallElement]
) -> list[dict[str, Any]]:
    causes = [f for e in elements if e.status == "Failed" for f in e.failures]
    if not causes:
        causes = [failure(str(record.control.get("failure_message") or "the workflow failed"))]
    return [failure("Workflow failed", causes)]


def synthetic_failures(shape: WorkflowShape) -> list[Failure]:
    """The workflow-level failures of a synthetic run that ended `Failed`, without generating
    its call elements (a 50,000-shard run fails in one shard or many)."""
    causes = [
        failure(
            job_failure_message(
                f"{shape.name}.{alias}", shard, _last_attempt(shape, alias, shard), 1
            )
        )
        for alias, shards in _failing(shape).items()
        for shard in sorted(shards)
    ]
    return [failure("Workflow failed", causes)]


def _last_attempt(shape: WorkflowShape, alias: str, shard: int) -> int:
    call = next(c for c in shape.calls if c.alias == alias)
    return call.failed_attempts(shard) + 1


def log_files(elements: Iterable[CallElement]) -> dict[str, str]:
    """Every stdout/stderr file the elements name, with the text a synthetic job "printed"."""
    files: dict[str, str] = {}
    for element in elements:
        if isinstance(element, JobAttempt) and element.status != "QueuedInCromwell":
            label = f"{element.fqn} shard {element.shard} attempt {element.attempt}"
            files.setdefault(element.stdout, f"{label}: synthetic stdout\n")
            files.setdefault(element.stderr, f"{label}: synthetic stderr\n")
    return files


def write_log_files(files: Mapping[str, str]) -> None:
    """Create the files that do not exist yet (blocking)."""
    for path, text in files.items():
        if path and not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as out:
                out.write(text)


def _failing(shape: WorkflowShape) -> dict[str, frozenset[int]]:
    named = {call.alias: call.failing_shards for call in shape.calls if call.failing_shards}
    if named or not shape.calls:
        return named
    last = shape.calls[-1]
    return {last.alias: frozenset({last.shard_indexes[-1]})}


def _shard_status(workflow_status: str, calls_status: str, failing: bool) -> str:
    if workflow_status in ("Running", "Aborting"):
        return calls_status if calls_status in RUNNING_CALL_STATUSES else "Running"
    if workflow_status == "Aborted":
        return "Aborted"
    if workflow_status == "Failed" and failing:
        return "Failed"
    return "Done"


def _job_elements(
    workflow_id: str,
    workflow_name: str,
    call: CallShape,
    shard: int,
    status: str,
    start: int,
    end: int,
    root: str,
    shared_logs: bool,
) -> list[JobAttempt]:
    # Built with f-strings rather than os.path.join: this runs 50,000 times for a wide scatter.
    fqn = f"{workflow_name}.{call.alias}"
    retries = call.failed_attempts(shard) if status != "QueuedInCromwell" else 0
    attempts = retries + 1
    elements: list[JobAttempt] = []
    runtime = {"maxRetries": str(retries), "failOnStderr": "false", "continueOnReturnCode": "0"}
    inputs = {"index": shard} if shard >= 0 else {}
    slice_ms = max((end - start) // attempts, 1)
    call_dir = f"{root}/call-{call.alias}"
    shard_dir = f"{call_dir}/shard-{shard}" if shard >= 0 else call_dir
    for attempt in range(1, attempts + 1):
        attempt_start = start + slice_ms * (attempt - 1)
        attempt_end = attempt_start + slice_ms
        attempt_status = status if attempt == attempts else "RetryableFailure"
        finished = attempt_status not in RUNNING_CALL_STATUSES
        directory = shard_dir if attempt == 1 else f"{shard_dir}/attempt-{attempt}"
        logs = f"{call_dir}/execution" if shared_logs else f"{directory}/execution"
        failed = attempt_status in ("Failed", "RetryableFailure")
        elements.append(
            JobAttempt(
                fqn=fqn,
                shard=shard,
                attempt=attempt,
                status=attempt_status,
                start=attempt_start,
                end=attempt_end if finished else None,
                call_root=directory,
                stdout=f"{logs}/stdout",
                stderr=f"{logs}/stderr",
                command_line=f"echo 'synthetic {fqn} shard {shard}'",
                job_id=str(10_000 + max(shard, 0) * 8 + attempt),
                return_code=(1 if failed else 0)
                if finished and attempt_status != "Aborted"
                else None,
                inputs=inputs,
                outputs={"out": f"{logs}/stdout"} if attempt_status == "Done" else {},
                runtime_attributes=runtime,
                failures=[failure(job_failure_message(fqn, shard, attempt, 1))] if failed else [],
                events=job_events(attempt_start, attempt_start + 1, attempt_end)
                if finished
                else (),
            )
        )
    return elements


def _events(start: int, end: int) -> tuple[ExecutionEvent, ...]:
    return job_events(start, start + 1, end)


def shared_log_files(record: WorkflowRecord) -> dict[str, str]:
    """The stdout/stderr files of a synthetic run, one pair per call (shards share them)."""
    files: dict[str, str] = {}
    if record.shape is None or record.start is None or record.workflow_root is None:
        return files
    for call in record.shape.calls:
        if call.subworkflow is None:
            logs = f"{record.workflow_root}/call-{call.alias}/execution"
            label = f"{record.shape.name}.{call.alias}, every shard and attempt"
            files[f"{logs}/stdout"] = f"{label}: synthetic stdout\n"
            files[f"{logs}/stderr"] = f"{label}: synthetic stderr\n"
    return files


def _sub_element(
    record: WorkflowRecord,
    call: CallShape,
    shard: int,
    path: str,
    status: str,
    start: int,
    end: int,
) -> SubworkflowAttempt:
    root_id = record.root_id or record.id
    prefix = f"{record.call_path}/" if record.call_path else ""
    finished = status not in RUNNING_CALL_STATUSES
    sub_id = subworkflow_id(root_id, prefix + path)
    failures = [failure(f"Sub-workflow {sub_id} failed")] if status == "Failed" else []
    return SubworkflowAttempt(
        fqn=f"{record.shape.name if record.shape else record.name}.{call.alias}",
        shard=shard,
        status="Running" if not finished else status,
        start=start,
        end=end if finished else None,
        workflow_id=sub_id,
        inputs={"index": shard} if shard >= 0 else {},
        outputs={} if status != "Done" else {"out": "synthetic"},
        failures=failures,
        events=subworkflow_events(start, end) if finished else (),
    )
