"""Sub-workflow records: every shard of a call to a sub-workflow gets a record of its own, with
its own UUID and its parent and root ids (as in Cromwell), kept in step with what ran (for an
executed workflow, from its run directory) or with its parent's status (for a generated one).
"""

from cromwes.emulator.calls import failure, subworkflow_id, workflow_failures
from cromwes.emulator.records import WorkflowRecord
from cromwes.emulator.rundir import ChildRun, WorkflowRun
from cromwes.emulator.store import WorkflowStore
from cromwes.emulator.synthetic import (
    sub_records_status,
    subworkflow_calls,
    subworkflow_inputs,
    subworkflow_root,
    workflow_outputs,
)
from cromwes.emulator.timestamps import now_ms


async def register_executed_children(
    store: WorkflowStore, parent: WorkflowRecord, run: WorkflowRun
) -> None:
    """Give every sub-workflow a record of its own, and keep its status current."""
    for child in run.children:
        record = store.get(child.workflow_id)
        if record is None:
            record = executed_child(parent, child)
            await store.add(record)
        else:
            changed = refresh_executed_child(record, child)
            if child.run.status != record.status:
                await store.set_status(record, child.run.status)
            elif changed:
                await store.save(record)
        await register_executed_children(store, record, child.run)


def executed_child(parent: WorkflowRecord, child: ChildRun) -> WorkflowRecord:
    record = WorkflowRecord(
        id=child.workflow_id,
        status=child.run.status,
        submission=child.run.start or now_ms(),
        kind="subworkflow",
        start=child.run.start,
        end=child.run.end,
        # A sub-workflow document is named after its call (`sc_pe`, `ScatterAt9_25`).
        name=child.name or child.shape.name,
        parent_id=parent.id,
        root_id=parent.root_id or parent.id,
        shape=child.shape,
        call_path=child.relative_path,
        workflow_root=child.run.directory,
    )
    refresh_executed_child(record, child)
    return record


def refresh_executed_child(record: WorkflowRecord, child: ChildRun) -> bool:
    before = (record.start, record.end, record.outputs, record.failures)
    record.start = child.run.start
    record.end = child.run.end
    # Bare names, as a sub-workflow's document lists them (metadata-subworkflow-child-by-own-id).
    record.inputs = dict(child.run.inputs)
    record.outputs = dict(child.run.outputs) if child.run.status == "Succeeded" else {}
    record.failures = (
        workflow_failures(child.run.elements) if child.run.status == "Failed" else None
    )
    return before != (record.start, record.end, record.outputs, record.failures)


def generated_children(store: WorkflowStore, parent: WorkflowRecord) -> list[WorkflowRecord]:
    """New records for the sub-workflows a generated parent has reached (none before it
    starts), following the parent's status; existing ones are updated in place."""
    if parent.shape is None or parent.start is None:
        return []
    created: list[WorkflowRecord] = []
    root_id = parent.root_id or parent.id
    prefix = f"{parent.call_path}/" if parent.call_path else ""
    calls = (
        parent.shape.calls[:1]
        if parent.status in ("Running", "Aborting", "Aborted")
        else parent.shape.calls
    )
    reached = {c.alias for c in calls}
    for call, shard, failing in subworkflow_calls(parent.shape, parent.status == "Failed"):
        if call.alias not in reached or call.subworkflow is None:
            continue
        path = f"{prefix}{call.alias}/{shard}"
        child_id = subworkflow_id(root_id, path)
        status = sub_records_status(parent.status, failing)
        child = store.get(child_id)
        if child is None:
            call_dir = f"{parent.workflow_root or ''}/call-{call.alias}"
            root = subworkflow_root(call_dir, call, shard, child_id)
            child = WorkflowRecord(
                id=child_id,
                status=status,
                submission=parent.start,
                kind="subworkflow",
                start=parent.start,
                # A sub-workflow document is named after its call (`sc_pe`, `ScatterAt9_25`).
                name=call.alias,
                parent_id=parent.id,
                root_id=root_id,
                controlled=parent.controlled,
                workflow_root=root,
                shape=call.subworkflow,
                call_path=path,
                inputs=subworkflow_inputs(call.subworkflow, f"{root}/inputs", shard),
            )
            created.append(child)
        settle_generated_child(child, status, parent.end)
        created.extend(generated_children(store, child))
    return created


def settle_generated_child(child: WorkflowRecord, status: str, end: int | None) -> None:
    """End, outputs and failures of a generated sub-workflow in `status` (not yet saved)."""
    assert child.shape is not None
    child.end = end if status in ("Succeeded", "Failed", "Aborted") else None
    child.outputs = None
    child.failures = None
    if status == "Succeeded":
        child.outputs, _ = workflow_outputs(child.shape, child.workflow_root or "")
    if status == "Failed":
        child.failures = [failure("Workflow failed", [failure(f"{child.name} failed")])]


async def sync_generated_children(store: WorkflowStore, parent: WorkflowRecord) -> None:
    if parent.shape is None:
        return
    for call, shard, failing in subworkflow_calls(parent.shape, parent.status == "Failed"):
        prefix = f"{parent.call_path}/" if parent.call_path else ""
        child = store.get(
            subworkflow_id(parent.root_id or parent.id, f"{prefix}{call.alias}/{shard}")
        )
        if child is None:
            continue
        status = sub_records_status(parent.status, failing)
        settle_generated_child(child, status, parent.end)
        await store.set_status(child, status)
        await sync_generated_children(store, child)
