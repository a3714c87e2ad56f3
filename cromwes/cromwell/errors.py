"""What a Cromwell error answer means for a WES client (a pure function, table-tested).

Cromwell answers errors as `{"status": "fail"|"error", "message": ...}`, except its request
timeout, a plain-text 503 (../shared/cromwell/errors.json), and a route it does not have, which
its HTTP framework answers with a plain-text 404 (small-bodies-recorded.json). A JSON error is
read whatever its content type: Cromwell 34 sent them as text/plain.
"""

import json

from cromwes.errors import (
    CromwellUnavailable,
    InvalidRequest,
    RunNotFound,
    UpstreamError,
    WesError,
)

MAX_MESSAGE = 500
RETRY_AFTER_SECONDS = 5
WORKFLOW_OPERATIONS = frozenset(
    {"status", "metadata", "outputs", "logs", "labels", "abort", "release_hold"}
)


def _error_document(body: str) -> dict[str, str] | None:
    """Cromwell's own `{status, message}` error, or None for any other body."""
    try:
        document = json.loads(body)
    except ValueError:
        return None
    if isinstance(document, dict) and isinstance(document.get("message"), str):
        return document
    return None


def cromwell_message(body: str) -> str:
    """The `message` of a Cromwell error body, or its text when it is not JSON."""
    document = _error_document(body)
    text = document["message"] if document is not None else body.strip()
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + "…"


def cromwell_error(
    status: int,
    body: str,
    *,
    operation: str,
    cromwell_url: str,
    workflow_id: str | None = None,
) -> WesError:
    """The WES error for Cromwell's answer `status`/`body` to `operation`."""
    message = cromwell_message(body)
    if (
        workflow_id is not None
        and operation in WORKFLOW_OPERATIONS
        and status in (400, 404)
        and _error_document(body) is not None
    ):
        # 400 is Cromwell's "Invalid workflow ID", 404 its "Unrecognized workflow ID": to a WES
        # client both mean there is no such run (the spec declares no 400 for these operations).
        # A 404 that is not Cromwell's JSON comes from a route Cromwell lacks (a wrong
        # cromwell.url, a proxy): claiming the run does not exist would be a lie, so it is a 502.
        return RunNotFound(workflow_id)
    if operation == "submit" and 400 <= status < 500:
        return InvalidRequest(f"Cromwell refused the workflow: {message}")
    if status == 503:
        return CromwellUnavailable(
            f"Cromwell at {cromwell_url} is unavailable ({message}); retry shortly.",
            retry_after=RETRY_AFTER_SECONDS,
        )
    if status >= 500:
        return UpstreamError(
            f"Cromwell at {cromwell_url} failed ({status}) on {operation}: {message}"
        )
    return UpstreamError(f"Cromwell at {cromwell_url} answered {status} to {operation}: {message}")
