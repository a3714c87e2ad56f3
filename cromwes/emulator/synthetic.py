"""Made-up workflows in exactly the recorded shape, for tests and benchmarks.

Two uses: (a) many small workflows at once (`POST /_emulator/workflows`, `--preload-runs`), with
mixed statuses, labels, names and times; (b) call elements generated on demand from a shape and
a status, for synthetic runs of any width (50,000 shards) and for controlled workflows. Each
shard's jobs come from `jobs.py`; a synthetic run's shards share one set of files per call, a
controlled run gets its own per attempt. Files are written by `write_log_files`, which does
blocking I/O (call it through `asyncio.to_thread`).
"""

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cromwes.emulator.calls import (
    CallElement,
    Failure,
    SubworkflowAttempt,
    failure,
    subworkflow_events,
    subworkflow_id,
)
from cromwes.emulator.jobs import (
    RUNNING_CALL_STATUSES,
    CallPlan,
    job_attempts,
    last_attempt_failures,
)
from cromwes.emulator.records import WorkflowRecord
from cromwes.emulator.shapes import CallShape, WorkflowShape
from cromwes.emulator.values import MadeUp, WdlType, parsed


def elements_for(
    record: WorkflowRecord,
    *,
    shared_logs: bool,
    calls_status: str = "Running",
    now: int,
    root: WorkflowRecord | None = None,
) -> list[CallElement]:
    """The call elements of a synthetic or controlled workflow in its current status:
    none before pickup, the first call running while it runs, every call once it ended (the
    failing shards `Failed`, retried shards with their `RetryableFailure` attempts). `root` is
    the record's root workflow (itself by default): call caching and a restart are the root's."""
    root = root or record
    shape = record.shape
    if shape is None or record.start is None or record.status in ("Submitted", "On Hold"):
        return []
    start = record.start
    end = record.end if record.end is not None else max(now, start + 1)
    folder = record.workflow_root or ""
    calls = shape.calls
    if record.status in ("Running", "Aborting", "Aborted"):
        calls = calls[:1]
    failing = _failing(shape) if record.status == "Failed" else {}
    lost = record.status == "Aborted" and root.first_pickup is not None
    caching = bool(root.shape and root.shape.caches)
    elements: list[CallElement] = []
    span = max(end - start, len(calls) + 1)
    for position, call in enumerate(calls):
        call_start = start + span * position // (len(calls) + 1)
        call_end = start + span * (position + 1) // (len(calls) + 1)
        plan = CallPlan.of(
            record.root_id or record.id,
            shape.call_name(call),
            call,
            f"{folder}/call-{call.alias}",
            shared_logs=shared_logs,
            caching=caching,
        )
        for shard in call.shard_indexes:
            shard_status = _shard_status(
                record.status, calls_status, shard in failing.get(call.alias, ()), lost=lost
            )
            if call.subworkflow is not None:
                elements.append(
                    _sub_element(record, plan, shard, shard_status, call_start, call_end)
                )
            else:
                elements += job_attempts(plan, shard, shard_status, call_start, call_end, lost=lost)
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


def workflow_outputs(
    shape: WorkflowShape, workflow_root: str, types: Mapping[str, WdlType] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Outputs of a succeeded workflow made up from their declared types (`types`, when the
    caller parsed `shape.outputs` once for many workflows), and the files they name (path ->
    text, to be written)."""
    made = MadeUp()
    types = parsed(shape.outputs) if types is None else types
    values = made.values(types, os.path.join(workflow_root, "outputs"))
    return {shape.output_key(name): value for name, value in values.items()}, made.files


def outputs_files(record: WorkflowRecord) -> dict[str, str]:
    """The files the outputs of a succeeded synthetic workflow or generated sub-workflow name
    (a controlled root's are written when it is moved, and a test may have set its own)."""
    if record.kind == "submitted" or record.shape is None or record.status != "Succeeded":
        return {}
    return workflow_outputs(record.shape, record.workflow_root or "")[1]


def subworkflow_root(call_dir: str, call: CallShape, shard: int, workflow_id: str) -> str:
    """Where Cromwell runs one shard of a sub-workflow call: `<call dir>[/shard-<n>]/<callee
    name, or the ScatterAt name>/<its id>` (metadata-callcached-scattered-subworkflows-caas-
    v53.json, metadata-nested-scatter-scatterat-v59.json)."""
    assert call.subworkflow is not None
    callee = call.alias if call.subworkflow.pseudo else call.subworkflow.name
    shard_dir = f"{call_dir}/shard-{shard}" if shard >= 0 else call_dir
    return f"{shard_dir}/{callee}/{workflow_id}"


def subworkflow_inputs(shape: WorkflowShape, folder: str, shard: int) -> dict[str, Any]:
    """A sub-workflow's inputs (bare names), made up; a scatter variable is the shard index."""
    return MadeUp().values(parsed(shape.inputs), folder, max(shard, 0))


def workflow_failure_message(
    record: WorkflowRecord, elements: Sequence[CallElement]
) -> list[dict[str, Any]]:
    causes = [f for e in elements if e.status == "Failed" for f in e.failures]
    if not causes:
        causes = [failure(str(record.control.get("failure_message") or "the workflow failed"))]
    return [failure("Workflow failed", causes)]


def synthetic_failures(shape: WorkflowShape, workflow_root: str) -> list[Failure]:
    """The workflow-level failures of a synthetic run that ended `Failed`, without generating
    its call elements (a 50,000-shard run fails in one shard or many)."""
    causes: list[Failure] = []
    for alias, shards in _failing(shape).items():
        call = next(c for c in shape.calls if c.alias == alias)
        # Failure messages name no input or output, so the plan goes without their types.
        plan = CallPlan("", shape.call_name(call), call, f"{workflow_root}/call-{alias}",
                        shared_logs=True, caching=False)  # fmt: skip
        for shard in sorted(shards):
            causes += last_attempt_failures(plan, shard)
    return [failure("Workflow failed", causes)]


def failures_name_root(shape: WorkflowShape) -> bool:
    """Whether `synthetic_failures` depends on the workflow root: only an unsubmitted job's
    message names a path (its `stderr.submit`)."""
    return any(call.fails_as == "unsubmitted" for call in shape.calls)


def log_files(elements: Iterable[CallElement]) -> dict[str, str]:
    """Every file the made-up elements wrote (stdout/stderr, outputs...), with its text."""
    files: dict[str, str] = {}
    for element in elements:
        for path, text in element.written.items():
            files.setdefault(path, text)
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


def _shard_status(workflow_status: str, calls_status: str, failing: bool, *, lost: bool) -> str:
    if workflow_status in ("Running", "Aborting"):
        return calls_status if calls_status in RUNNING_CALL_STATUSES else "Running"
    if workflow_status == "Aborted":
        # A Cromwell that restarted cannot find the jobs it had started; it fails them.
        return "Failed" if lost else "Aborted"
    if workflow_status == "Failed" and failing:
        return "Failed"
    return "Done"


def shared_log_files(record: WorkflowRecord) -> dict[str, str]:
    """The files of a synthetic run, one set per call (its shards share them)."""
    files: dict[str, str] = {}
    if record.shape is None or record.start is None or record.workflow_root is None:
        return files
    for call in record.shape.calls:
        if call.subworkflow is None:
            plan = CallPlan.of(
                record.id,
                record.shape.call_name(call),
                call,
                f"{record.workflow_root}/call-{call.alias}",
                shared_logs=True,
                caching=False,
            )
            files.update(plan.shared_files())
    return files


def _sub_element(
    record: WorkflowRecord,
    plan: CallPlan,
    shard: int,
    status: str,
    start: int,
    end: int,
) -> SubworkflowAttempt:
    call = plan.call
    assert call.subworkflow is not None
    root_id = record.root_id or record.id
    prefix = f"{record.call_path}/" if record.call_path else ""
    finished = status not in RUNNING_CALL_STATUSES
    sub_id = subworkflow_id(root_id, f"{prefix}{call.alias}/{shard}")
    failures = [failure(f"Sub-workflow {sub_id} failed")] if status == "Failed" else []
    made = MadeUp()
    sub_root = subworkflow_root(plan.call_dir, call, shard, sub_id)
    inputs = made.values(plan.inputs, f"{sub_root}/inputs", max(shard, 0))
    # The same files as the sub-workflow's own outputs (`workflow_outputs` of its record).
    outputs = made.values(plan.outputs, f"{sub_root}/outputs") if status == "Done" else {}
    return SubworkflowAttempt(
        fqn=plan.fqn,
        shard=shard,
        status="Running" if not finished else status,
        start=start,
        end=end if finished else None,
        workflow_id=sub_id,
        inputs=inputs,
        outputs=outputs,
        failures=failures,
        events=subworkflow_events(start, end) if finished else (),
        written={} if plan.shared_logs else made.files,
    )
