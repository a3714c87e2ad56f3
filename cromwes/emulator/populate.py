"""Synthetic workflows in bulk (`POST /_emulator/workflows`, `--preload-runs`): the request,
and the records it creates, with mixed statuses, labels, names and times when asked."""

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from cromwes.emulator.calls import Failure
from cromwes.emulator.records import WorkflowRecord
from cromwes.emulator.shapes import CallShape, WorkflowShape
from cromwes.emulator.synthetic import failures_name_root, synthetic_failures, workflow_outputs
from cromwes.emulator.timestamps import now_ms
from cromwes.emulator.values import WdlType, parsed

MIXED = (
    (60, "Succeeded"),
    (15, "Failed"),
    (5, "Aborted"),
    (10, "Running"),
    (5, "Submitted"),
    (2, "On Hold"),
    (3, "Aborting"),
)
"""The share of each status among preloaded workflows (per hundred)."""
PRELOAD_SPACING_MS = 60_000


@dataclass(frozen=True, slots=True)
class SyntheticRequest:
    """The body of `POST /_emulator/workflows` (see the emulator README)."""

    count: int = 1
    status: str = "Succeeded"
    """A workflow status, or `mixed` for the preload distribution."""
    name: str = "synthetic"
    shards: int = 0
    retries: Mapping[int, int] = field(default_factory=dict)
    retry_all: int = 0
    failing_shards: frozenset[int] = frozenset()
    subworkflows: int = 0
    labels: Mapping[str, str] = field(default_factory=dict)
    submission: int | None = None
    interval_ms: int = 1000
    outputs: Mapping[str, str] = field(default_factory=lambda: {"out": "File"})
    """Workflow outputs: name -> WDL type (`Pair[File,File]`, `Map[Int,File]`, ...)."""
    return_code: int = 1
    fails_as: str = "exit"
    retries_as: str = "exit"
    cache_hits: frozenset[int] = frozenset()
    cache_hits_all: bool = False
    restarted: bool = False
    """An `Aborted` workflow was picked up again by another Cromwell, which failed its calls."""


WORK_INPUTS = {"index": "Int"}
WORK_OUTPUTS = {"out": "File"}
"""The task `work` (and `inner`) of a synthetic workflow: `Int index` in, `File out` out."""


def request_shape(request: SyntheticRequest) -> WorkflowShape:
    """A workflow `name` whose call `work` has `shards` shards, plus a call `sub` of
    `subworkflows` shards, each a sub-workflow `<name>_sub` with one task call `inner`."""
    calls = [
        CallShape(
            alias="work",
            callee="work",
            shards=request.shards,
            retries=request.retries,
            retry_all=request.retry_all,
            failing_shards=request.failing_shards,
            return_code=request.return_code,
            fails_as=request.fails_as,
            retries_as=request.retries_as,
            cache_hits=request.cache_hits,
            cache_hits_all=request.cache_hits_all,
            inputs=WORK_INPUTS,
            outputs=WORK_OUTPUTS,
        )
    ]
    if request.subworkflows > 0:
        inner = WorkflowShape(
            name=f"{request.name}_sub",
            calls=(CallShape("inner", "inner", inputs=WORK_INPUTS, outputs=WORK_OUTPUTS),),
            outputs={"out": "File"},
        )
        calls.append(
            CallShape(
                "sub",
                inner.name,
                shards=request.subworkflows,
                subworkflow=inner,
                outputs=inner.outputs,
            )
        )
    return WorkflowShape(name=request.name, calls=tuple(calls), outputs=request.outputs)


def mixed_status(index: int) -> str:
    slot = index % 100
    for share, status in MIXED:
        if slot < share:
            return status
        slot -= share
    return "Succeeded"


def preload_times(
    index: int, count: int, now: int, status: str
) -> tuple[int, int | None, int | None]:
    """Submission, start and end of the `index`th preloaded workflow: one a minute, the newest a
    minute ago, so `seq` order and submission order agree as in Cromwell."""
    submission = now - (count - index) * PRELOAD_SPACING_MS
    start = submission + 5_000 if status not in ("Submitted", "On Hold") else None
    end = (
        start + 30_000
        if start is not None and status in ("Succeeded", "Failed", "Aborted")
        else None
    )
    return submission, start, end


def synthetic_records(
    request: SyntheticRequest, executions_dir: str, chunk_size: int = 10_000
) -> Iterator[list[WorkflowRecord]]:
    """The records of a bulk request, oldest first, in chunks (sub-workflows not included)."""
    shared = _Shared.of(request_shape(request))
    now = now_ms()
    first = request.submission
    records: list[WorkflowRecord] = []
    for index in range(request.count):
        status = mixed_status(index) if request.status == "mixed" else request.status
        if first is None:
            submission, start, end = preload_times(index, request.count, now, status)
        else:
            submission = first + index * request.interval_ms
            start = submission + 1_000 if status not in ("Submitted", "On Hold") else None
            end = (
                start + 60_000
                if start is not None and status in ("Succeeded", "Failed", "Aborted")
                else None
            )
        records.append(
            _synthetic_record(request, shared, status, submission, start, end, executions_dir)
        )
        if len(records) == chunk_size:
            yield records
            records = []
    if records:
        yield records


@dataclass(frozen=True, slots=True)
class _Shared:
    """What every record of one request shares, worked out once: parsing the output types for
    each of 100,000 records took seconds."""

    shape: WorkflowShape
    output_types: dict[str, WdlType]
    failures: list[Failure] | None
    """The failures of a `Failed` record, unless they name its root (made per record); one
    list for all, as a record's failures are replaced, never changed in place."""

    @classmethod
    def of(cls, shape: WorkflowShape) -> "_Shared":
        failures = None if failures_name_root(shape) else synthetic_failures(shape, "")
        return cls(shape, parsed(shape.outputs), failures)


def _synthetic_record(
    request: SyntheticRequest,
    shared: _Shared,
    status: str,
    submission: int,
    start: int | None,
    end: int | None,
    executions_dir: str,
) -> WorkflowRecord:
    # Strings, not pathlib: this runs 100,000 times for a preload.
    shape = shared.shape
    workflow_id = str(uuid.uuid4())
    root = f"{executions_dir}/{shape.name}/{workflow_id}"
    labels = {**request.labels, "cromwell-workflow-id": f"cromwell-{workflow_id}"}
    outputs = None
    if status == "Succeeded":
        outputs = workflow_outputs(shape, root, shared.output_types)[0]
    failures = None
    if status == "Failed":
        failures = (
            shared.failures if shared.failures is not None else synthetic_failures(shape, root)
        )
    control: dict[str, int] = {}
    if request.restarted and start is not None:
        control = {"first_pickup": submission + 1}
    record = WorkflowRecord(
        id=workflow_id,
        status=status,
        submission=submission,
        kind="synthetic",
        start=start,
        end=end,
        name=shape.name if start is not None else None,
        labels=labels,
        language_version="1.0",
        outputs=outputs,
        workflow_root=root,
        shape=shape,
        failures=failures,
        control=control,
    )
    return record
