"""Handlers of the log endpoints that RunLogs and TaskLogs link to (extensions to WES)."""

from typing import Any

from aiohttp import web
from aiohttp_apigami import docs, querystring_schema
from marshmallow import Schema, fields

from cromwes.api import schemas
from cromwes.api.audit import audited
from cromwes.api.params import owned_run_id
from cromwes.api.render import JSON
from cromwes.api.streaming import follow_file, send_bytes, send_file
from cromwes.api.validation import QUERY
from cromwes.appkeys import PREPARED, RUN_DETAILS, SETTINGS, STORAGE
from cromwes.cromwell.types import Metadata
from cromwes.errors import NotFound
from cromwes.policy.paths import translate_path
from cromwes.service.run_storage import run_storage
from cromwes.translate.runlog import failures_document
from cromwes.translate.tasklogs import Task

ERRORS = {code: {"schema": schemas.ErrorResponse} for code in (401, 403, 404, 416, 500, 502)}
STREAMS = ("stdout", "stderr")
_BYTES = {"schema": {"type": "string", "format": "binary"}}
_FAILURES = {"schema": {"type": "array", "items": {"type": "object"}}}
RESPONSES: dict[int, dict[str, Any]] = {
    **ERRORS,
    200: {"description": "The whole log.", "content": {"text/plain": _BYTES}},
    206: {
        "description": "The requested byte range, with `Content-Range`.",
        "content": {"text/plain": _BYTES},
    },
}
RANGE = {
    "in": "header",
    "name": "Range",
    "required": False,
    "schema": {"type": "string", "example": "bytes=0-4"},
    "description": "One byte range (`bytes=first-last`, `bytes=first-`, `bytes=-suffix`); "
    "several ranges are 416.",
}


class FollowQuery(Schema):
    follow = fields.Boolean(
        load_default=False,
        truthy={"true", "True", "TRUE", "1"},
        falsy={"false", "False", "FALSE", "0", ""},
        metadata={"description": "Stream bytes as the task writes them, until the task ends."},
    )


STREAM = {
    "in": "path",
    "name": "stream",
    "required": True,
    "schema": {"type": "string", "enum": list(STREAMS)},
}


@docs(
    tags=["Logs (extension)"],
    summary="The run's failures as JSON (`[]` if none).",
    description="Cromwell's `failures` of the run, as a JSON array. Honours a single `Range`; "
    "`Accept-Ranges: bytes`.",
    parameters=[RANGE],
    responses={
        **RESPONSES,
        200: {"description": "Cromwell's failures.", "content": {JSON: _FAILURES}},
        206: {"description": "The requested byte range.", "content": {JSON: _FAILURES}},
    },
)
@audited("wes:run:logs")
async def run_stderr(request: web.Request) -> web.StreamResponse:
    run_id = await owned_run_id(request)
    metadata = (await request.app[RUN_DETAILS].get(run_id)).metadata
    return await send_bytes(request, failures_document(metadata), content_type=JSON)


@docs(
    tags=["Logs (extension)"],
    summary="A task's stdout or stderr, by task id.",
    description=(
        "The URLs of `stdout`/`stderr` in task logs. Honours a single `Range`; "
        "`Accept-Ranges: bytes`. `?follow=true` keeps the response open and streams new bytes "
        "while the task runs, ending when the task attempt ends, as the run's events tell it "
        "(chunked). With `logs.redirect`, "
        "cloud-stored logs answer 302 to a time-limited signed URL."
    ),
    parameters=[STREAM, RANGE],
    responses={**RESPONSES, 302: {"description": "Redirect to a signed URL (logs.redirect)."}},
)
@querystring_schema(FollowQuery)
@audited("wes:run:logs")
async def task_stream(request: web.Request) -> web.StreamResponse:
    run_id = await owned_run_id(request)
    task_id, stream = request.match_info["task_id"], request.match_info["stream"]
    detail = await request.app[RUN_DETAILS].get(run_id)
    task = detail.tasks_by_id.get(task_id)
    if task is None:
        raise NotFound(f"Run {run_id} has no task {task_id!r}.")
    return await _send_stream(request, run_id, detail.metadata, task, stream)


@docs(
    tags=["Logs (extension)"],
    summary="Legacy: a task's log by call name and list index.",
    description="As DNAstack's service: a top-level call name and its position in Cromwell's "
    "calls list (retries take their own positions).",
    parameters=[STREAM, RANGE],
    responses=RESPONSES,
)
@querystring_schema(FollowQuery)
@audited("wes:run:logs")
async def legacy_task_stream(request: web.Request) -> web.StreamResponse:
    run_id = await owned_run_id(request)
    name, stream = request.match_info["task_name"], request.match_info["stream"]
    digits = request.match_info["index"].lstrip("0") or "0"
    detail = await request.app[RUN_DETAILS].get(run_id)
    calls = sorted((t for t in detail.tasks if t.call == name), key=lambda t: (t.shard, t.attempt))
    # The route admits any run of digits; thousands of them would pass Python's int conversion
    # limit (a ValueError, a 500), and anything that long is no index of this run anyway.
    index = int(digits) if len(digits) <= 9 else len(calls)
    if index >= len(calls):
        raise NotFound(f"Run {run_id} has no call {name!r} at index {digits[:20]}.")
    return await _send_stream(request, run_id, detail.metadata, calls[index], stream)


async def _send_stream(
    request: web.Request, run_id: str, metadata: Metadata, task: Task, stream: str
) -> web.StreamResponse:
    path = task.stdout if stream == "stdout" else task.stderr
    if not path:
        raise NotFound(f"Task {task.id!r} has no {stream} yet.")
    settings, rules = request.app[SETTINGS], request.app[PREPARED].path_rules
    # Only the run's own files, whatever its metadata names (see cromwes.translate.runfiles).
    storage = run_storage(request.app[STORAGE], metadata, run_id, rules)
    readable = translate_path(path, rules)
    if request[QUERY]["follow"]:
        logs = settings.logs

        async def finished() -> bool:
            current = (await request.app[RUN_DETAILS].get(run_id)).tasks_by_id.get(task.id)
            return current is None or current.finished

        return await follow_file(
            request, storage, readable, finished=finished,
            poll_interval=logs.follow_poll_interval, max_duration=logs.follow_max_duration,
        )  # fmt: skip
    if settings.logs.redirect and (url := await storage.signed_url(readable)) is not None:
        raise web.HTTPFound(url)
    return await send_file(request, storage, readable, content_type="text/plain")
