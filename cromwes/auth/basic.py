"""BASIC_AUTH: users and passwords from the settings, checked without leaking which users exist.

Passwords are stored plain or as bcrypt hashes (`auth.basic_auth.bcrypted`, made with
`cromwes hash-password`). Plain passwords are compared as SHA-256 digests with
`hmac.compare_digest`, so the time taken says nothing about the password or its length. bcrypt
is slow on purpose (about a quarter second at the default cost), so it runs in a worker thread,
never on the event loop; an unknown user is checked against a real hash all the same, so the
answer takes as long as for a known one.

A successful bcrypt check is remembered for a few minutes, keyed by an HMAC of the user name and
password under a key made at start: a client polling run status every few seconds would
otherwise spend a CPU core on hashing. Failures are never remembered.

The user name is the caller's id, so runs get the user label and may be scoped per user (the
reference service did neither in this mode, reference-service.md §10.29).
"""

import asyncio
import base64
import binascii
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable, Sequence

import bcrypt
from aiohttp import web

from cromwes.auth.base import Principal
from cromwes.cache import LruCache
from cromwes.config.settings import BasicAuthUser
from cromwes.errors import Unauthorized

logger = logging.getLogger(__name__)

CHALLENGE = 'Basic realm="cromwes"'
VERIFIED_TTL = 300.0
VERIFIED_MAX_ENTRIES = 4096


class BasicAuthenticator:
    """HTTP basic authentication (RFC 7617) against the configured users."""

    def __init__(
        self,
        users: Sequence[BasicAuthUser],
        *,
        bcrypted: bool,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._passwords = {user.username: user.password.encode() for user in users}
        self._bcrypted = bcrypted
        self._decoy = next(iter(self._passwords.values()), None)
        self._cache_key = secrets.token_bytes(32)
        self._verified: LruCache[bytes, bool] = LruCache(VERIFIED_MAX_ENTRIES, clock=clock)

    async def authenticate(self, request: web.Request) -> Principal:
        username, password = basic_credentials(request.headers.get("Authorization"))
        if not await self._verify(username, password):
            logger.info("refused basic credentials for user %r", username)
            raise Unauthorized("The user name or password is wrong.", challenge=CHALLENGE)
        return Principal(id=username, authenticated=True)

    async def authorize(self, request: web.Request, principal: Principal) -> None:
        return None

    async def _verify(self, username: str, password: bytes) -> bool:
        stored = self._passwords.get(username)
        if self._decoy is None:
            return False
        if not self._bcrypted:
            same = hmac.compare_digest(_sha256(password), _sha256(stored or self._decoy))
            return same and stored is not None
        remembered = self._remembered(username, password)
        if self._verified.get(remembered):
            return True
        same = await asyncio.to_thread(_checkpw, password, stored or self._decoy)
        if same and stored is not None:
            self._verified.put(remembered, True, size=1, ttl=VERIFIED_TTL)
            return True
        return False

    def _remembered(self, username: str, password: bytes) -> bytes:
        name = username.encode()
        message = len(name).to_bytes(4, "big") + name + password
        return hmac.new(self._cache_key, message, hashlib.sha256).digest()


def basic_credentials(authorization: str | None) -> tuple[str, bytes]:
    """(user name, password) from an `Authorization: Basic` header; 401 if absent or malformed."""
    scheme, _, encoded = (authorization or "").strip().partition(" ")
    if scheme.lower() != "basic":
        raise Unauthorized("A user name and password are required.", challenge=CHALLENGE)
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
        username, colon, password = decoded.decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise Unauthorized("Malformed basic credentials.", challenge=CHALLENGE) from exc
    if not colon:
        raise Unauthorized("Malformed basic credentials.", challenge=CHALLENGE)
    return username, password.encode()


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _checkpw(password: bytes, hashed: bytes) -> bool:
    try:
        return bcrypt.checkpw(password, hashed)
    except ValueError:
        # bcrypt 5 refuses passwords over 72 bytes, which no stored hash can match.
        return False
