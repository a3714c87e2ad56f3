"""The audit trail: one log line per WES action, naming the caller, the run and the outcome.

Handlers declare their action with `@audited("wes:runs:submit")`; the gateway's middleware
(`api.pipeline`) writes the line once the answer is known, so refused and failed attempts are
audited too.
"""

from collections.abc import Callable
from typing import Any, TypeVar

import orjson
from aiohttp import web

H = TypeVar("H", bound=Callable[..., Any])
_ACTION = "__audit_action__"
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


def action_of(handler: object) -> str | None:
    """The action a handler was marked with (`audited`), if any."""
    action = getattr(handler, _ACTION, None)
    return action if isinstance(action, str) else None


def audited_run_id(
    request: web.Request, action: str | None, response: web.StreamResponse | None, status: int
) -> str | None:
    """The run an audited action was about: named in its path, or created by a submission."""
    run_id = request.match_info.get("run_id")
    if run_id is None and action == SUBMIT:
        run_id = _answered_run_id(response, status)
    return run_id


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
