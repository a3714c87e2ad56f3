"""How the emulator fetches a `workflowUrl` or an import by URL: http(s) on loopback only, never
a host file, never one of its own listeners.

A submission names URLs; the emulator shares its machine with the gateway and its own control
API (whose request log holds the gateway's headers). So every fetch carries a token of this
emulator instance, and the `SelfFetchGuard` middleware on each of its listeners refuses a request
that carries it: whatever address or redirect a URL takes, the emulator cannot read itself.
"""

import secrets
import urllib.parse

import aiohttp
from aiohttp import web

from cromwes.emulator.faults import Handler
from cromwes.emulator.wdlsource import Fetch

FETCH_HEADER = "Cromwes-Emulator-Fetch"
REFUSED_HEADER = "Cromwes-Emulator-Refused"
SELF_FETCH = "the emulator does not fetch from itself"
MAX_REDIRECTS = 10
MAX_SOURCE_BYTES = 16 * 1024 * 1024


class SelfFetchGuard:
    """Marks this emulator's own fetches, and refuses them on its listeners."""

    def __init__(self) -> None:
        self.token = secrets.token_urlsafe(24)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        presented = request.headers.get(FETCH_HEADER, "")
        if presented and secrets.compare_digest(presented, self.token):
            return web.Response(status=403, text=SELF_FETCH, headers={REFUSED_HEADER: "self"})
        return await handler(request)


def url_fetcher(
    session: aiohttp.ClientSession, loopback_hosts: tuple[str, ...], guard: SelfFetchGuard
) -> Fetch:
    """Reads `http(s)://` URLs on loopback; refuses every other URL, `file://` included."""

    async def fetch(url: str) -> str:
        # Redirects are followed by hand, so that every hop passes the same checks.
        for _ in range(MAX_REDIRECTS + 1):
            _check(url, loopback_hosts)
            async with session.get(
                url, headers={FETCH_HEADER: guard.token}, allow_redirects=False
            ) as response:
                if response.headers.get(REFUSED_HEADER) == "self":
                    raise PermissionError(f"{SELF_FETCH}: {url}")
                if response.status in (301, 302, 303, 307, 308) and "Location" in response.headers:
                    url = urllib.parse.urljoin(url, response.headers["Location"])
                    continue
                response.raise_for_status()
                body = await response.content.read(MAX_SOURCE_BYTES + 1)
            if len(body) > MAX_SOURCE_BYTES:
                raise ValueError(f"{url} is larger than {MAX_SOURCE_BYTES // 2**20} MiB")
            return body.decode("utf-8")
        raise ValueError(f"{url}: more than {MAX_REDIRECTS} redirects")

    return fetch


def _check(url: str, loopback_hosts: tuple[str, ...]) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or (parts.hostname or "") not in loopback_hosts:
        raise PermissionError(
            f"the emulator reads no host file and fetches only loopback http(s) URLs: {url}"
        )
