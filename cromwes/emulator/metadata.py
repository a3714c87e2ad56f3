"""Cromwell's metadata documents, and the `outputs`, `logs` and `labels` views cut from them.

Shapes follow the recorded bodies in ../shared/cromwell: keys appear only once Cromwell would
have written them (no `workflowName` before pickup, no `end` or `returnCode` while running, no
`outputs` on a failed job), and every timestamp is ISO-8601 UTC with milliseconds.
"""

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cromwes.emulator.calls import (
    FAILED_CALL_STATUSES,
    TERMINAL_CALL_STATUSES,
    CallElement,
    ExecutionEvent,
    JobAttempt,
    SubworkflowAttempt,
)
from cromwes.emulator.records import SubmittedFiles, WorkflowRecord
from cromwes.emulator.timestamps import iso

CALL_CACHING_OFF = {"allowResultReuse": False, "effectiveCallCachingMode": "CallCachingOff"}


class Stamps:
    """Formats timestamps for one document; a 50,000-shard run repeats the same few thousand
    instants, so each is formatted once per document."""

    def __init__(self) -> None:
        self._text: dict[int, str] = {}

    def __call__(self, ms: int) -> str:
        text = self._text.get(ms)
        if text is None:
            text = self._text[ms] = iso(ms)
        return text


@dataclass(frozen=True, slots=True)
class ServerIdentity:
    """What the document says about the server that ran the workflow."""

    cromwell_id: str
    version: str


def workflow_document(
    record: WorkflowRecord,
    elements: Sequence[CallElement],
    engine: ServerIdentity,
    *,
    expanded: Mapping[str, dict[str, Any]] | None = None,
    workflow_root: str | None,
) -> dict[str, Any]:
    """The metadata of one workflow; `expanded` maps sub-workflow ids to their own documents for
    `expandSubWorkflows=true` (Cromwell then replaces `subWorkflowId` by `subWorkflowMetadata`,
    as in metadata-subworkflows-expanded-scatters.json); `workflow_root` is the `workflowRoot`
    to show (a ScatterAt pseudo sub-workflow shows its parent's)."""
    picked_up = record.start is not None
    doc: dict[str, Any] = {}
    if picked_up and record.name is not None:
        doc["workflowName"] = record.name
    if record.is_root and picked_up:
        doc["workflowProcessingEvents"] = processing_events(record, engine)
        doc["actualWorkflowLanguageVersion"] = record.language_version or "draft-2"
    if record.is_root:
        doc["submittedFiles"] = submitted_files(record)
    else:
        doc["rootWorkflowId"] = record.root_id
    doc["calls"] = calls_object(elements, expanded, Stamps())
    doc["outputs"] = dict(record.outputs or {})
    if picked_up and workflow_root is not None:
        doc["workflowRoot"] = workflow_root
    if record.is_root and picked_up:
        doc["actualWorkflowLanguage"] = "WDL"
    doc["id"] = record.id
    doc["inputs"] = dict(record.inputs)
    if record.is_root:
        doc["labels"] = dict(record.labels)
        doc["submission"] = iso(record.submission)
    else:
        doc["parentWorkflowId"] = record.parent_id
    doc["status"] = record.status
    if record.failures:
        doc["failures"] = record.failures
    if record.end is not None:
        doc["end"] = iso(record.end)
    if record.start is not None:
        doc["start"] = iso(record.start)
    return doc


def processing_events(record: WorkflowRecord, engine: ServerIdentity) -> list[dict[str, Any]]:
    """Who picked the workflow up and finished it. After a restart, the instance that picked it
    up first released it and another one picked it up again; Cromwell lists them out of time
    order (metadata-aborted-calls-failed-after-restart-v52.json)."""
    moments = [(engine.cromwell_id, "PickedUp", record.start)]
    first_pickup = record.first_pickup
    if first_pickup is not None:
        earlier = f"{engine.cromwell_id}-before-restart"
        moments += [
            (earlier, "PickedUp", first_pickup),
            (earlier, "Released", max(first_pickup, (record.start or first_pickup) - 1)),
        ]
    if record.is_terminal:
        moments.append((engine.cromwell_id, "Finished", record.end))
    return [
        {
            "cromwellId": cromwell_id,
            "description": description,
            "timestamp": iso(moment),
            "cromwellVersion": engine.version,
        }
        for cromwell_id, description, moment in moments
        if moment is not None
    ]


def submitted_files(record: WorkflowRecord) -> dict[str, Any]:
    """`submittedFiles`: JSON *strings*, as Cromwell stores them (cromwell-api.md §2.4)."""
    files = record.files or synthetic_files(record)
    result: dict[str, Any] = {"workflow": files.workflow or ""}
    if files.workflow_type is not None:
        result["workflowType"] = files.workflow_type
    result["root"] = ""
    if files.workflow_type_version is not None:
        result["workflowTypeVersion"] = files.workflow_type_version
    result["options"] = files.options
    result["inputs"] = files.inputs
    result["workflowUrl"] = files.workflow_url or ""
    result["labels"] = files.labels
    if files.imports:
        result["imports"] = dict(files.imports)
    return result


def synthetic_files(record: WorkflowRecord) -> SubmittedFiles:
    """What a synthetic workflow "was submitted with": a WDL outline of its shape."""
    name = record.name or "synthetic"
    lines = ["version 1.0", "", f"workflow {name} {{"]
    for call in record.shape.calls if record.shape else ():
        lines.append(f"  call {call.callee} as {call.alias}")
    lines.append("}")
    labels = {k: v for k, v in record.labels.items() if k != "cromwell-workflow-id"}
    return SubmittedFiles(
        workflow="\n".join(lines) + "\n",
        workflow_url=None,
        inputs="{}",
        options="{\n\n}",
        labels=json.dumps(labels),
    )


def calls_object(
    elements: Iterable[CallElement],
    expanded: Mapping[str, dict[str, Any]] | None,
    stamp: Callable[[int], str],
) -> dict[str, list[dict[str, Any]]]:
    calls: dict[str, list[CallElement]] = {}
    for element in elements:
        calls.setdefault(element.fqn, []).append(element)
    # Cromwell's array order is not guaranteed; shard then attempt is what a reader sorts by.
    return {
        fqn: [
            call_element(e, expanded, stamp)
            for e in sorted(group, key=lambda e: (e.shard, e.attempt))
        ]
        for fqn, group in calls.items()
    }


def call_element(
    element: CallElement,
    expanded: Mapping[str, dict[str, Any]] | None,
    stamp: Callable[[int], str],
) -> dict[str, Any]:
    if isinstance(element, SubworkflowAttempt):
        return _subworkflow_element(element, expanded, stamp)
    return _job_element(element, stamp)


def _job_element(job: JobAttempt, stamp: Callable[[int], str]) -> dict[str, Any]:
    if job.status == "QueuedInCromwell":
        # metadata-running-queued.json: nothing else is known yet.
        return {
            "executionStatus": job.status,
            "shardIndex": job.shard,
            "backend": "Local",
            "attempt": job.attempt,
            "start": stamp(job.start),
        }
    terminal = job.status in TERMINAL_CALL_STATUSES and job.end is not None
    element: dict[str, Any] = {}
    if job.status in FAILED_CALL_STATUSES:
        element["retryableFailure"] = job.status == "RetryableFailure"
    element["executionStatus"] = job.status
    if job.stdout:
        element["stdout"] = job.stdout
    if job.backend_status is not None:
        element["backendStatus"] = job.backend_status
    if job.command_line is not None:
        element["commandLine"] = job.command_line
    element["shardIndex"] = job.shard
    if job.status == "Done":
        element["outputs"] = dict(job.outputs)
    if job.runtime_attributes:
        element["runtimeAttributes"] = dict(job.runtime_attributes)
    element["callCaching"] = dict(job.call_caching or CALL_CACHING_OFF)
    element["inputs"] = dict(job.inputs)
    if terminal and job.return_code is not None:
        element["returnCode"] = job.return_code
    if job.failures and job.status in FAILED_CALL_STATUSES | {"Aborted"}:
        element["failures"] = list(job.failures)
    if job.job_id is not None:
        element["jobId"] = job.job_id
    element["backend"] = "Local"
    if terminal and job.end is not None:
        element["end"] = stamp(job.end)
    if job.stderr:
        element["stderr"] = job.stderr
    if job.call_root:
        element["callRoot"] = job.call_root
    element["attempt"] = job.attempt
    if terminal:
        element["executionEvents"] = _events(job.events, stamp)
    element["start"] = stamp(job.start)
    return element


def _subworkflow_element(
    call: SubworkflowAttempt,
    expanded: Mapping[str, dict[str, Any]] | None,
    stamp: Callable[[int], str],
) -> dict[str, Any]:
    terminal = call.status in TERMINAL_CALL_STATUSES and call.end is not None
    element: dict[str, Any] = {"executionStatus": call.status, "shardIndex": call.shard}
    if call.status == "Done":
        element["outputs"] = dict(call.outputs)
    element["inputs"] = dict(call.inputs)
    if call.failures:
        element["failures"] = list(call.failures)
    if terminal and call.end is not None:
        element["end"] = stamp(call.end)
    element["attempt"] = call.attempt
    if terminal:
        element["executionEvents"] = _events(call.events, stamp)
    element["start"] = stamp(call.start)
    if expanded is not None and call.workflow_id in expanded:
        element["subWorkflowMetadata"] = expanded[call.workflow_id]
    else:
        element["subWorkflowId"] = call.workflow_id
    return element


def _events(events: Sequence[ExecutionEvent], stamp: Callable[[int], str]) -> list[dict[str, str]]:
    return [
        {"startTime": stamp(e.start), "description": e.description, "endTime": stamp(e.end)}
        for e in events
    ]


def outputs_view(record: WorkflowRecord) -> dict[str, Any]:
    """`GET /outputs` (outputs.json): workflow outputs, `{}` until there are any."""
    return {"outputs": dict(record.outputs or {}), "id": record.id}


def logs_view(workflow_id: str, elements: Sequence[CallElement]) -> dict[str, Any]:
    """`GET /logs` (logs.json): stdout/stderr per job attempt; only `id` before any call has
    logs (logs-no-calls-yet.json)."""
    calls: dict[str, list[dict[str, Any]]] = {}
    jobs = [
        e
        for e in elements
        if isinstance(e, JobAttempt) and e.status != "QueuedInCromwell" and e.stdout
    ]
    for job in sorted(jobs, key=lambda j: (j.fqn, j.shard, j.attempt)):
        calls.setdefault(job.fqn, []).append(
            {
                "stderr": job.stderr,
                "stdout": job.stdout,
                "attempt": job.attempt,
                "shardIndex": job.shard,
            }
        )
    return {"calls": calls, "id": workflow_id} if calls else {"id": workflow_id}


def labels_view(record: WorkflowRecord) -> dict[str, Any]:
    return {"id": record.id, "labels": dict(record.labels)}


DocumentBuilder = Callable[[WorkflowRecord], dict[str, Any]]
