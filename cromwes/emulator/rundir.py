"""Progress of a workflow read from its miniwdl run directory, as Cromwell call elements.

A call directory (`call-<alias>[-<shard>...]`) appears once miniwdl starts the call; what runs
inside it is read by `jobdirs.py`. A sub-workflow call directory holds `workflow.log` and call
directories of its own. A scatter nested in a scatter is, as in Cromwell, a `ScatterAt` pseudo
sub-workflow (`wdlshape.py`): miniwdl runs its jobs as `call-<alias>-<outer>-<inner>` beside the
others, so each shard of the pseudo sub-workflow is read from the call directories whose first
index is that shard, through a *virtual* directory `<dir>/call-<ScatterAt name>-<outer>` that
exists only as the sub-workflow's name for itself. One read lists each real directory once:
the ScatterAt shards of a read get their jobs from the listing of the directory holding them
(a 100 x 100 nested scatter is 10,000 directories side by side). Blocking file reads: call
this through `asyncio.to_thread`.
"""

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cromwes.emulator.calls import (
    CallElement,
    Failure,
    SubworkflowAttempt,
    failure,
    subworkflow_events,
)
from cromwes.emulator.jobdirs import (
    CALL_STATUS,
    ending,
    error_message,
    job_attempts,
    mtime,
    read_json,
    unqualified,
)
from cromwes.emulator.shapes import CallShape, WorkflowShape

IdFor = Callable[[str], str]
"""Sub-workflow id for a call directory path relative to the root run directory."""
PSEUDO_DIRECTORY = re.compile(r"^call-(ScatterAt\d+_\d+)-(\d+)$")
CallDirectories = dict[str, list[tuple[tuple[int, ...], str]]]
"""Call alias -> (scatter indexes, directory) of each of its call directories."""


@dataclass(frozen=True, slots=True)
class ChildRun:
    """A sub-workflow call shard and what ran inside it."""

    workflow_id: str
    relative_path: str
    shape: WorkflowShape
    run: "WorkflowRun"
    name: str = ""
    """The call's alias: Cromwell names a sub-workflow's document after it."""


@dataclass(frozen=True, slots=True)
class WorkflowRun:
    """One (sub-)workflow's directory, read at one moment."""

    directory: str
    status: str
    start: int | None
    end: int | None
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    elements: tuple[CallElement, ...] = ()
    children: tuple[ChildRun, ...] = ()
    error: dict[str, Any] | None = None

    @property
    def job_failures(self) -> list[Failure]:
        return [f for e in self.elements if e.status == "Failed" for f in e.failures]


def read_run(directory: str, shape: WorkflowShape, root_dir: str, id_for: IdFor) -> WorkflowRun:
    """Everything miniwdl has written so far under `directory` (a workflow's run directory, or
    the virtual directory of a ScatterAt shard)."""
    real, prefix = _real_directory(directory)
    calls = _call_directories(real, prefix)
    if prefix:
        known = _aliases(shape)
        calls = {alias: dirs for alias, dirs in calls.items() if alias in known}
    return _read(directory, shape, calls, prefix[-1] if prefix else None, root_dir, id_for)


def _read(
    directory: str,
    shape: WorkflowShape,
    calls: CallDirectories,
    pseudo_shard: int | None,
    root_dir: str,
    id_for: IdFor,
) -> WorkflowRun:
    """The (sub-)workflow at `directory`, from its call directories already listed; a ScatterAt
    shard (`pseudo_shard`) is read from the jobs it holds."""
    elements, children = _read_calls(directory, calls, shape, root_dir, id_for)
    if pseudo_shard is not None:
        return _pseudo_run(directory, shape, pseudo_shard, elements, children)
    status, end, error = ending(directory)
    return WorkflowRun(
        directory=directory,
        status=status,
        start=mtime(os.path.join(directory, "inputs.json")),
        end=end,
        inputs=unqualified(read_json(os.path.join(directory, "inputs.json")) or {}),
        outputs=read_json(os.path.join(directory, "outputs.json")) or {},
        elements=tuple(elements),
        children=tuple(children),
        error=error,
    )


def _read_calls(
    directory: str, calls: CallDirectories, shape: WorkflowShape, root_dir: str, id_for: IdFor
) -> tuple[list[CallElement], list[ChildRun]]:
    by_alias = {call.alias: call for call in shape.calls}
    nested = {alias: call for call in shape.calls if _is_pseudo(call) for alias in _aliases(call)}
    elements: list[CallElement] = []
    children: list[ChildRun] = []
    # The jobs of each ScatterAt shard, taken from this listing: the run directory that holds
    # them is listed once per read, not once more per shard.
    pseudo_shards: dict[str, dict[int, CallDirectories]] = {}
    for alias, dirs in sorted(calls.items()):
        if alias not in by_alias and alias in nested:
            shards = pseudo_shards.setdefault(nested[alias].alias, {})
            for indexes, path in dirs:
                if indexes:
                    jobs = shards.setdefault(indexes[0], {})
                    jobs.setdefault(alias, []).append((indexes[1:], path))
            continue
        call = by_alias.get(alias) or CallShape(alias=alias, callee=alias)
        fqn = shape.call_name(call)
        for shard, path in _shards(dirs):
            relative = os.path.relpath(path, root_dir)
            if call.subworkflow is not None or os.path.exists(os.path.join(path, "workflow.log")):
                sub_shape = call.subworkflow or WorkflowShape(name=call.callee)
                child = read_run(path, sub_shape, root_dir, id_for)
                workflow_id = id_for(relative)
                children.append(ChildRun(workflow_id, relative, sub_shape, child, call.alias))
                elements.append(_subworkflow_element(fqn, shard, workflow_id, child))
            else:
                elements.extend(job_attempts(fqn, shard, path))
    for alias, shards in sorted(pseudo_shards.items()):
        call = by_alias[alias]
        assert call.subworkflow is not None
        for shard, shard_calls in sorted(shards.items()):
            path = os.path.join(directory, f"call-{alias}-{shard}")
            relative = os.path.relpath(path, root_dir)
            child = _read(path, call.subworkflow, shard_calls, shard, root_dir, id_for)
            workflow_id = id_for(relative)
            children.append(ChildRun(workflow_id, relative, call.subworkflow, child, alias))
            elements.append(_subworkflow_element(alias, shard, workflow_id, child))
    return elements, children


def _is_pseudo(call: CallShape) -> bool:
    return call.subworkflow is not None and call.subworkflow.pseudo


def _aliases(node: CallShape | WorkflowShape) -> set[str]:
    """The aliases of the calls whose directories a shape (or a pseudo call) holds."""
    shape = node.subworkflow if isinstance(node, CallShape) else node
    if shape is None:
        return set()
    found: set[str] = set()
    for call in shape.calls:
        found |= _aliases(call) if _is_pseudo(call) else {call.alias}
    return found


def _pseudo_run(
    directory: str,
    shape: WorkflowShape,
    shard: int,
    elements: list[CallElement],
    children: list[ChildRun],
) -> WorkflowRun:
    """A ScatterAt shard: its state, times and values follow the jobs it holds."""
    statuses = {e.status for e in elements}
    if not elements or statuses & {"Running", "QueuedInCromwell"}:
        status = "Running"
    elif "Failed" in statuses:
        status = "Failed"
    elif "Aborted" in statuses:
        status = "Aborted"
    else:
        status = "Succeeded"
    ends = [e.end for e in elements if e.end is not None]
    outputs: dict[str, Any] = {}
    if status == "Succeeded":
        for key in shape.outputs:
            alias, output = key.split(".", 1)
            gathered = [e for e in elements if e.fqn.rsplit(".", 1)[-1] == alias] or [
                e for e in elements if isinstance(e, SubworkflowAttempt) and output in e.outputs
            ]
            last = {e.shard: e for e in sorted(gathered, key=lambda e: (e.shard, e.attempt))}
            outputs[key] = [last[s].outputs.get(output) for s in sorted(last)]
    inputs = {name: shard for name, wdl_type in shape.inputs.items() if wdl_type == "Int"}
    return WorkflowRun(
        directory=directory,
        status=status,
        start=min((e.start for e in elements), default=None),
        end=max(ends) if status != "Running" and ends else None,
        inputs=inputs,
        outputs=outputs,
        elements=tuple(elements),
        children=tuple(children),
    )


def _real_directory(directory: str) -> tuple[str, tuple[int, ...]]:
    """The run directory holding a (virtual) directory's jobs, and the scatter indexes that
    select them (empty for a real directory)."""
    prefix: list[int] = []
    while match := PSEUDO_DIRECTORY.match(os.path.basename(directory)):
        prefix.insert(0, int(match.group(2)))
        directory = os.path.dirname(directory)
    return directory, tuple(prefix)


def _call_directories(directory: str, prefix: tuple[int, ...] = ()) -> CallDirectories:
    """`call-x` -> (); `call-x-7` -> (7,); `call-x-1-0` -> (1, 0); only those under `prefix`,
    which is taken off."""
    found: CallDirectories = {}
    try:
        entries = [e for e in os.scandir(directory) if e.is_dir() and e.name.startswith("call-")]
    except FileNotFoundError:
        return {}
    for entry in entries:
        alias, *indexes = entry.name[len("call-") :].split("-")
        if all(i.isdigit() for i in indexes):
            numbers = tuple(int(i) for i in indexes)
            if numbers[: len(prefix)] == prefix:
                found.setdefault(alias, []).append((numbers[len(prefix) :], entry.path))
    return found


def _shards(dirs: list[tuple[tuple[int, ...], str]]) -> list[tuple[int, str]]:
    """Shard index of each directory: -1 when not scattered. Nested indexes a shape does not
    explain (no ScatterAt call for them) are numbered in their order."""
    dirs = sorted(dirs)
    if all(len(index) <= 1 for index, _ in dirs):
        return [(index[0] if index else -1, path) for index, path in dirs]
    return [(position, path) for position, (_, path) in enumerate(dirs)]


def _subworkflow_element(
    fqn: str, shard: int, workflow_id: str, run: WorkflowRun
) -> SubworkflowAttempt:
    start = run.start or 0
    end = run.end if run.status != "Running" else None
    failures = run.job_failures if run.status == "Failed" else []
    if run.status == "Failed" and not failures:
        failures = [failure(error_message(run.error))]
    return SubworkflowAttempt(
        fqn=fqn,
        shard=shard,
        status=CALL_STATUS[run.status],
        start=start,
        end=end,
        workflow_id=workflow_id,
        inputs=run.inputs,
        outputs=unqualified(run.outputs),
        failures=failures,
        events=subworkflow_events(start, end) if end is not None else (),
    )
