"""Handlers of a run's files (extensions, as the reference service's §1.9): list, one, delete."""

import asyncio
from typing import Any

from aiohttp import web
from aiohttp_apigami import docs
from jsonpath_ng.exceptions import JSONPathError
from jsonpath_ng.ext.parser import parse as parse_jsonpath

from cromwes.api import schemas
from cromwes.api.audit import audited
from cromwes.api.params import owned_run_id
from cromwes.api.render import json_response, wes_body
from cromwes.api.runs import run_log_of
from cromwes.api.streaming import send_file
from cromwes.appkeys import BACKGROUND, CROMWELL, PREPARED, STORAGE
from cromwes.errors import InvalidRequest, NotFound, WesError
from cromwes.policy.paths import translate_path
from cromwes.storage.base import DeleteOutcome, FileInfo, Storage
from cromwes.translate.runfiles import FILE_KEYS, FileType, RunFile, run_files
from cromwes.translate.times import instant_rfc3339

ERRORS = {code: {"schema": schemas.ErrorResponse} for code in (400, 401, 403, 404, 416, 500, 502)}
DELETE_CONCURRENCY = 8


@docs(tags=["Run files (extension)"], summary="The files of a run: FINAL, INPUT, LOG, SECONDARY.",
      responses=ERRORS)  # fmt: skip
@audited("wes:run:files")
async def list_files(request: web.Request) -> web.Response:
    files = await _files(request, await owned_run_id(request))
    return json_response({"runFiles": [{"file_type": f.file_type, "path": f.path} for f in files]})


@docs(
    tags=["Run files (extension)"],
    summary="One file of a run, by path or by a JSONPath into its RunLog (`path=$.outputs[...]`).",
    description="`Accept: application/octet-stream` streams the bytes (single `Range` honoured); "
    "otherwise the file's metadata is answered as JSON.",
    parameters=[{"in": "query", "name": "path", "required": True, "schema": {"type": "string"}}],
    responses=ERRORS,
)
@audited("wes:run:file")
async def get_file(request: web.Request) -> web.StreamResponse:
    run_id = await owned_run_id(request)
    wanted = request.query.get("path")
    if not wanted:
        raise InvalidRequest("The query parameter path is required.")
    if wanted.startswith("$"):
        wanted = _resolve_jsonpath(wanted, wes_body(await run_log_of(request, run_id)))
    match = next((f for f in await _files(request, run_id) if f.path == wanted), None)
    if match is None:
        raise NotFound(f"File {wanted} is not an input or output of run {run_id}.")
    storage = request.app[STORAGE]
    if "application/octet-stream" in request.headers.get("Accept", ""):
        return await send_file(request, storage, match.path)
    return json_response(_file_body(match, await storage.stat(match.path)))


@docs(
    tags=["Run files (extension)"],
    summary="Delete a run's intermediate (SECONDARY) files; `?async=true` answers at once.",
    responses=ERRORS,
)
@audited("wes:run:files:delete")
async def delete_files(request: web.Request) -> web.Response:
    run_id = await owned_run_id(request)
    secondary = [f for f in await _files(request, run_id) if f.file_type is FileType.SECONDARY]
    storage = request.app[STORAGE]
    if request.query.get("async", "").lower() in ("true", "1"):
        work = _delete_all(storage, [f.path for f in secondary])
        request.app[BACKGROUND].start(work, name=f"delete files of {run_id}")
        return json_response({"deletions": [_deletion(f, "ASYNC") for f in secondary]})
    outcomes = await _delete_all(storage, [f.path for f in secondary])
    return json_response(
        {"deletions": [_deletion(f, o) for f, o in zip(secondary, outcomes, strict=True)]}
    )


async def _files(request: web.Request, run_id: str) -> list[RunFile]:
    """The run's files; the caller's right to the run was checked by `owned_run_id`."""
    storage = request.app[STORAGE]
    metadata, _ = await request.app[CROMWELL].metadata(run_id, include_keys=FILE_KEYS)
    rules = request.app[PREPARED].path_rules
    return run_files(metadata, readable=storage.owns, translate=lambda p: translate_path(p, rules))


def _resolve_jsonpath(expression: str, run_log: Any) -> str:
    try:
        matches = parse_jsonpath(expression).find(run_log)
    except JSONPathError as exc:
        raise InvalidRequest(f"path {expression!r} is not a valid JSONPath: {exc}") from exc
    values = [m.value for m in matches]
    if len(values) != 1 or not isinstance(values[0], str):
        raise NotFound(f"JSONPath {expression} does not name one file of the run log.")
    return values[0]


async def _delete_all(storage: Storage, paths: list[str]) -> list[str]:
    slots = asyncio.Semaphore(DELETE_CONCURRENCY)

    async def delete(path: str) -> str:
        async with slots:
            try:
                return (await storage.delete(path)).value
            except NotFound:
                return DeleteOutcome.NOT_FOUND.value
            except WesError:
                return DeleteOutcome.FAILED.value

    return list(await asyncio.gather(*(delete(path) for path in paths)))


def _deletion(file: RunFile, state: str) -> dict[str, str]:
    return {"file_type": file.file_type.value, "path": file.path, "state": state}


def _file_body(file: RunFile, info: FileInfo) -> dict[str, Any]:
    body: dict[str, Any] = {
        "file_type": file.file_type.value,
        "path": file.path,
        "name": info.name,
        "size": info.size,
        "content_type": info.content_type,
        "content_encoding": info.content_encoding,
        "creation_time": instant_rfc3339(info.created) if info.created else None,
        "last_modified_time": instant_rfc3339(info.last_modified) if info.last_modified else None,
        "checksums": [{"type": kind, "value": value} for kind, value in info.checksums],
    }
    return {key: value for key, value in body.items() if value is not None}
