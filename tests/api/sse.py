"""A server-sent events reader for tests: the text/event-stream format read off a socket, as a
browser would, with a deadline on every wait."""

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp


@dataclass(frozen=True)
class Sse:
    event: str
    id: str | None
    data: dict[str, Any]


@dataclass
class Stream:
    """One open event stream: its response and what has been read of it."""

    response: aiohttp.ClientResponse
    comments: list[str] = field(default_factory=list)
    ended: bool = False

    async def next(self, within: float = 15.0) -> Sse:
        """The next event; AssertionError if none comes in time or the stream ends first."""
        async with asyncio.timeout(within):
            while True:
                raw = await self.frame(within)
                if raw is None:
                    raise AssertionError("the stream ended instead of sending an event")
                fields: dict[str, list[str]] = {}
                for line in raw.decode().splitlines():
                    name, _, value = line.partition(":")
                    fields.setdefault(name, []).append(value[1:] if value[:1] == " " else value)
                if "data" in fields:
                    event, event_id = fields.get("event", [None])[-1], fields.get("id", [None])[-1]
                    return Sse(event or "message", event_id, json.loads("\n".join(fields["data"])))

    async def frame(self, within: float = 15.0) -> bytes | None:
        """The next event exactly as it came, its lines without the blank line that ends it
        (comments kept in `comments`); None once the stream has ended."""
        lines: list[bytes] = []
        async with asyncio.timeout(within):
            while True:
                raw = await self.response.content.readline()
                if not raw:
                    self.ended = True
                    return None
                if raw in (b"\r\n", b"\n"):
                    if lines:
                        return b"".join(lines)
                elif raw.startswith(b":"):
                    self.comments.append(raw[1:].decode().strip())
                else:
                    lines.append(raw)

    async def comment(self, within: float = 15.0) -> str:
        """The next comment line (a keep-alive), skipping nothing else: an event fails it."""
        async with asyncio.timeout(within):
            while True:
                raw = await self.response.content.readline()
                if not raw:
                    raise AssertionError("the stream ended instead of sending a comment")
                line = raw.decode().rstrip("\r\n")
                if line.startswith(":"):
                    return line[1:].strip()
                if line:
                    raise AssertionError(f"an event came before any comment: {line!r}")

    async def until(self, predicate: Any, within: float = 30.0) -> list[Sse]:
        """Every event up to and including the first that `predicate` accepts."""
        seen: list[Sse] = []
        async with asyncio.timeout(within):
            while True:
                seen.append(await self.next(within))
                if predicate(seen[-1]):
                    return seen

    async def rest(self, within: float = 30.0) -> list[Sse]:
        """Every event until the server ends the stream."""
        seen: list[Sse] = []
        async with asyncio.timeout(within):
            while True:
                try:
                    seen.append(await self.next(within))
                except AssertionError:
                    if self.ended:
                        return seen
                    raise


@asynccontextmanager
async def open_stream(
    session: Any, url: str, *, headers: Mapping[str, str] | None = None, expect: int = 200
) -> AsyncIterator[Stream]:
    """GET `url` as an event stream (`session`: an aiohttp session or test client)."""
    async with session.get(url, headers={"Accept": "text/event-stream", **(headers or {})}) as r:
        if r.status != expect:
            raise AssertionError(f"GET {url}: {r.status} {(await r.read())[:300]!r}")
        if expect == 200:
            assert r.headers["Content-Type"].startswith("text/event-stream"), r.headers
        yield Stream(r)
