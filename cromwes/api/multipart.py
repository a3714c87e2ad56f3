"""Stream a multipart POST /runs (or /batches) body, part by part, within its limits.

A part named after a RunRequest field is that field, whatever its file name or content type
(`curl -F workflow_params=@inputs.json`); only `workflow_attachment` parts are attachments.
Workflow files, options and the dependencies zip are kept in memory for the Cromwell
submission, every other attachment goes straight to storage while its MD5 is computed. Limits
(parts, bytes in memory, bytes per file and per request) are enforced as bytes arrive (413).
"""

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import aiohttp
from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from cromwes.config.settings import UploadSettings
from cromwes.errors import InvalidRequest, PayloadTooLarge
from cromwes.storage.base import Storage
from cromwes.translate.attachment_names import attachment_name
from cromwes.translate.submission import Attachment

CHUNK = 256 * 1024
ATTACHMENT_FIELD = "workflow_attachment"


@dataclass
class ReceivedBody:
    fields: dict[str, Any] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)
    staged: list[str] = field(default_factory=list)
    """Where attachments were staged, to remove them if the submission fails."""
    names: set[str] = field(default_factory=set)
    """The attachments' names, so a repeated name is found in one look-up."""


@dataclass
class _Budget:
    limits: UploadSettings
    parts: int = 0
    total: int = 0
    in_memory: int = 0

    def count_part(self) -> None:
        self.parts += 1
        if self.parts > self.limits.max_parts:
            raise PayloadTooLarge(
                f"The request has more than {self.limits.max_parts} parts (uploads.max_parts)."
            )

    def take(self, name: str, file_bytes: int, more: int, *, in_memory: bool) -> None:
        self.total += more
        if file_bytes > self.limits.max_file_size:
            raise PayloadTooLarge(
                f"{name} is larger than the {self.limits.max_file_size}-byte limit per file."
            )
        if self.total > self.limits.max_request_size:
            raise PayloadTooLarge(
                f"The request is larger than the {self.limits.max_request_size}-byte limit."
            )
        if in_memory:
            self.in_memory += more
            if self.in_memory > self.limits.max_in_memory_size:
                raise PayloadTooLarge(
                    f"{name} takes the fields, workflow files, options and dependencies zip of "
                    f"this request past the {self.limits.max_in_memory_size}-byte limit "
                    "(uploads.max_in_memory_size) on what the gateway holds in memory."
                )


async def receive_multipart(
    request: web.Request,
    received: ReceivedBody,
    storage: Storage,
    folder: str,
    limits: UploadSettings,
    keep_in_memory: Callable[[str], bool],
    *,
    known: frozenset[str],
    endpoint: str = "POST /runs",
) -> None:
    """Read every part into `received`; `known` are the field names a text part may have."""
    budget = _Budget(limits)
    try:
        reader = await request.multipart()
        async for part in reader:
            budget.count_part()
            if not isinstance(part, BodyPartReader):
                raise InvalidRequest("Nested multipart bodies are not supported.")
            if part.name == ATTACHMENT_FIELD:
                attachment = await _attachment(
                    part, storage, folder, budget, keep_in_memory, received.names
                )
                received.attachments.append(attachment)
                if attachment.location is not None:
                    received.staged.append(attachment.location)
            elif part.name in known:
                if part.name in received.fields:
                    raise InvalidRequest(f"field {part.name} was sent more than once.")
                received.fields[part.name] = await _text_field(part, budget)
            else:
                raise InvalidRequest(_unknown_part(part.name, known, endpoint))
            # Parts already buffered are read without waiting; yield so that one large body
            # cannot hold the event loop (and every other request) until it is parsed.
            await asyncio.sleep(0)
    except (ValueError, aiohttp.ClientPayloadError, HttpProcessingError) as exc:
        # aiohttp raises these for a missing boundary or a garbled body (conformance.md §1).
        raise InvalidRequest(f"The multipart body is malformed: {exc}") from exc


def _unknown_part(name: str | None, known: frozenset[str], endpoint: str) -> str:
    what = f"a part named {name!r}" if name else "a part without a name"
    return (
        f"{endpoint} does not take {what}; its parts are {', '.join(sorted(known))} and "
        f"{ATTACHMENT_FIELD} (files, repeatable)."
    )


async def _text_field(part: BodyPartReader, budget: _Budget) -> str:
    data = bytearray()
    while chunk := await part.read_chunk(CHUNK):
        budget.take(f"field {part.name}", len(data) + len(chunk), len(chunk), in_memory=True)
        data += chunk
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
    taken.add(name)
    in_memory = keep_in_memory(name)
    md5 = hashlib.md5(usedforsecurity=False)
    size = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal size
        while chunk := await part.read_chunk(CHUNK):
            size += len(chunk)
            budget.take(f"workflow_attachment {name!r}", size, len(chunk), in_memory=in_memory)
            md5.update(chunk)
            yield chunk

    if in_memory:
        content = bytearray()
        async for chunk in chunks():
            content += chunk
        return Attachment(name=name, size=size, md5=md5.hexdigest(), content=bytes(content))
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
