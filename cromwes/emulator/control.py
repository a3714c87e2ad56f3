"""The `/_emulator` control and test API (JSON); gateway tests depend on these names.

Served by the control app on the admin listener only (never on the Cromwell port), never
subject to faults. Each handler reads the state of the emulator app it steers.
"""

import json
from typing import Any

from aiohttp import web

from cromwes.emulator.appkeys import EMULATOR, FAULTS, JOURNAL, SERVICE
from cromwes.emulator.controljson import MAX_TYPE_DEPTH, control_json, type_too_deep
from cromwes.emulator.errors import ControlError
from cromwes.emulator.faults import FaultInjector
from cromwes.emulator.journal import RequestJournal
from cromwes.emulator.populate import SyntheticRequest
from cromwes.emulator.records import STATUSES, WorkflowRecord
from cromwes.emulator.service import WorkflowService
from cromwes.emulator.shapes import FAILS_AS, RETRIES_AS, shape_to_json
from cromwes.emulator.timestamps import iso, parse_iso
from cromwes.emulator.values import parse_type

MAX_SYNTHETIC = 1_000_000


async def list_requests(request: web.Request) -> web.Response:
    return web.json_response(_journal(request).entries())


async def clear_requests(request: web.Request) -> web.Response:
    _journal(request).clear()
    return web.json_response({"cleared": True})


async def workflow(request: web.Request) -> web.Response:
    return web.json_response(internal_view(_record(request)))


async def move_workflow(request: web.Request) -> web.Response:
    record = _record(request)
    body = await _json_object(request)
    await _service(request).move_controlled(record, body)
    return web.json_response(internal_view(record))


async def create_workflows(request: web.Request) -> web.Response:
    body = await _json_object(request)
    ids = await _service(request).create_synthetic(synthetic_request(body))
    return web.json_response({"ids": ids}, status=201)


async def stats(request: web.Request) -> web.Response:
    service = _service(request)
    counts = service.store.stats()
    return web.json_response(
        {
            "workflows": counts["workflows"],
            "root_workflows": counts["root_workflows"],
            "submissions": service.submissions,
            "by_status": counts["by_status"],
            "root_by_status": counts["root_by_status"],
            "runs_started": service.runs.stats.started,
            "runs_finished": service.runs.stats.finished,
        }
    )


async def get_faults(request: web.Request) -> web.Response:
    return web.json_response(_faults(request).snapshot())


async def put_faults(request: web.Request) -> web.Response:
    document = await _json_body(request)
    faults = _faults(request)
    await faults.apply(document)
    return web.json_response(faults.snapshot())


async def delete_faults(request: web.Request) -> web.Response:
    faults = _faults(request)
    await faults.clear()
    return web.json_response(faults.snapshot())


async def reset(request: web.Request) -> web.Response:
    """Clear faults (including `down`) and the request log; workflows stay."""
    await _faults(request).clear()
    _journal(request).clear()
    return web.json_response({"reset": True})


async def health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def routes() -> list[web.RouteDef]:
    return [
        web.get("/_emulator/health", health),
        web.get("/_emulator/requests", list_requests),
        web.delete("/_emulator/requests", clear_requests),
        web.get("/_emulator/stats", stats),
        web.post("/_emulator/workflows", create_workflows),
        web.get("/_emulator/workflows/{id}", workflow),
        web.post("/_emulator/workflows/{id}/status", move_workflow),
        web.get("/_emulator/faults", get_faults),
        web.put("/_emulator/faults", put_faults),
        web.delete("/_emulator/faults", delete_faults),
        web.post("/_emulator/reset", reset),
    ]


def synthetic_request(body: dict[str, Any]) -> SyntheticRequest:
    """`POST /_emulator/workflows` body -> request; unknown fields are refused."""
    fields = {
        "count", "status", "name", "shards", "retries", "failing_shards", "subworkflows",
        "labels", "submission", "interval_seconds", "outputs", "return_code", "fails_as",
        "retries_as", "cache_hits", "restarted",
    }  # fmt: skip
    unknown = set(body) - fields
    if unknown:
        raise ControlError(f"unknown field(s): {', '.join(sorted(unknown))}")
    status = str(body.get("status", "Succeeded"))
    if status != "mixed" and status not in STATUSES:
        raise ControlError(f"status must be one of {', '.join(STATUSES)} or mixed")
    labels = body.get("labels") or {}
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        raise ControlError("labels must be an object of strings")
    outputs = body.get("outputs", {"out": "File"})
    if not isinstance(outputs, dict) or not all(isinstance(v, str) for v in outputs.values()):
        raise ControlError("outputs must map output names to WDL types")
    for name in outputs:
        if not name.isidentifier():
            raise ControlError(f"outputs: not a WDL identifier: {name!r}")
    for name, wdl_type in outputs.items():
        if type_too_deep(wdl_type):
            raise ControlError(
                f"outputs: the type of {name!r} nests deeper than {MAX_TYPE_DEPTH} levels"
            )
        try:
            parse_type(wdl_type)
        except (ValueError, IndexError) as exn:
            raise ControlError(f"outputs: not a WDL type: {wdl_type!r}") from exn
    if body.get("fails_as", "exit") not in FAILS_AS:
        raise ControlError(f"fails_as must be one of {', '.join(FAILS_AS)}")
    if body.get("retries_as", "exit") not in RETRIES_AS:
        raise ControlError(f"retries_as must be one of {', '.join(RETRIES_AS)}")
    hits = body.get("cache_hits", False)
    try:
        count = int(body.get("count", 1))
        retries = body.get("retries") or {}
        submission = body.get("submission")
        request = SyntheticRequest(
            count=count,
            status=status,
            name=str(body.get("name", "synthetic")),
            shards=int(body.get("shards", 0)),
            retries={}
            if isinstance(retries, int)
            else {int(k): int(v) for k, v in retries.items()},
            retry_all=retries if isinstance(retries, int) else 0,
            failing_shards=frozenset(int(s) for s in body.get("failing_shards") or ()),
            subworkflows=int(body.get("subworkflows", 0)),
            labels=labels,
            submission=parse_iso(submission) if submission else None,
            interval_ms=int(float(body.get("interval_seconds", 1)) * 1000),
            outputs={str(k): str(v) for k, v in outputs.items()},
            return_code=int(body.get("return_code", 1)),
            fails_as=str(body.get("fails_as", "exit")),
            retries_as=str(body.get("retries_as", "exit")),
            cache_hits=frozenset() if isinstance(hits, bool) else frozenset(int(s) for s in hits),
            cache_hits_all=hits is True,
            restarted=bool(body.get("restarted", False)),
        )
    except (TypeError, ValueError, AttributeError) as exn:
        raise ControlError(f"bad synthetic workflow request: {exn}") from exn
    if not 0 < count <= MAX_SYNTHETIC or request.shards < 0 or request.subworkflows < 0:
        raise ControlError(f"count must be 1..{MAX_SYNTHETIC}; shards and subworkflows >= 0")
    if not request.name.isidentifier():
        raise ControlError("name must be a WDL identifier")
    return request


def internal_view(record: WorkflowRecord) -> dict[str, Any]:
    """The record as the emulator holds it, submitted files decoded."""
    files = record.files
    submitted: dict[str, Any] | None = None
    if files is not None:
        submitted = {
            "workflowSource": files.workflow,
            "workflowUrl": files.workflow_url,
            "inputs": json.loads(files.inputs),
            "options": json.loads(files.options) if files.options.strip() else {},
            "labels": _json_or_text(files.labels),
            "workflowType": files.workflow_type,
            "workflowTypeVersion": files.workflow_type_version,
            "dependencies": list(files.dependency_names),
            "imports": sorted(files.imports),
            "onHold": files.on_hold,
        }
    mode = (
        "synthetic"
        if record.kind == "synthetic"
        else "controlled"
        if record.controlled
        else "execute"
    )
    return {
        "id": record.id,
        "seq": record.seq,
        "status": record.status,
        "kind": record.kind,
        "mode": mode,
        "name": record.name,
        "submission": iso(record.submission),
        "start": iso(record.start) if record.start is not None else None,
        "end": iso(record.end) if record.end is not None else None,
        "labels": record.labels,
        "parentWorkflowId": record.parent_id,
        "rootWorkflowId": record.root_id,
        "workflowRoot": record.workflow_root,
        "runDir": record.workflow_root,
        "submitted": submitted,
        "outputs": record.outputs,
        "failures": record.failures,
        "shape": shape_to_json(record.shape) if record.shape else None,
        "runnerPid": record.runner_pid,
        "control": record.control,
    }


def _service(request: web.Request) -> WorkflowService:
    return request.app[EMULATOR][SERVICE]


def _faults(request: web.Request) -> FaultInjector:
    return request.app[EMULATOR][FAULTS]


def _journal(request: web.Request) -> RequestJournal:
    return request.app[EMULATOR][JOURNAL]


def _record(request: web.Request) -> WorkflowRecord:
    record = _service(request).store.get(request.match_info["id"].lower())
    if record is None:
        raise ControlError(f"no workflow {request.match_info['id']}", 404)
    return record


async def _json_body(request: web.Request) -> Any:
    try:
        text = await request.text()
    except ValueError as exn:  # not in its charset
        raise ControlError(f"the body is not JSON: {exn}") from exn
    return control_json(text)


async def _json_object(request: web.Request) -> dict[str, Any]:
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise ControlError("the body must be a JSON object")
    return body


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text
