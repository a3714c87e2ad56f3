"""Receive a POST /runs body: multipart (streamed), urlencoded or JSON.

Attachments are streamed part by part: workflow files, options and the dependencies zip are kept
in memory for the Cromwell submission, every other attachment goes straight to storage while its
MD5 is computed. Limits are enforced as bytes arrive (413), and if anything fails before Cromwell
accepts the run, whatever was staged is removed again.
"""

import hashlib
import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import aiohttp
from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from cromwes.config.settings import UploadSettings
from cromwes.errors import InvalidRequest, PayloadTooLarge, StorageError
from cromwes.storage.base import Storage
from cromwes.translate.attachment_names import attachment_name
from cromwes.translate.submission import Attachment

logger = logging.getLogger(__name__)

CHUNK = 256 * 1024
ATTACHMENT_FIELD = "workflow_attachment"
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded", "application/json")


@dataclass
class ReceivedBody:
    fields: dict[str, Any] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)
    staged: list[str] = field(default_factory=list)


@dataclass
class _Budget:
    limits: UploadSettings
    total: int = 0

    def take(self, name: str, file_bytes: int, more: int) -> None:
        self.total += more
        if file_bytes > self.limits.max_file_size:
            raise PayloadTooLarge(
                f"{name} is larger than the {self.limits.max_file_size}-byte limit per file."
            )
        if self.total > self.limits.max_request_size:
            raise PayloadTooLarge(
                f"The request is larger than the {self.limits.max_request_size}-byte limit."
            )


@asynccontextmanager
async def received_submission(
    request: web.Request,
    *,
    storage: Storage,
    folder: str,
    limits: UploadSettings,
    keep_in_memory: Callable[[str], bool],
) -> AsyncIterator[ReceivedBody]:
    """The request's fields and attachments; staged files are removed if the block fails."""
    received = ReceivedBody()
    try:
        await _receive(request, received, storage, folder, limits, keep_in_memory)
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
) -> None:
    content_type = request.content_type
    if request.content_length is not None and request.content_length > limits.max_request_size:
        raise PayloadTooLarge(
            f"The request is larger than the {limits.max_request_size}-byte limit."
        )
    if content_type == "application/json":
        received.fields = await _json_body(request)
    elif content_type == "application/x-www-form-urlencoded":
        received.fields = {key: value for key, value in (await request.post()).items()}
    elif content_type == "multipart/form-data":
        await _multipart(request, received, storage, folder, _Budget(limits), keep_in_memory)
    else:
        raise InvalidRequest(
            f"POST /runs takes a body of type {', '.join(FORM_TYPES)}; got "
            f"{request.headers.get('Content-Type') or 'no Content-Type'}."
        )


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.read())
    except ValueError as exc:
        raise InvalidRequest(f"The JSON body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise InvalidRequest("The JSON body must be a RunRequest object.")
    return body


async def _multipart(
    request: web.Request,
    received: ReceivedBody,
    storage: Storage,
    folder: str,
    budget: _Budget,
    keep_in_memory: Callable[[str], bool],
) -> None:
    try:
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                raise InvalidRequest("Nested multipart bodies are not supported.")
            if part.filename is not None or part.name == ATTACHMENT_FIELD:
                taken = {a.name for a in received.attachments}
                attachment = await _attachment(part, storage, folder, budget, keep_in_memory, taken)
                received.attachments.append(attachment)
                if attachment.location is not None:
                    received.staged.append(attachment.location)
            elif part.name:
                received.fields[part.name] = await _text_field(part, budget)
    except (ValueError, aiohttp.ClientPayloadError, HttpProcessingError) as exc:
        # aiohttp raises these for a missing boundary or a garbled body (conformance.md §1).
        raise InvalidRequest(f"The multipart body is malformed: {exc}") from exc


async def _text_field(part: BodyPartReader, budget: _Budget) -> str:
    data = bytearray()
    while chunk := await part.read_chunk(CHUNK):
        data += chunk
        budget.take(f"field {part.name}", len(data), len(chunk))
    try:
        return data.decode(part.get_charset("utf-8"))
    except (UnicodeDecodeError, LookupError) as exc:
        raise InvalidRequest(f"field {part.name} is not text in its declared charset.") from exc


async def _attachment(
    part: BodyPartReader,
    storage: Storage,
    folder: str,
    budget: _Budget,
    keep_in_memory: Callable[[str], bool],
    taken: set[str],
) -> Attachment:
    name = attachment_name(_file_name(part))
    if name in taken:
        raise InvalidRequest(f"workflow_attachment {name!r} was sent twice.")
    md5 = hashlib.md5(usedforsecurity=False)
    size = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal size
        while chunk := await part.read_chunk(CHUNK):
            size += len(chunk)
            budget.take(f"workflow_attachment {name!r}", size, len(chunk))
            md5.update(chunk)
            yield chunk

    if keep_in_memory(name):
        content = b"".join([chunk async for chunk in chunks()])
        return Attachment(name=name, size=size, md5=md5.hexdigest(), content=content)
    location = await storage.stage(folder, name, chunks())
    return Attachment(name=name, size=size, md5=md5.hexdigest(), location=location)


_FILENAME = re.compile(r';\s*filename\s*=\s*"((?:[^"\\]|\\.)*)"', re.IGNORECASE)


def _file_name(part: BodyPartReader) -> str | None:
    """The part's file name as the client wrote it, percent-decoded.

    aiohttp's parsed `filename` drops a leading `/`, which would let an absolute name pass
    unnoticed, so the raw header is read; aiohttp and browsers percent-encode names
    (`lib%2Fx.wdl`), so the name is decoded before it is checked.
    """
    raw = _FILENAME.search(part.headers.get("Content-Disposition", ""))
    name = raw.group(1).replace('\\"', '"') if raw else part.filename
    return unquote(name) if name is not None else None
