"""Cromwell's REST API, under its real paths (cromwell-api.md §2, cromwell-api.yaml).

Route names double as fault-rule routes (`faults.py`): the part before the dot.
"""

import time
import uuid

from aiohttp import BodyPartReader, web

from cromwes.emulator.appkeys import CONFIG, FORM, SERVICE
from cromwes.emulator.errors import BadRequest, InvalidWorkflowId, UnrecognizedWorkflowId
from cromwes.emulator.keyfilter import KeyFilter
from cromwes.emulator.labels import validate_labels
from cromwes.emulator.listing import run_query
from cromwes.emulator.metadata import labels_view, logs_view, outputs_view
from cromwes.emulator.query import pairs_from_post_body, parse_query
from cromwes.emulator.records import WorkflowRecord
from cromwes.emulator.replies import cromwell_json
from cromwes.emulator.submission import FormPart, parse_submission

WORKFLOWS = "/api/workflows/{version}"
WORKFLOW = WORKFLOWS + "/{id}"


async def submit(request: web.Request) -> web.Response:
    config, service = request.app[CONFIG], request.app[SERVICE]
    parts = request.get(FORM) or await read_form(request)
    submission = parse_submission(parts, config.loopback_hosts)
    record = await service.submit(submission)
    headers = {}
    if submission.warnings:
        # Cromwell's deprecation notice for `wdlSource` (CromwellApiServiceSpec)
        warning = submission.warnings[0]
        headers["Warning"] = f'299 cromwell/{config.cromwell_version} "{warning}"'

    return cromwell_json({"id": record.id, "status": record.status}, status=201, headers=headers)


async def status(request: web.Request) -> web.Response:
    record = visible_record(request)
    return cromwell_json({"id": record.id, "status": record.status})


async def metadata(request: web.Request) -> web.Response:
    record = visible_record(request)
    keys = KeyFilter(
        include=tuple(request.query.getall("includeKey", [])),
        exclude=tuple(request.query.getall("excludeKey", [])),
    )
    expand = request.query.get("expandSubWorkflows", "false").lower() == "true"
    body = await request.app[SERVICE].documents.metadata_body(record, expand=expand, keys=keys)
    return web.Response(body=body, content_type="application/json")


async def outputs(request: web.Request) -> web.Response:
    return cromwell_json(outputs_view(visible_record(request)))


async def logs(request: web.Request) -> web.Response:
    record = visible_record(request)
    elements = await request.app[SERVICE].documents.elements(record)
    return cromwell_json(logs_view(record.id, elements))


async def labels(request: web.Request) -> web.Response:
    return cromwell_json(labels_view(visible_record(request)))


async def patch_labels(request: web.Request) -> web.Response:
    record = visible_record(request)
    try:
        body = await request.json()
    except (ValueError, RecursionError) as exn:
        raise BadRequest(f"The request content was malformed: {exn}") from exn
    await request.app[SERVICE].update_labels(record, validate_labels(body))
    return cromwell_json(labels_view(record))


async def abort(request: web.Request) -> web.Response:
    # Abort goes to the workflow store, not the metadata summary: it works right after a
    # submit, when status still answers 404 (cromwell-api.md §2.6.1).
    workflow_id = workflow_id_of(request)
    new_status = await request.app[SERVICE].abort(workflow_id)
    return cromwell_json({"id": workflow_id, "status": new_status})


async def release_hold(request: web.Request) -> web.Response:
    record = visible_record(request)
    await request.app[SERVICE].release_hold(record)
    return cromwell_json({"id": record.id, "status": record.status})


async def query_get(request: web.Request) -> web.Response:
    query = parse_query(list(request.query.items()))
    return cromwell_json(run_query(request.app[SERVICE].store, query, time.monotonic()))


async def query_post(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except (ValueError, RecursionError) as exn:
        raise BadRequest(f"The request content was malformed: {exn}") from exn
    query = parse_query(pairs_from_post_body(body))
    return cromwell_json(run_query(request.app[SERVICE].store, query, time.monotonic()))


async def backends(request: web.Request) -> web.Response:
    return cromwell_json({"defaultBackend": "Local", "supportedBackends": ["Local"]})


async def version(request: web.Request) -> web.Response:
    return cromwell_json({"cromwell": request.app[CONFIG].cromwell_version})


async def engine_status(request: web.Request) -> web.Response:
    # The shipped configuration monitors no subsystem: `{}` (engine-status.json).
    return cromwell_json({})


def routes() -> list[web.RouteDef]:
    return [
        web.post(WORKFLOWS, submit, name="submit"),
        web.get(WORKFLOWS + "/query", query_get, name="query.get", allow_head=False),
        web.post(WORKFLOWS + "/query", query_post, name="query.post"),
        web.get(WORKFLOWS + "/backends", backends, name="backends", allow_head=False),
        web.get(WORKFLOW + "/status", status, name="status", allow_head=False),
        web.get(WORKFLOW + "/metadata", metadata, name="metadata", allow_head=False),
        web.get(WORKFLOW + "/outputs", outputs, name="outputs", allow_head=False),
        web.get(WORKFLOW + "/logs", logs, name="logs", allow_head=False),
        web.get(WORKFLOW + "/labels", labels, name="labels.get", allow_head=False),
        web.patch(WORKFLOW + "/labels", patch_labels, name="labels.patch"),
        web.post(WORKFLOW + "/abort", abort, name="abort"),
        web.post(WORKFLOW + "/releaseHold", release_hold, name="releaseHold"),
        web.get("/engine/{version}/version", version, name="version", allow_head=False),
        web.get("/engine/{version}/status", engine_status, name="engine_status", allow_head=False),
    ]


def workflow_id_of(request: web.Request) -> str:
    text = request.match_info["id"]
    try:
        parsed = uuid.UUID(text)
    except ValueError as exn:
        raise InvalidWorkflowId(text) from exn
    if len(text) != 36:
        raise InvalidWorkflowId(text)
    return str(parsed)


def visible_record(request: web.Request) -> WorkflowRecord:
    """The workflow of the path, as Cromwell's metadata summary sees it: unknown (404) during
    the post-submit window of the `post_submit_404` quirk."""
    workflow_id = workflow_id_of(request)
    record = request.app[SERVICE].store.get(workflow_id)
    if record is None or record.visible_at > time.monotonic():
        raise UnrecognizedWorkflowId(workflow_id)
    return record


async def read_form(request: web.Request) -> list[FormPart]:
    """Every part of a multipart/form-data body, in order (a plain form is read as parts too)."""
    if not request.content_type.startswith("multipart/"):
        form = await request.post()
        return [FormPart(name, str(value).encode()) for name, value in form.items()]
    parts: list[FormPart] = []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if isinstance(part, BodyPartReader):
            parts.append(FormPart(part.name or "", bytes(await part.read()), part.filename))
    return parts
