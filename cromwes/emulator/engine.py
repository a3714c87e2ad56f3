"""What the emulator does with workflows, behind both its Cromwell API and its control API.

Submits, aborts, holds, labels; moves controlled workflows between states when a test says so;
creates synthetic workflows in bulk. Execution itself belongs to `RunManager`, documents to
`Documents`, persistence to `WorkflowStore`.
"""

import asyncio
import json
import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from cromwes.emulator.calls import failure, subworkflow_id
from cromwes.emulator.config import EmulatorConfig
from cromwes.emulator.documents import Documents
from cromwes.emulator.errors import AbortNotInProgress, BadRequest, ControlError
from cromwes.emulator.records import IN_PROGRESS, WorkflowRecord, canonical_status
from cromwes.emulator.runs import RunManager
from cromwes.emulator.shapes import CallShape, WorkflowShape
from cromwes.emulator.store import WorkflowStore
from cromwes.emulator.submission import Submission
from cromwes.emulator.synthetic import (
    SyntheticRequest,
    elements_for,
    log_files,
    mixed_status,
    preload_times,
    request_shape,
    sub_records_status,
    subworkflow_calls,
    synthetic_failures,
    workflow_failure_message,
    workflow_outputs,
    write_log_files,
)
from cromwes.emulator.timestamps import now_ms
from cromwes.emulator.wdlsource import Fetch, SubmissionSources, WorkflowUnusable, load_workflow

CONTROLLED_LABEL = ("cromwes-emulator", "controlled")
"""A submission carrying this label is controlled even when the emulator executes WDL."""
CONTROL_FIELDS = ("calls_status", "failure_message", "outputs")


class WorkflowService:
    """The emulator's behaviour, one method per thing a client can ask for."""

    def __init__(
        self,
        store: WorkflowStore,
        documents: Documents,
        runs: RunManager,
        config: EmulatorConfig,
        fetch: Fetch,
    ) -> None:
        self.store = store
        self.documents = documents
        self.runs = runs
        self.config = config
        self._fetch = fetch
        self.submissions = 0

    # Cromwell API

    async def submit(self, submission: Submission) -> WorkflowRecord:
        workflow_id = submission.requested_id or str(uuid.uuid4())
        if self.store.get(workflow_id) is not None:
            raise BadRequest(f"Requested workflow IDs are already in use: {workflow_id}")
        labels = {**submission.labels, "cromwell-workflow-id": f"cromwell-{workflow_id}"}
        controlled = self.config.mode == "controlled" or (
            labels.get(CONTROLLED_LABEL[0]) == CONTROLLED_LABEL[1]
        )
        record = WorkflowRecord(
            seq=self.store.new_seq(),
            id=workflow_id,
            status="On Hold" if submission.files.on_hold else "Submitted",
            submission=now_ms(),
            kind="submitted",
            labels=labels,
            controlled=controlled,
            files=submission.files,
        )
        if controlled:
            await self._describe_controlled(record)
        self.store.hide_until(record, time.monotonic() + self.config.post_submit_404)
        await self.store.add(record)
        self.submissions += 1
        if not controlled and record.status == "Submitted":
            self.runs.enqueue(record)
        return record

    async def abort(self, workflow_id: str) -> str:
        """Cromwell: `Submitted`/`On Hold` -> `Aborted` at once; `Running` -> `Aborting`, then
        `Aborted` once its jobs are killed; finished or unknown -> 404 (errors.json)."""
        record = self.store.get(workflow_id)
        if record is None or record.status not in IN_PROGRESS:
            raise AbortNotInProgress(workflow_id)
        if record.status in ("Submitted", "On Hold"):
            record.end = now_ms()
            await self.store.set_status(record, "Aborted")
        elif record.status == "Running":
            if record.controlled or record.kind != "submitted":
                await self.store.set_status(record, "Aborting")  # until the test moves it on
            else:
                await self.runs.abort(record)
        return record.status

    async def release_hold(self, record: WorkflowRecord) -> None:
        if record.status != "On Hold":
            raise BadRequest(
                f"Couldn't change status of workflow {record.id} to 'Submitted' because the "
                f"workflow is not in 'On Hold' state"
            )
        await self.store.set_status(record, "Submitted")
        if not record.controlled and record.kind == "submitted":
            self.runs.enqueue(record)

    async def update_labels(self, record: WorkflowRecord, labels: Mapping[str, str]) -> None:
        record.labels.update(labels)
        self.documents.forget(record.id)
        await self.store.save(record)

    # control API

    async def move_controlled(self, record: WorkflowRecord, body: Mapping[str, Any]) -> None:
        """`POST /_emulator/workflows/{id}/status`: put a controlled workflow in a status, and
        optionally reshape its calls (see the README for the fields)."""
        if not record.controlled or not record.is_root:
            raise ControlError(f"workflow {record.id} is not a controlled root workflow", 409)
        status = canonical_status(str(body.get("status", "")))
        if status is None:
            raise ControlError(f"unknown status {body.get('status')!r}")
        record.shape = reshape(record.shape or WorkflowShape(name="workflow"), body)
        record.control.update({k: body[k] for k in CONTROL_FIELDS if k in body})
        now = now_ms()
        picked_up = status not in ("Submitted", "On Hold")
        if picked_up and record.start is None:
            record.start = now
            record.name = record.shape.name
            record.workflow_root = str(self.config.executions_dir / record.shape.name / record.id)
            record.inputs = _inputs(record)
        if status in ("Succeeded", "Failed", "Aborted"):
            record.end = record.end or now
        else:
            record.end = None
            record.outputs, record.failures = None, None
        if not picked_up:
            record.start, record.name, record.workflow_root = None, None, None
        await self.store.set_status(record, status)
        await self._settle_controlled(record)
        self.documents.forget(record.id)

    async def create_synthetic(self, request: SyntheticRequest) -> list[str]:
        """Bulk-create finished (or mixed) synthetic workflows; 100,000 take seconds."""
        shape = request_shape(request)
        failures = synthetic_failures(shape)
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
                self._synthetic_record(request, shape, status, submission, start, end, failures)
            )
        children = [c for r in records for c in self._sub_records(r)]
        await self.store.add_many(records + children)
        return [r.id for r in records]

    # internals

    def _synthetic_record(
        self,
        request: SyntheticRequest,
        shape: WorkflowShape,
        status: str,
        submission: int,
        start: int | None,
        end: int | None,
        failures: list[dict[str, Any]],
    ) -> WorkflowRecord:
        # Strings, not pathlib: this runs 100,000 times for a preload.
        workflow_id = str(uuid.uuid4())
        root = f"{self.config.executions_dir}/{shape.name}/{workflow_id}"
        labels = {**request.labels, "cromwell-workflow-id": f"cromwell-{workflow_id}"}
        outputs = None
        if status == "Succeeded":
            outputs = {f"{shape.name}.out": f"{root}/call-work/execution/stdout"}
        record = WorkflowRecord(
            seq=self.store.new_seq(),
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
            failures=failures if status == "Failed" else None,
        )
        return record

    def _sub_records(self, parent: WorkflowRecord) -> list[WorkflowRecord]:
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
            child = self.store.get(child_id)
            if child is None:
                shard_dir = f"shard-{shard}" if shard >= 0 else ""
                root = os.path.join(
                    parent.workflow_root or "",
                    f"call-{call.alias}",
                    shard_dir,
                    call.subworkflow.name,
                    child_id,
                )
                child = WorkflowRecord(
                    seq=self.store.new_seq(),
                    id=child_id,
                    status=status,
                    submission=parent.start,
                    kind="subworkflow",
                    start=parent.start,
                    name=call.subworkflow.name,
                    parent_id=parent.id,
                    root_id=root_id,
                    controlled=parent.controlled,
                    workflow_root=root,
                    shape=call.subworkflow,
                    call_path=path,
                )
                created.append(child)
            child.end = parent.end if status in ("Succeeded", "Failed", "Aborted") else None
            if status == "Failed":
                child.failures = [failure("Workflow failed", [failure(f"{child.name} failed")])]
            created.extend(self._sub_records(child))
        return created

    async def _settle_controlled(self, record: WorkflowRecord) -> None:
        """Outputs, failures, files and sub-workflow records consistent with the new status."""
        assert record.shape is not None
        files: dict[str, str] = {}
        if record.status == "Succeeded":
            override = record.control.get("outputs")
            if isinstance(override, dict):
                record.outputs = dict(override)
            else:
                record.outputs, written = workflow_outputs(record.shape, record.workflow_root or "")
                files.update(
                    {path: f"synthetic output {os.path.basename(path)}\n" for path in written}
                )
        if record.status == "Failed":
            unusable = record.control.get("unusable")
            if unusable:
                record.failures = [failure("Workflow input processing failed", unusable)]
            else:
                elements = elements_for(record, shared_logs=False, now=now_ms())
                record.failures = workflow_failure_message(record, elements)
        if record.is_terminal:
            elements = elements_for(record, shared_logs=False, now=now_ms())
            files.update(log_files(elements))
        await self.store.save(record)
        for child in self._sub_records(record):
            await self.store.add(child)
        await self._sync_children(record)
        if files:
            await asyncio.to_thread(write_log_files, files)

    async def _sync_children(self, parent: WorkflowRecord) -> None:
        if parent.shape is None:
            return
        for call, shard, failing in subworkflow_calls(parent.shape, parent.status == "Failed"):
            prefix = f"{parent.call_path}/" if parent.call_path else ""
            child = self.store.get(
                subworkflow_id(parent.root_id or parent.id, f"{prefix}{call.alias}/{shard}")
            )
            if child is None:
                continue
            status = sub_records_status(parent.status, failing)
            child.end = parent.end if status in ("Succeeded", "Failed", "Aborted") else None
            await self.store.set_status(child, status)
            await self._sync_children(child)

    async def _describe_controlled(self, record: WorkflowRecord) -> None:
        """Parse the WDL now (Cromwell would at pickup) to name the workflow and its calls."""
        assert record.files is not None
        sources = SubmissionSources(
            str(self.config.submissions_dir / record.id / "src"),
            workflow=record.files.workflow,
            workflow_url=record.files.workflow_url,
            imports=record.files.imports,
            fetch=self._fetch,
        )
        try:
            loaded = await load_workflow(sources)
        except WorkflowUnusable as unusable:
            record.control["unusable"] = unusable.failures
            record.language_version = unusable.language_version
            record.shape = WorkflowShape(name="workflow")
            return
        record.shape = loaded.shape
        record.language_version = loaded.language_version
        if record.files.workflow is None:
            fetched = sources.bundle.files.get(sources.main_uri)
            record.files = replace(record.files, workflow=fetched)


def reshape(shape: WorkflowShape, body: Mapping[str, Any]) -> WorkflowShape:
    """Apply `shards`, `failing_shards` and `retries` of a control request to its target call:
    `call` names it, else the first scattered call, else the first call."""
    if not shape.calls or not any(k in body for k in ("shards", "failing_shards", "retries")):
        return shape
    alias = body.get("call") or next(
        (c.alias for c in shape.calls if c.shards > 0), shape.calls[0].alias
    )
    try:
        calls = tuple(_reshape_call(c, body) if c.alias == alias else c for c in shape.calls)
    except (TypeError, ValueError) as exn:
        raise ControlError(f"cannot shape calls: {exn}") from exn
    if all(c.alias != alias for c in shape.calls):
        raise ControlError(f"no call {alias!r} in workflow {shape.name}")
    return replace(shape, calls=calls)


def _reshape_call(call: CallShape, body: Mapping[str, Any]) -> CallShape:
    retries = body.get("retries", call.retries)
    retry_all = call.retry_all
    if isinstance(retries, int):
        retry_all, retries = retries, {}
    return replace(
        call,
        shards=int(body.get("shards", call.shards)),
        failing_shards=frozenset(int(s) for s in body.get("failing_shards", call.failing_shards)),
        retries={int(k): int(v) for k, v in dict(retries).items()},
        retry_all=retry_all,
    )


def _inputs(record: WorkflowRecord) -> dict[str, Any]:
    if record.files is None:
        return {}
    parsed = json.loads(record.files.inputs)
    return parsed if isinstance(parsed, dict) else {}
