"""The audit trail: one log line per WES action, naming the caller, the run and the outcome.

Handlers declare their action with `@audited("wes:runs:submit")`; the access middleware writes
the line once the answer is known, so refused and failed attempts are audited too.
"""

import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web

from cromwes.auth.base import principal_of

logger = logging.getLogger("cromwes.audit")

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
    request: web.Request, action: str, response: web.StreamResponse | None, status: int
) -> None:
    if not logger.isEnabledFor(logging.INFO):
        return
    principal = principal_of(request)
    run_id = request.match_info.get("run_id")
    if run_id is None and action == SUBMIT:
        run_id = _answered_run_id(response, status)
    logger.info(
        "%s by %s on %s: %d",
        action,
        principal.id or "anonymous",
        run_id or "-",
        status,
        extra={
            "audit": True,
            "action": action,
            "principal": principal.id,
            "authenticated": principal.authenticated,
            "run_id": run_id,
            "status": status,
            "client_subject": request.headers.get(CLIENT_SUBJECT),
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
        document = json.loads(body)
    except ValueError:
        return None
    run_id = document.get("run_id") if isinstance(document, dict) else None
    return run_id if isinstance(run_id, str) else None
