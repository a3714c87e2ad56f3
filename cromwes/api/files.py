"""Handlers of a run's files (extensions, as the reference service's §1.9): list, one, delete."""

import asyncio
from typing import Any

from aiohttp import web
from aiohttp_apigami import docs

from cromwes.api import schemas
from cromwes.api.audit import audited
from cromwes.api.params import owned_run_id
from cromwes.api.render import json_response, wes_body
from cromwes.api.runs import run_log_of
from cromwes.api.streaming import send_file
from cromwes.appkeys import BACKGROUND, CROMWELL, PREPARED, STORAGE
from cromwes.errors import InvalidRequest, NotFound, WesError
from cromwes.service.run_storage import existing_files, own_files
from cromwes.storage.base import DeleteOutcome, FileInfo, Storage
from cromwes.translate.jsonpath import DIALECT, jsonpath_values
from cromwes.translate.runfiles import FILE_KEYS, FileType, RunFile
from cromwes.translate.times import instant_rfc3339

ERRORS = {code: {"schema": schemas.ErrorResponse} for code in (400, 401, 403, 404, 416, 500, 502)}
DELETE_CONCURRENCY = 8


@docs(tags=["Run files (extension)"], summary="The files of a run: FINAL, INPUT, LOG, SECONDARY.",
      responses=ERRORS)  # fmt: skip
@audited("wes:run:files")
async def list_files(request: web.Request) -> web.Response:
    storage, files = await _files(request, await owned_run_id(request))
    files = await existing_files(storage, files)
    return json_response({"runFiles": [{"file_type": f.file_type, "path": f.path} for f in files]})


@docs(
    tags=["Run files (extension)"],
    summary="One file of a run, by path or by a JSONPath into its RunLog (`path=$.outputs[...]`).",
    description="`Accept: application/octet-stream` streams the bytes (single `Range` honoured); "
    f"otherwise the file's metadata is answered as JSON. JSONPath: {DIALECT} (400 otherwise). "
    "Only the run's own files are served: below its workflow root, its staging folder or its "
    "final-outputs folder.",
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
    storage, files = await _files(request, run_id)
    match = next((f for f in files if f.path == wanted), None)
    if match is None:
        raise NotFound(f"File {wanted} is not a file of run {run_id}.")
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
    storage, files = await _files(request, run_id)
    secondary = await existing_files(
        storage, [f for f in files if f.file_type is FileType.SECONDARY]
    )
    if request.query.get("async", "").lower() in ("true", "1"):
        work = _delete_all(storage, [f.path for f in secondary])
        request.app[BACKGROUND].start(work, name=f"delete files of {run_id}")
        return json_response({"deletions": [_deletion(f, "ASYNC") for f in secondary]})
    outcomes = await _delete_all(storage, [f.path for f in secondary])
    return json_response(
        {"deletions": [_deletion(f, o) for f, o in zip(secondary, outcomes, strict=True)]}
    )


async def _files(request: web.Request, run_id: str) -> tuple[Storage, list[RunFile]]:
    """The run's storage view and files; the caller's right to the run was checked by
    `owned_run_id`."""
    metadata, _ = await request.app[CROMWELL].metadata(run_id, include_keys=FILE_KEYS)
    prepared = request.app[PREPARED]
    return own_files(
        request.app[STORAGE],
        metadata,
        run_id,
        prepared.path_rules,
        batch_label=prepared.batch_labels.batch,
    )


def _resolve_jsonpath(expression: str, run_log: Any) -> str:
    values = jsonpath_values(expression, run_log)
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
