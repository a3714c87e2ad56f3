"""A "Cromwell" that answers with raw bytes chosen per request path: cut bodies, oversized
headers, broken status lines, JSON sent as text/plain. Written on asyncio streams, because an
HTTP framework would refuse to send most of these."""

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


def http_response(
    status: str, body: bytes, *, content_type: str = "application/json", extra: bytes = b""
) -> bytes:
    """A well-formed HTTP/1.1 answer that closes its connection."""
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n"
    ).encode()
    return head + extra + b"\r\n" + body


@dataclass
class Misbehaving:
    """What the server answers (path -> raw bytes) and the paths it was asked for."""

    answers: Mapping[str, bytes]
    url: str = ""
    requested: list[str] = field(default_factory=list)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            path = request_line.split()[1].decode().split("?")[0]
            self.requested.append(path)
            writer.write(self.answers.get(path, http_response("404 Not Found", b"", extra=b"")))
            await writer.drain()
        finally:
            writer.close()


@asynccontextmanager
async def misbehaving_cromwell(answers: Mapping[str, bytes]) -> AsyncIterator[Misbehaving]:
    cromwell = Misbehaving(answers)
    server = await asyncio.start_server(cromwell._serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    cromwell.url = f"http://127.0.0.1:{port}"
    try:
        yield cromwell
    finally:
        server.close()
        await server.wait_closed()
