"""The audit trail: one log line per WES action, naming the caller, the run and the outcome.

Handlers declare their action with `@audited("wes:runs:submit")`; the access middleware writes
the line once the answer is known, so refused and failed attempts are audited too.
"""

import logging
from collections.abc import Callable
from typing import Any, Final, TypeVar

import orjson
from aiohttp import web

from cromwes.auth.base import principal_of
from cromwes.observability.loglines import LogLines

AUDIT: Final = "cromwes.audit"
REQUEST_ID = web.RequestKey("request_id", str)
"""The id of the request being served (`observability.request_ids`), set by the access
middleware."""

H = TypeVar("H", bound=Callable[..., Any])
_ACTION = "__audit_action__"
CLIENT_SUBJECT = "X-SSL-Client-S-DN"
"""The verified client certificate's subject, set by the mTLS proxy (nginx/nginx.conf)."""
MAX_RUN_ID_BODY = 1024
"""Answers that name a new run (`{"run_id": ...}`) are tiny; larger bodies are never parsed."""


SUBMIT = "wes:runs:submit"
"""The one action whose run id is in its answer rather than its path."""


def audited(action: str) -> Callable[[H], H]:
    """Mark a handler as performing `action` (e.g. `wes:run:cancel`)."""

    def mark(handler: H) -> H:
        setattr(handler, _ACTION, action)
        return handler

    return mark


def action_of(request: web.Request) -> str | None:
    action = getattr(request.match_info.handler, _ACTION, None)
    return action if isinstance(action, str) else None


def audit(
    request: web.Request,
    lines: LogLines,
    action: str,
    response: web.StreamResponse | None,
    status: int,
) -> None:
    if not lines.enabled_for(logging.INFO, AUDIT):
        return
    principal = principal_of(request)
    run_id = request.match_info.get("run_id")
    if run_id is None and action == SUBMIT:
        run_id = _answered_run_id(response, status)
    lines.emit(
        logging.INFO,
        AUDIT,
        f"{action} by {principal.id or 'anonymous'} on {run_id or '-'}: {status}",
        {
            "audit": True,
            "action": action,
            "principal": principal.id,
            "authenticated": principal.authenticated,
            "run_id": run_id,
            "status": status,
            "client_subject": request.headers.get(CLIENT_SUBJECT),
            "request_id": request[REQUEST_ID],
        },
    )


def _answered_run_id(response: web.StreamResponse | None, status: int) -> str | None:
    """The run a submission created, read from the answer the client received."""
    if status != 200 or not isinstance(response, web.Response):
        return None
    body = response.body
    if not isinstance(body, bytes) or len(body) > MAX_RUN_ID_BODY:
        return None
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    run_id = document.get("run_id") if isinstance(document, dict) else None
    return run_id if isinstance(run_id, str) else None
