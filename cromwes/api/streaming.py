"""Send a stored file or a byte string with HTTP range support and constant memory."""

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from email.utils import format_datetime
from typing import TypeVar

from aiohttp import web

from cromwes.api.ranges import byte_range
from cromwes.errors import NotFound
from cromwes.observability.request_ids import CURRENT, HEADER
from cromwes.storage.base import Storage

OCTETS = "application/octet-stream"
T = TypeVar("T")
S = TypeVar("S", bound=web.StreamResponse)


STREAMED = web.RequestKey("streamed", web.StreamResponse)
"""The answer a handler started to stream: a failure after this point cannot be answered."""


async def start_stream(request: web.Request, response: S) -> S:
    """Send the status and headers of an answer the handler streams, `X-Request-ID` among them
    (the gateway's middleware adds it to the answers handlers return, too late for these)."""
    if (request_id := CURRENT.get()) is not None:
        response.headers[HEADER] = request_id
    streamed: web.StreamResponse = response
    request[STREAMED] = streamed
    await response.prepare(request)
    return response


async def send_file(
    request: web.Request, storage: Storage, path: str, *, content_type: str = OCTETS
) -> web.StreamResponse:
    """Stream `path` (or the requested byte range of it) from storage."""
    info = await storage.stat(path)
    selected = byte_range(request.headers.get("Range"), info.size)
    first, last = selected if selected is not None else (0, info.size - 1)
    response = _response(selected, info.size, first, last, content_type)
    if info.last_modified is not None:
        response.headers["Last-Modified"] = format_datetime(info.last_modified, usegmt=True)
    await start_stream(request, response)
    if info.size and request.method != "HEAD":
        # aclosing: a client that hangs up mid-stream must not leave the file open until GC.
        async with aclosing(storage.read(path, first, last)) as chunks:
            async for chunk in chunks:
                await response.write(chunk)
    await response.write_eof()
    return response


async def send_bytes(
    request: web.Request, data: bytes, *, content_type: str = OCTETS
) -> web.StreamResponse:
    selected = byte_range(request.headers.get("Range"), len(data))
    first, last = selected if selected is not None else (0, len(data) - 1)
    response = _response(selected, len(data), first, last, content_type)
    await start_stream(request, response)
    await response.write(data[first : last + 1])
    await response.write_eof()
    return response


def _response(
    selected: tuple[int, int] | None, size: int, first: int, last: int, content_type: str
) -> web.StreamResponse:
    response = web.StreamResponse(status=206 if selected is not None else 200)
    response.content_type = content_type
    # Logs and files hold whatever a task wrote: a browser must not guess them to be HTML.
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Accept-Ranges"] = "bytes"
    response.content_length = last - first + 1 if size else 0
    if selected is not None:
        response.headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    return response


async def follow_file(
    request: web.Request,
    storage: Storage,
    path: str,
    *,
    finished: Callable[[], Awaitable[bool]],
    poll_interval: float,
    max_duration: float,
) -> web.StreamResponse:
    """Stream `path` from the start and then every byte appended to it, until `finished()`.

    Chunked, so the client reads bytes as the task writes them; the last read happens after
    `finished()` turned true, so nothing written before the end is lost. A client that hangs
    up ends the polling within `poll_interval`, even while a check is still waiting on Cromwell
    (aiohttp does not cancel a handler when its client goes, so this loop must notice).
    """
    response = web.StreamResponse()
    response.content_type = "text/plain"
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # nginx would otherwise hold the stream back
    response.enable_chunked_encoding()
    await start_stream(request, response)
    deadline = time.monotonic() + max_duration
    offset = 0
    try:
        while True:
            done = await _unless_gone(request, finished(), poll_interval)
            done = done or time.monotonic() > deadline
            size = await _unless_gone(request, _size(storage, path), poll_interval)
            if size > offset:
                async with aclosing(storage.read(path, offset, size - 1)) as chunks:
                    async for chunk in chunks:
                        await response.write(chunk)
                        offset += len(chunk)
            if done:
                break
            await _unless_gone(request, asyncio.sleep(poll_interval), poll_interval)
    except (_ClientGone, ConnectionResetError):
        # Nobody reads any more: stop polling; there is no one to send the end of the stream.
        return response
    await response.write_eof()
    return response


class _ClientGone(Exception):
    """The client of a streaming response hung up."""


async def _unless_gone(request: web.Request, step: Awaitable[T], poll_interval: float) -> T:
    """`step`'s result; _ClientGone (with `step` cancelled) once the client has hung up."""
    task = asyncio.ensure_future(step)
    while True:
        finished, _ = await asyncio.wait({task}, timeout=poll_interval)
        if finished:
            return task.result()
        if _client_gone(request):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            raise _ClientGone


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


async def _size(storage: Storage, path: str) -> int:
    try:
        return (await storage.stat(path)).size
    except NotFound:
        return 0
