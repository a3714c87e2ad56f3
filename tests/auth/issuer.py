"""A token issuer for tests: key pairs, a JWKS and discovery server on a real socket, and tokens."""

import base64
import hashlib
import hmac
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

AUDIENCE = "https://wes.example.org"
JWKS_PATH = "/oauth/jwks"
DISCOVERY_PATH = "/.well-known/openid-configuration"


@dataclass(frozen=True)
class KeyPair:
    """A signing key of the test issuer, with the JWK it publishes."""

    kid: str
    algorithm: str
    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

    @property
    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def public_der_base64(self) -> str:
        der = self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode()

    @property
    def jwk(self) -> dict[str, Any]:
        algorithm = jwt.get_algorithm_by_name(self.algorithm)
        document = json.loads(algorithm.to_jwk(self.private_key.public_key()))
        return {**document, "kid": self.kid, "use": "sig"}


def rsa_pair(kid: str) -> KeyPair:
    return KeyPair(kid, "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))


def ec_pair(kid: str) -> KeyPair:
    return KeyPair(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))


@dataclass
class Issuer:
    """Serves `/.well-known/openid-configuration` and a JWKS the test may change, and counts
    the requests each path receives."""

    keys: list[KeyPair]
    url: str = ""
    requests: Counter[str] = field(default_factory=Counter)
    discovery_issuer: str | None = None
    """The `issuer` the discovery document names; the issuer's own URL unless a test says."""
    broken: bool = False
    """Answer 500 to every request, as an issuer in trouble."""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(DISCOVERY_PATH, self._discovery)
        app.router.add_get(JWKS_PATH, self._jwks)
        return app

    @property
    def jwks_uri(self) -> str:
        return self.url + JWKS_PATH

    @property
    def jwks_requests(self) -> int:
        return self.requests[JWKS_PATH]

    @property
    def discovery_requests(self) -> int:
        return self.requests[DISCOVERY_PATH]

    async def _discovery(self, request: web.Request) -> web.Response:
        self.requests[request.path] += 1
        if self.broken:
            raise web.HTTPInternalServerError()
        issuer = self.discovery_issuer or self.url
        return web.json_response({"issuer": issuer, "jwks_uri": self.jwks_uri})

    async def _jwks(self, request: web.Request) -> web.Response:
        self.requests[request.path] += 1
        if self.broken:
            raise web.HTTPInternalServerError()
        return web.json_response({"keys": [key.jwk for key in self.keys]})

    def claims(self, **changes: Any) -> dict[str, Any]:
        """Claims of a valid token, with `changes` applied (a None value removes the claim)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.url,
            "aud": AUDIENCE,
            "sub": "alice",
            "iat": now,
            "exp": now + 300,
            "scope": "openid wes",
        }
        claims.update(changes)
        return {name: value for name, value in claims.items() if value is not None}

    def token(
        self,
        key: KeyPair,
        headers: dict[str, Any] | None = None,
        *,
        with_kid: bool = True,
        **changes: Any,
    ) -> str:
        kid = {"kid": key.kid} if with_kid else {}
        return jwt.encode(
            self.claims(**changes),
            key.private_key,
            algorithm=key.algorithm,
            headers={**kid, **(headers or {})},
        )


def bearer(token: str) -> dict[str, str]:
    """The headers of a request carrying `token`."""
    return {"Authorization": f"Bearer {token}"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(claims: dict[str, Any], kid: str) -> str:
    """A token with `alg: none` and no signature (RFC 7519 §6)."""
    header = b64url(json.dumps({"alg": "none", "typ": "JWT", "kid": kid}).encode())
    return f"{header}.{b64url(json.dumps(claims).encode())}."


def hmac_token(claims: dict[str, Any], secret: bytes, kid: str) -> str:
    """An HS256 token whose secret is `secret`: with the issuer's public key as the secret, this
    is the key-confusion attack (RFC 8725 §2.1)."""
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    signing_input = f"{header}.{b64url(json.dumps(claims).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def tampered(token: str, **changes: Any) -> str:
    """`token` with its payload rewritten and its original signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    return f"{header}.{b64url(json.dumps(claims).encode())}.{signature}"


class FakeClock:
    """A monotonic clock that moves only when the test says."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
