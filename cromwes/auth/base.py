"""The authenticator seam (Starlette's backend shape) and the principal it yields."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of one request."""

    id: str | None
    """The caller's user id (a JWT claim, the basic-auth user name); None when anonymous."""
    authenticated: bool
    claims: Mapping[str, Any] = field(default_factory=dict)
    scopes: frozenset[str] = frozenset()


ANONYMOUS = Principal(id=None, authenticated=False)
PRINCIPAL = web.RequestKey("principal", Principal)
"""The request's principal (set by the caller check, `api.middlewares.caller`)."""


class Authenticator(Protocol):
    """Checks one request's credentials."""

    async def authenticate(self, request: web.Request) -> Principal:
        """The caller; `Unauthorized` for missing or bad credentials on a protected path."""
        ...

    async def authorize(self, request: web.Request, principal: Principal) -> None:
        """`Forbidden` if this caller may not call this route (scopes, Passport actions)."""
        ...


def principal_of(request: web.Request) -> Principal:
    principal: Principal = request.get(PRINCIPAL, ANONYMOUS)
    return principal
