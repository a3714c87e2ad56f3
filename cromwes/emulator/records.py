"""One workflow as the emulator remembers it: Cromwell's summary fields plus what it needs to
rebuild metadata (the submitted files, the run directory, or the synthetic shape).

Every workflow is a record, sub-workflows included (each with its own UUID, as in Cromwell). A
record is mutated only through `WorkflowStore`, which keeps its index and counters in step.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from cromwes.emulator.shapes import WorkflowShape, shape_from_json, shape_to_json

Kind = Literal["submitted", "synthetic", "subworkflow"]

STATUSES = ("On Hold", "Submitted", "Running", "Aborting", "Aborted", "Succeeded", "Failed")
"""Cromwell's workflow statuses (`WorkflowState.scala`), spelled as it prints them."""
TERMINAL = frozenset({"Aborted", "Succeeded", "Failed"})
IN_PROGRESS = frozenset({"On Hold", "Submitted", "Running", "Aborting"})


def canonical_status(text: str) -> str | None:
    """The status spelled as Cromwell prints it; Cromwell matches status names ignoring case."""
    for status in STATUSES:
        if status.lower() == text.strip().lower():
            return status
    return None


@dataclass(frozen=True, slots=True)
class SubmittedFiles:
    """What a submission carried, kept to answer `submittedFiles` and to run the workflow."""

    workflow: str | None
    """`workflowSource` text; for a `workflowUrl` submission the text once fetched."""
    workflow_url: str | None
    inputs: str
    """The merged inputs as compact JSON (`workflowInputs` then `workflowInputs_2..N`)."""
    options: str
    labels: str
    """The `labels` part verbatim (Cromwell echoes it unchanged in `submittedFiles.labels`)."""
    workflow_type: str | None = None
    workflow_type_version: str | None = None
    workflow_name: str | None = None
    """The file name the `workflowSource` part carried (what errors about it call it)."""
    imports: Mapping[str, str] = field(default_factory=dict)
    """Text members of the `workflowDependencies` zip, by path inside the zip."""
    dependency_names: tuple[str, ...] = ()
    """Every member name of the dependencies zip, directories included."""
    on_hold: bool = False


@dataclass(slots=True, eq=False)
class WorkflowRecord:
    """A workflow: a submitted run, a synthetic one, or a sub-workflow of either."""

    id: str
    status: str
    submission: int
    kind: Kind
    start: int | None = None
    end: int | None = None
    name: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    parent_id: str | None = None
    root_id: str | None = None
    controlled: bool = False
    files: SubmittedFiles | None = None
    language_version: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] | None = None
    failures: list[dict[str, Any]] | None = None
    workflow_root: str | None = None
    shape: WorkflowShape | None = None
    call_path: str | None = None
    """Sub-workflows: where the call sits inside the root (a run-directory path when executed,
    `alias/shard` steps when synthetic)."""
    runner_pid: int | None = None
    control: dict[str, Any] = field(default_factory=dict)
    """Controlled workflows: the extra fields of the last `POST /_emulator/.../status`."""
    seq: int = 0
    """The summary-table row id: given by `WorkflowStore.add_many` when the record is indexed."""
    visible_at: float = 0.0
    """Monotonic time before which Cromwell's summary-table lag hides the workflow (not stored)."""

    @property
    def is_root(self) -> bool:
        return self.parent_id is None

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def first_pickup(self) -> int | None:
        """When a Cromwell picked the workflow up before a restart, if one restarted while it
        ran (the control field `first_pickup`: its presence is what says "restarted")."""
        moment = self.control.get("first_pickup")
        return moment if isinstance(moment, int) else None


class ShapeCodec:
    """Encodes and decodes shapes once per distinct shape during one bulk read or write:
    100,000 synthetic workflows share a handful of shapes. Use one codec per batch."""

    def __init__(self) -> None:
        self._texts: dict[int, tuple[WorkflowShape, str]] = {}
        self._shapes: dict[str, WorkflowShape] = {}

    def encode(self, shape: WorkflowShape | None) -> str | None:
        if shape is None:
            return None
        known = self._texts.get(id(shape))
        if known is None or known[0] is not shape:
            known = self._texts[id(shape)] = (shape, json.dumps(shape_to_json(shape)))
        return known[1]

    def decode(self, text: str | None) -> WorkflowShape | None:
        if text is None:
            return None
        shape = self._shapes.get(text)
        if shape is None:
            shape = self._shapes[text] = shape_from_json(json.loads(text))
        return shape


def record_row(record: WorkflowRecord, codec: ShapeCodec | None = None) -> tuple[Any, ...]:
    """The SQLite row: summary columns, then every other field as one JSON document (the
    shape inside it as JSON text, so rows sharing a shape decode it once)."""
    doc: dict[str, Any] = {
        "kind": record.kind,
        "controlled": record.controlled,
        "files": _files_json(record.files),
        "language_version": record.language_version,
        "inputs": record.inputs,
        "outputs": record.outputs,
        "failures": record.failures,
        "workflow_root": record.workflow_root,
        "shape": (codec or ShapeCodec()).encode(record.shape),
        "call_path": record.call_path,
        "runner_pid": record.runner_pid,
        "control": record.control,
    }
    return (
        record.seq,
        record.id,
        record.status,
        record.submission,
        record.start,
        record.end,
        record.name,
        record.parent_id,
        record.root_id,
        json.dumps(record.labels, separators=(",", ":")),
        json.dumps(doc, separators=(",", ":")),
    )


def record_from_row(row: tuple[Any, ...], codec: ShapeCodec | None = None) -> WorkflowRecord:
    seq, workflow_id, status, submission, start, end, name, parent, root, labels, doc_text = row
    doc = json.loads(doc_text)
    return WorkflowRecord(
        seq=seq,
        id=workflow_id,
        status=status,
        submission=submission,
        start=start,
        end=end,
        name=name,
        parent_id=parent,
        root_id=root,
        labels=json.loads(labels),
        kind=doc["kind"],
        controlled=doc["controlled"],
        files=_files_from_json(doc["files"]),
        language_version=doc["language_version"],
        inputs=doc["inputs"],
        outputs=doc["outputs"],
        failures=doc["failures"],
        workflow_root=doc["workflow_root"],
        shape=(codec or ShapeCodec()).decode(doc["shape"]),
        call_path=doc["call_path"],
        runner_pid=doc["runner_pid"],
        control=doc["control"],
    )


def _files_json(files: SubmittedFiles | None) -> dict[str, Any] | None:
    if files is None:
        return None
    return {
        "workflow": files.workflow,
        "workflow_url": files.workflow_url,
        "inputs": files.inputs,
        "options": files.options,
        "labels": files.labels,
        "workflow_type": files.workflow_type,
        "workflow_type_version": files.workflow_type_version,
        "workflow_name": files.workflow_name,
        "imports": dict(files.imports),
        "dependency_names": list(files.dependency_names),
        "on_hold": files.on_hold,
    }


def _files_from_json(data: Mapping[str, Any] | None) -> SubmittedFiles | None:
    if data is None:
        return None
    return SubmittedFiles(
        workflow=data["workflow"],
        workflow_url=data["workflow_url"],
        inputs=data["inputs"],
        options=data["options"],
        labels=data["labels"],
        workflow_type=data["workflow_type"],
        workflow_type_version=data["workflow_type_version"],
        workflow_name=data.get("workflow_name"),
        imports=dict(data["imports"]),
        dependency_names=tuple(data["dependency_names"]),
        on_hold=data["on_hold"],
    )
