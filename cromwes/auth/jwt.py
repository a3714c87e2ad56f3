"""OAUTH: the caller presents a JWT bearer token from the configured issuer (RFC 6750, RFC 9068).

A token is accepted when
- its `alg` is on the configured allow-list, which holds asymmetric algorithms only, and suits
  the key that verifies it (`cromwes.auth.algorithms`);
- its signature verifies with the issuer's key for its `kid` (`cromwes.auth.keys`);
- `iss` is the configured issuer, `aud` names one of the configured audiences, `exp` is present
  and not past, and `nbf` and `iat`, when present, are not in the future, each with `leeway`
  seconds of tolerance for clock skew. `iat` is optional: the reference service crashed without
  it (reference-service.md §10.28);
- the claim named by `auth.user_claim` (default `sub`) is a non-empty string: the caller's id.
A valid caller without every scope in `auth.token_issuer.scopes` gets 403 on protected routes
(the reference service configured but never enforced them). Scopes are read from `scope`
(space-separated, RFC 8693 §4.2) or `scp` (a list, as Okta and Azure AD write it).

Failures answer 401 with `WWW-Authenticate: Bearer ... error="invalid_token"` (RFC 6750 §3.1) and
a description chosen here, never text taken from the token. Tokens are never logged.
"""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from aiohttp import web

from cromwes.auth.algorithms import symmetric_or_unknown
from cromwes.auth.base import Principal
from cromwes.auth.keys import KeySource
from cromwes.errors import Forbidden, Unauthorized

logger = logging.getLogger(__name__)

REALM = "cromwes"


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenRules:
    """What a token must satisfy, from `auth.token_issuer` and `auth.user_claim`."""

    issuer: str
    audiences: tuple[str, ...]
    algorithms: tuple[str, ...]
    leeway: float
    required_scopes: frozenset[str] = frozenset()
    user_claim: str = "sub"

    def __post_init__(self) -> None:
        # config_checks refuses these at load time; a Settings built in code must not slip by.
        if refused := symmetric_or_unknown(self.algorithms):
            raise ValueError(f"only asymmetric JWS algorithms may verify tokens, not {refused}")
        if not self.audiences:
            raise ValueError("at least one audience is required")


class BearerAuthenticator:
    """Verifies JWT bearer tokens; authorizes a valid caller that holds the required scopes."""

    def __init__(self, keys: KeySource, rules: TokenRules) -> None:
        self._keys = keys
        self._rules = rules
        # Some issuers write URLs with a trailing slash (Auth0's `iss`, resource-style `aud`);
        # the settings strip it, so either spelling matches.
        self._issuers = _with_and_without_slash((rules.issuer,))
        self._audiences = _with_and_without_slash(rules.audiences)

    async def authenticate(self, request: web.Request) -> Principal:
        token = bearer_token(request.headers.get("Authorization"))
        claims = await self.verified_claims(token)
        user_id = claims.get(self._rules.user_claim)
        if not isinstance(user_id, str) or not user_id:
            raise invalid_token(f"The token has no {self._rules.user_claim} claim naming the user.")
        return Principal(id=user_id, authenticated=True, claims=claims, scopes=token_scopes(claims))

    async def authorize(self, request: web.Request, principal: Principal) -> None:
        require_scopes(principal, self._rules.required_scopes)

    async def verified_claims(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise invalid_token("The token is not a well-formed JWT.") from exc
        algorithm = header.get("alg")
        if algorithm not in self._rules.algorithms:
            allowed = ", ".join(self._rules.algorithms)
            raise invalid_token(f"The token's algorithm is not one of {allowed}.")
        key = await self._keys.signing_key(header.get("kid"))
        if key is None:
            raise invalid_token("The token is signed with a key the issuer does not publish.")
        if algorithm not in key.algorithms:
            raise invalid_token("The token's algorithm does not suit the issuer's key.")
        try:
            return jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=self._audiences,
                issuer=self._issuers,
                leeway=self._rules.leeway,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            logger.info("refused a bearer token: %s", type(exc).__name__)
            raise invalid_token(_description(exc)) from exc


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1)."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        # No credentials of our kind: a bare challenge, no error code (RFC 6750 §3.1).
        raise Unauthorized("A bearer token is required.", challenge=f'Bearer realm="{REALM}"')
    token = token.strip()
    if not token:
        raise invalid_token("The bearer token is empty.")
    return token


def token_scopes(claims: Mapping[str, Any]) -> frozenset[str]:
    scopes: set[str] = set()
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            scopes.update(value.split())
        elif isinstance(value, list):
            scopes.update(item for item in value if isinstance(item, str))
    return frozenset(scopes)


def require_scopes(principal: Principal, required: Iterable[str]) -> None:
    """403 with an `insufficient_scope` challenge (RFC 6750 §3.1) unless every scope is held."""
    missing = sorted(set(required) - principal.scopes)
    if missing:
        wanted = " ".join(sorted(required))
        raise Forbidden(
            f"The token lacks the scope(s) {', '.join(missing)}.",
            headers={
                "WWW-Authenticate": (
                    f'Bearer realm="{REALM}", error="insufficient_scope", scope="{wanted}"'
                )
            },
        )


def invalid_token(description: str) -> Unauthorized:
    return Unauthorized(
        f"Invalid bearer token: {description}",
        challenge=(
            f'Bearer realm="{REALM}", error="invalid_token", '
            f'error_description="{_quotable(description)}"'
        ),
    )


def _description(exc: jwt.PyJWTError) -> str:
    if isinstance(exc, jwt.ExpiredSignatureError):
        return "The token has expired."
    if isinstance(exc, jwt.ImmatureSignatureError):
        return "The token is not valid yet."
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"The token has no {exc.claim} claim."
    if isinstance(exc, jwt.InvalidAudienceError):
        return "The token is not meant for this service (aud)."
    if isinstance(exc, jwt.InvalidIssuerError):
        return "The token comes from another issuer (iss)."
    if isinstance(exc, jwt.InvalidSignatureError):
        return "The token's signature does not verify."
    if isinstance(exc, jwt.InvalidIssuedAtError):
        return "The token's iat claim is not a number."
    return "The token is malformed."


def _with_and_without_slash(urls: Iterable[str]) -> tuple[str, ...]:
    return tuple(
        sorted({form for url in urls for form in (url.rstrip("/"), url.rstrip("/") + "/")})
    )


def _quotable(text: str) -> str:
    """Only the characters RFC 6750 §3 allows in `error_description` (no quote, no backslash)."""
    return "".join(c for c in text if 0x20 <= ord(c) <= 0x7E and c not in '"\\')
