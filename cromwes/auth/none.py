"""NO_AUTH: every caller is anonymous and allowed (meant for loopback behind the mTLS proxy)."""

from aiohttp import web

from cromwes.auth.base import ANONYMOUS, Principal


class NoAuthenticator:
    async def authenticate(self, request: web.Request) -> Principal:
        return ANONYMOUS

    async def authorize(self, request: web.Request, principal: Principal) -> None:
        return None
