"""Receive a POST /runs or POST /batches body: multipart (streamed), urlencoded or JSON.

Every field a client sends is either a WES RunRequest field, a `workflow_attachment` (multipart
only), or a 400 naming it: nothing is dropped in silence. If anything fails before Cromwell
accepts the run, whatever was staged is removed again.
"""

import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from cromwes.api.multipart import ATTACHMENT_FIELD, ReceivedBody, receive_multipart
from cromwes.api.schemas import RUN_REQUEST_FIELDS
from cromwes.config.settings import UploadSettings
from cromwes.errors import InvalidRequest, PayloadTooLarge, StorageError
from cromwes.jsontext import MAX_DEPTH, client_json
from cromwes.storage.base import Storage

logger = logging.getLogger(__name__)

FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded", "application/json")


@asynccontextmanager
async def received_submission(
    request: web.Request,
    *,
    storage: Storage,
    folder: str,
    limits: UploadSettings,
    keep_in_memory: Callable[[str], bool],
    endpoint: str = "POST /runs",
    params_depth: int = 1,
) -> AsyncIterator[ReceivedBody]:
    """The request's fields and attachments; staged files are removed if the block fails.

    `endpoint` names the operation in error messages; `params_depth` is the depth at which one
    run's inputs sit in `workflow_params` (a batch's array wraps them: 2)."""
    received = ReceivedBody()
    try:
        await _receive(
            request, received, storage, folder, limits, keep_in_memory, endpoint, params_depth
        )
        yield received
    except BaseException:
        if received.staged:
            try:
                await storage.remove_staged(received.staged)
            except StorageError as exc:
                # The client must hear why its submission failed, not why cleanup did.
                logger.warning("staged files left behind: %s", exc.msg)
        raise


async def _receive(
    request: web.Request,
    received: ReceivedBody,
    storage: Storage,
    folder: str,
    limits: UploadSettings,
    keep_in_memory: Callable[[str], bool],
    endpoint: str,
    params_depth: int,
) -> None:
    content_type = request.content_type
    if request.content_length is not None and request.content_length > limits.max_request_size:
        raise PayloadTooLarge(
            f"The request is larger than the {limits.max_request_size}-byte limit."
        )
    if content_type == "multipart/form-data":
        await receive_multipart(
            request,
            received,
            storage,
            folder,
            limits,
            keep_in_memory,
            known=RUN_REQUEST_FIELDS,
            endpoint=endpoint,
        )
        return
    if content_type not in FORM_TYPES:
        raise InvalidRequest(
            f"{endpoint} takes a body of type {', '.join(FORM_TYPES)}; got "
            f"{request.headers.get('Content-Type') or 'no Content-Type'}."
        )
    if request.content_length is not None and request.content_length > limits.max_in_memory_size:
        raise PayloadTooLarge(
            f"A {content_type} body is held in memory, so it may not exceed "
            f"{limits.max_in_memory_size} bytes (uploads.max_in_memory_size); attach large "
            "files as multipart/form-data parts."
        )
    if content_type == "application/json":
        received.fields = _known_fields(await _json_body(request, params_depth), endpoint)
    else:
        pairs = list((await request.post()).items())
        _no_repeats(key for key, _ in pairs)
        received.fields = _known_fields(dict(pairs), endpoint)


async def _json_body(request: web.Request, params_depth: int) -> dict[str, Any]:
    try:
        # The RunRequest object wraps its fields: one level more than a field may nest, and
        # one more for a batch, whose workflow_params array wraps each run's inputs.
        body = client_json(await request.read(), max_depth=MAX_DEPTH + params_depth)
    except ValueError as exc:
        raise InvalidRequest(f"The JSON body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise InvalidRequest("The JSON body must be a RunRequest object.")
    return body


def _known_fields(fields: dict[str, Any], endpoint: str) -> dict[str, Any]:
    unknown = sorted(name for name in fields if name not in RUN_REQUEST_FIELDS)
    if ATTACHMENT_FIELD in unknown:
        raise InvalidRequest(
            f"{ATTACHMENT_FIELD} needs a multipart/form-data body; this body cannot carry files."
        )
    if unknown:
        raise InvalidRequest(
            f"{endpoint} has no field {', '.join(map(repr, unknown))}; its fields are "
            f"{', '.join(sorted(RUN_REQUEST_FIELDS))}."
        )
    return fields


def _no_repeats(names: Iterable[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InvalidRequest(f"field {name} was sent more than once.")
        seen.add(name)
