"""The one place errors become WES ErrorResponses (`{"msg", "status_code"}`), and the caller
check; both steps of the gateway's middleware (`api.pipeline`)."""

import logging
from typing import Any

from aiohttp import hdrs, web
from marshmallow import ValidationError

from cromwes.api.render import json_response
from cromwes.appkeys import AUTHENTICATOR
from cromwes.auth.base import PRINCIPAL, Principal
from cromwes.errors import InvalidRequest, WesError

logger = logging.getLogger(__name__)

INTERNAL_ERROR = "The service failed to handle this request; the incident is logged."
_KEEP_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After", "Content-Range")
AUTHORIZATION = hdrs.AUTHORIZATION


def error_body(status: int, msg: str) -> dict[str, Any]:
    # `error_code` repeats the status for clients of DNAstack's service, which used that name.
    return {"msg": msg, "status_code": status, "error_code": status}


def error_response(status: int, msg: str, headers: dict[str, str] | None = None) -> web.Response:
    return json_response(error_body(status, msg), status=status, headers=headers)


def validation_message(messages: Any, prefix: str = "") -> str:
    """`field: problem` for each field of a marshmallow error, nested fields dotted."""
    if isinstance(messages, dict):
        parts = []
        for key, value in messages.items():
            name = f"{prefix}{key}" if key != "_schema" else prefix.rstrip(".")
            parts.append(validation_message(value, f"{name}."))
        return "; ".join(part for part in parts if part)
    if isinstance(messages, list):
        text = " ".join(
            str(m) if not isinstance(m, dict | list) else validation_message(m, prefix)
            for m in messages
        )
        field = prefix.rstrip(".")
        return f"{field}: {text}" if field else text
    field = prefix.rstrip(".")
    return f"{field}: {messages}" if field else str(messages)


def raise_invalid(error: ValidationError, *args: Any, **kwargs: Any) -> None:
    """webargs' error callback: malformed input is a 400 (WES), not webargs' default 422."""
    raise InvalidRequest("Invalid request: " + validation_message(error.messages)) from error


def error_answer(request: web.Request, exc: Exception) -> web.Response:
    """The ErrorResponse for a failure while answering `request`: a `WesError` with its own
    status, a marshmallow `ValidationError` as 400, aiohttp's own `HTTPException` (404, 405,
    413) with its status and the headers that matter, anything else as a 500 that exposes no
    internals (its traceback is logged). A redirect (an HTTPException below 400) is raised again.
    """
    if isinstance(exc, WesError):
        if exc.status_code >= 500:
            logger.warning("%s %s failed: %s", request.method, request.path, exc.msg)
        return error_response(exc.status_code, exc.msg, exc.headers)
    if isinstance(exc, ValidationError):
        return error_response(400, "Invalid request: " + validation_message(exc.messages))
    if isinstance(exc, web.HTTPException):
        if exc.status < 400:
            raise exc
        headers = {k: v for k, v in exc.headers.items() if k in _KEEP_HEADERS}
        return error_response(exc.status, _http_message(exc, request), headers)
    logger.error("unhandled error in %s %s", request.method, request.path, exc_info=exc)
    return error_response(500, INTERNAL_ERROR)


def _http_message(exc: web.HTTPException, request: web.Request) -> str:
    if isinstance(exc, web.HTTPNotFound):
        return f"No such resource: {request.path}"
    if isinstance(exc, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(exc.allowed_methods))
        return f"{exc.method} is not allowed on {request.path}; allowed: {allowed}."
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        return f"The request body is too large: {exc.text}"
    return exc.reason


PUBLIC_TREES = ("/services", "/health", "/actuator/health", "/actuator/info", "/docs", "/ui")
"""Public with everything below them, by whole path segments: `/docs/openapi.json` is public,
`/docsX` is not (a raw prefix would make it so)."""
PUBLIC_PATHS = frozenset({"/", "/ga4gh/wes/v1/service-info", "/service-info"})


def is_public(path: str) -> bool:
    """Paths anyone may call (reference-service.md §1.11); all else needs a verified caller."""
    return path in PUBLIC_PATHS or within(path, PUBLIC_TREES)


def within(path: str, trees: tuple[str, ...]) -> bool:
    """Whether `path` is one of `trees` or lies below one, compared by whole segments."""
    # One str.startswith over them all first: false for nearly every request, and cheap.
    return path.startswith(trees) and any(
        path == tree or path.startswith(tree + "/") for tree in trees
    )


def needs_caller(request: web.Request) -> bool:
    """Whether the caller must be authenticated: anything but a preflight, or a public path
    called without credentials (which is anonymous)."""
    return request.method != "OPTIONS" and (
        not is_public(request.path) or AUTHORIZATION in request.headers
    )


async def caller(request: web.Request) -> Principal:
    """The authenticated caller of `request` (`needs_caller`), stored on it (`PRINCIPAL`), once
    it may call this route; Unauthorized or Forbidden otherwise."""
    authenticator = request.app[AUTHENTICATOR]
    principal = await authenticator.authenticate(request)
    request[PRINCIPAL] = principal
    if not is_public(request.path):
        await authenticator.authorize(request, principal)
    return principal
