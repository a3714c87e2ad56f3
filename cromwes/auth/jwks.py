"""The token issuer's JWKS, fetched over HTTP, cached, and refetched by `kid` under a rate limit.

Where the JWKS comes from, first match wins:
1. `auth.token_issuer.jwk_set_uri` (the reference service ignored it, reference-service.md §10.28);
2. the `jwks_uri` of the issuer's discovery document `<issuer>/.well-known/openid-configuration`
   (OpenID Connect Discovery 1.0 §4), whose `issuer` must be the configured one (§4.3).
A token never chooses where its key comes from: `jku`, `x5u` and `jwk` headers are ignored
(RFC 8725 §3.10), and symmetric (`oct`) or encryption-only (`use: enc`) keys are never used.

Refetching: the set is fetched on first use, again when it is older than `max_age` (so a key the
issuer withdrew stops verifying without a restart), and again when a token names a `kid` the set
does not hold (so a rotated-in key is picked up). Every fetch, whatever caused it and whether it
worked, counts against `refresh_interval`: a flood of tokens with made-up `kid`s costs the issuer
at most one request per interval, and concurrent requests share the fetch in flight.
"""

import json
import logging
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

import aiohttp

from cromwes.auth.keys import SigningKey, jwks_signing_keys
from cromwes.cache import SingleFlight
from cromwes.errors import UpstreamError

logger = logging.getLogger(__name__)

DISCOVERY_PATH = "/.well-known/openid-configuration"
MAX_DOCUMENT_BYTES = 1024 * 1024
"""A JWKS or discovery document larger than this is refused rather than read into memory."""
FETCH_TIMEOUT = 10.0


class JwksKeys:
    """The issuer's JWKS over HTTP, cached by `kid`, refetched under a rate limit."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        issuer: str,
        jwks_uri: str | None,
        algorithms: Collection[str],
        refresh_interval: float,
        max_age: float,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = FETCH_TIMEOUT,
    ) -> None:
        self._session = session
        self._issuer = issuer.rstrip("/")
        self._jwks_uri = jwks_uri
        self._discovered_uri: str | None = None
        self._algorithms = frozenset(algorithms)
        self._refresh_interval = refresh_interval
        self._max_age = max_age
        self._clock = clock
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._keys: tuple[SigningKey, ...] | None = None
        self._fetched_at = 0.0
        self._last_attempt: float | None = None
        self._last_error = ""
        self._fetching = False
        self._flight: SingleFlight[str, None] = SingleFlight()

    async def signing_key(self, kid: str | None) -> SigningKey | None:
        stale = self._keys is None or self._clock() - self._fetched_at >= self._max_age
        if stale and self._may_fetch():
            await self._refresh()
        found = self._find(kid)
        if found is None and self._may_fetch():
            await self._refresh()
            found = self._find(kid)
        if self._keys is None:
            raise UpstreamError(
                f"The token issuer's signing keys are unavailable: {self._last_error}"
            )
        return found

    def _find(self, kid: str | None) -> SigningKey | None:
        keys = self._keys or ()
        if kid is None:
            # A token without a kid is only unambiguous when the issuer publishes one key.
            return keys[0] if len(keys) == 1 else None
        return next((key for key in keys if key.kid == kid), None)

    def _may_fetch(self) -> bool:
        if self._fetching or self._last_attempt is None:
            return True
        return self._clock() - self._last_attempt >= self._refresh_interval

    async def _refresh(self) -> None:
        await self._flight.run("jwks", self._fetch)

    async def _fetch(self) -> None:
        self._fetching = True
        self._last_attempt = self._clock()
        try:
            uri = self._jwks_uri or self._discovered_uri or await self._discovered_jwks_uri()
            keys = jwks_signing_keys(await self._get_json(uri), self._algorithms)
        except (UpstreamError, ValueError) as exc:
            # Ask the discovery document again next time: the issuer may have moved its keys.
            self._discovered_uri = None
            self._last_error = exc.msg if isinstance(exc, UpstreamError) else str(exc)
            if self._keys is None:
                raise UpstreamError(
                    f"The token issuer's signing keys are unavailable: {self._last_error}"
                ) from exc
            logger.warning("keeping the cached signing keys: %s", self._last_error)
            return
        finally:
            self._fetching = False
        if self._jwks_uri is None:
            self._discovered_uri = uri
        self._keys = keys
        self._fetched_at = self._clock()
        logger.info(
            "fetched %d signing keys from %s (kids: %s)",
            len(keys),
            uri,
            ", ".join(str(key.kid) for key in keys),
        )

    async def _discovered_jwks_uri(self) -> str:
        url = self._issuer + DISCOVERY_PATH
        document = await self._get_json(url)
        if not isinstance(document, Mapping):
            raise ValueError(f"{url} is not a JSON object")
        if str(document.get("issuer", "")).rstrip("/") != self._issuer:
            raise ValueError(f"{url} names issuer {document.get('issuer')!r}, not {self._issuer}")
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
            raise ValueError(f"{url} has no http(s) jwks_uri")
        return jwks_uri

    async def _get_json(self, url: str) -> Any:
        """The JSON body of a 200 answer; every failure becomes an `UpstreamError`."""
        try:
            async with self._session.get(
                url, timeout=self._timeout, headers={"Accept": "application/json"}
            ) as response:
                if response.status != 200:
                    raise UpstreamError(f"{url} answered HTTP {response.status}")
                body = bytearray()
                async for chunk in response.content.iter_chunked(64 * 1024):
                    body += chunk
                    if len(body) > MAX_DOCUMENT_BYTES:
                        raise UpstreamError(f"{url} answered more than {MAX_DOCUMENT_BYTES} bytes")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise UpstreamError(f"{url} could not be reached: {exc!r}") from exc
        try:
            return json.loads(body)
        except ValueError as exc:
            raise UpstreamError(f"{url} did not answer JSON") from exc
