"""What the emulator does with workflows, behind both its Cromwell API and its control API.

Submits, aborts, holds, labels; moves controlled workflows between states when a test says so;
creates synthetic workflows in bulk. Execution itself belongs to `RunManager`, documents to
`Documents`, persistence to `WorkflowStore`.
"""

import asyncio
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from cromwes.emulator.calls import failure
from cromwes.emulator.config import EmulatorConfig
from cromwes.emulator.controljson import MAX_TYPE_DEPTH, too_deep_types
from cromwes.emulator.documents import Documents
from cromwes.emulator.errors import AbortNotInProgress, BadRequest, ControlError
from cromwes.emulator.populate import SyntheticRequest, synthetic_records
from cromwes.emulator.records import IN_PROGRESS, WorkflowRecord, canonical_status
from cromwes.emulator.runs import RunManager
from cromwes.emulator.shapes import FAILS_AS, RETRIES_AS, CallShape, WorkflowShape
from cromwes.emulator.store import WorkflowStore
from cromwes.emulator.submission import Submission
from cromwes.emulator.subworkflows import generated_children, sync_generated_children
from cromwes.emulator.synthetic import (
    elements_for,
    log_files,
    workflow_failure_message,
    workflow_outputs,
    write_log_files,
)
from cromwes.emulator.timestamps import now_ms
from cromwes.emulator.wdlsource import Fetch, SubmissionSources, WorkflowUnusable, load_workflow

CONTROLLED_LABEL = ("cromwes-emulator", "controlled")
"""A submission carrying this label is controlled even when the emulator executes WDL."""
CONTROL_FIELDS = ("calls_status", "failure_message", "outputs")
CALL_FIELDS = (
    "call", "shards", "failing_shards", "retries", "return_code", "fails_as", "retries_as",
    "cache_hits",
)  # fmt: skip
"""Fields of a control request that shape one call."""


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
        # A sub-workflow is not in Cromwell's workflow store: only its root can be aborted.
        if record is None or record.status not in IN_PROGRESS or not record.is_root:
            raise AbortNotInProgress(workflow_id)
        if record.status in ("Submitted", "On Hold"):
            record.end = now_ms()
            await self.store.set_status(record, "Aborted")
        elif record.status == "Running":
            if record.controlled or record.kind == "synthetic":
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
        if picked_up and body.get("restarted") and record.first_pickup is None:
            # Another Cromwell picks the workflow up again: `start` is the second pickup.
            assert record.start is not None
            record.control["first_pickup"] = record.start
            record.start = max(now, record.start + 1)
        if status in ("Succeeded", "Failed", "Aborted"):
            record.end = record.end or now
        else:
            record.end = None
            record.outputs, record.failures = None, None
        if not picked_up:
            record.start, record.name, record.workflow_root = None, None, None
            record.control.pop("first_pickup", None)
        await self.store.set_status(record, status)
        await self._settle_controlled(record)
        self.documents.forget(record.id)

    async def create_synthetic(self, request: SyntheticRequest) -> list[str]:
        """Bulk-create synthetic workflows (and their sub-workflows); 100,000 take seconds."""
        ids: list[str] = []
        for chunk in synthetic_records(request, str(self.config.executions_dir)):
            # One chunk at a time: numbered and indexed together, while the loop stays free for
            # other requests as each chunk is written to the database.
            children = [c for r in chunk for c in generated_children(self.store, r)]
            await self.store.add_many(chunk + children)
            ids += [r.id for r in chunk]
        return ids

    # internals

    async def _settle_controlled(self, record: WorkflowRecord) -> None:
        """Outputs, failures, files and sub-workflow records consistent with the new status."""
        assert record.shape is not None
        files: dict[str, str] = {}
        # Made up once: the failures and the files below come from the same elements.
        elements = (
            elements_for(record, shared_logs=False, now=now_ms()) if record.is_terminal else []
        )
        if record.status == "Succeeded":
            override = record.control.get("outputs")
            if isinstance(override, dict):
                record.outputs = dict(override)
            else:
                record.outputs, written = workflow_outputs(record.shape, record.workflow_root or "")
                files.update(written)
        if record.status == "Failed":
            unusable = record.control.get("unusable")
            if unusable:
                record.failures = [failure("Workflow input processing failed", unusable)]
            else:
                record.failures = workflow_failure_message(record, elements)
        files.update(log_files(elements))
        await self.store.save(record)
        for child in generated_children(self.store, record):
            await self.store.add(child)
        await sync_generated_children(self.store, record)
        if files:
            await asyncio.to_thread(write_log_files, files)

    async def _describe_controlled(self, record: WorkflowRecord) -> None:
        """Parse the WDL now (Cromwell would at pickup) to name the workflow and its calls."""
        assert record.files is not None
        folder = self.config.submissions_dir / record.id
        sources = SubmissionSources.of(folder, record.files, self._fetch)
        try:
            loaded = await load_workflow(sources)
        except WorkflowUnusable as unusable:
            record.control["unusable"] = unusable.failures
            record.language_version = unusable.language_version
            record.shape = WorkflowShape(name="workflow")
            return
        if deep := too_deep_types(loaded.shape):
            # Its made-up values would double with each level: 2**30 of them for a type 30
            # Arrays deep. A controlled workflow fails as Cromwell fails an unusable one.
            message = (
                f"The emulator's controlled mode makes up values for types nested at most "
                f"{MAX_TYPE_DEPTH} levels deep: {'; '.join(deep[:3])}"
            )
            record.control["unusable"] = [failure(message)]
            record.language_version = loaded.language_version
            record.shape = WorkflowShape(name=loaded.shape.name)
            return
        record.shape = loaded.shape
        record.language_version = loaded.language_version
        if record.files.workflow is None:
            fetched = sources.bundle.files.get(sources.main_uri)
            record.files = replace(record.files, workflow=fetched)


def reshape(shape: WorkflowShape, body: Mapping[str, Any]) -> WorkflowShape:
    """Apply the call fields of a control request (`CALL_FIELDS`) to its target call: `call`
    names it, else the first scattered call, else the first call; and those of each entry of
    `calls` to the call it names. A call inside a sub-workflow is named by its path of
    aliases, `ScatterAt9_25/t`."""
    targets: dict[str, Mapping[str, Any]] = {}
    if any(k in body for k in CALL_FIELDS) and shape.calls:
        default = next((c.alias for c in shape.calls if c.shards > 0), shape.calls[0].alias)
        targets[str(body.get("call") or default)] = body
    calls = body.get("calls") or {}
    if not isinstance(calls, dict) or not all(isinstance(v, dict) for v in calls.values()):
        raise ControlError("calls must map call names to objects of call fields")
    targets.update(calls)
    for path, fields in targets.items():
        unknown = set(fields) - set(CALL_FIELDS) if fields is not body else set()
        if unknown:
            raise ControlError(f"unknown call field(s): {', '.join(sorted(unknown))}")
        shape = _reshape_path(shape, path.split("/"), fields)
    return shape


def _reshape_path(
    shape: WorkflowShape, path: list[str], fields: Mapping[str, Any]
) -> WorkflowShape:
    alias, rest = path[0], path[1:]
    if all(c.alias != alias for c in shape.calls):
        raise ControlError(f"no call {alias!r} in workflow {shape.name}")
    reshaped: list[CallShape] = []
    for call in shape.calls:
        if call.alias == alias and rest:
            if call.subworkflow is None:
                raise ControlError(f"call {alias!r} does not call a sub-workflow")
            call = replace(call, subworkflow=_reshape_path(call.subworkflow, rest, fields))
        elif call.alias == alias:
            try:
                call = _reshape_call(call, fields)
            except (TypeError, ValueError) as exn:
                raise ControlError(f"cannot shape call {alias!r}: {exn}") from exn
        reshaped.append(call)
    return replace(shape, calls=tuple(reshaped))


def _reshape_call(call: CallShape, body: Mapping[str, Any]) -> CallShape:
    retries = body.get("retries", call.retries)
    retry_all = call.retry_all
    if isinstance(retries, int):
        retry_all, retries = retries, {}
    fails_as = str(body.get("fails_as", call.fails_as))
    retries_as = str(body.get("retries_as", call.retries_as))
    if fails_as not in FAILS_AS or retries_as not in RETRIES_AS:
        raise ValueError(
            f"fails_as is one of {', '.join(FAILS_AS)}; retries_as one of {', '.join(RETRIES_AS)}"
        )
    hits = body.get("cache_hits", sorted(call.cache_hits) or call.cache_hits_all)
    return replace(
        call,
        shards=int(body.get("shards", call.shards)),
        failing_shards=frozenset(int(s) for s in body.get("failing_shards", call.failing_shards)),
        retries={int(k): int(v) for k, v in dict(retries).items()},
        retry_all=retry_all,
        return_code=int(body.get("return_code", call.return_code)),
        fails_as=fails_as,
        retries_as=retries_as,
        cache_hits=frozenset() if isinstance(hits, bool) else frozenset(int(s) for s in hits),
        cache_hits_all=hits is True,
    )


def _inputs(record: WorkflowRecord) -> dict[str, Any]:
    if record.files is None:
        return {}
    parsed = json.loads(record.files.inputs)
    return parsed if isinstance(parsed, dict) else {}
