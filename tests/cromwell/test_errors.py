import json
from collections.abc import Callable
from typing import Any

import pytest

from cromwes.cromwell.errors import cromwell_error
from cromwes.errors import (
    CromwellUnavailable,
    InvalidRequest,
    RunNotFound,
    UpstreamError,
    WesError,
)

URL = "http://cromwell:8000"
ID = "97c27bcb-e724-4e42-bd8c-abc402af489f"


@pytest.mark.parametrize(
    ("case", "operation", "workflow_id", "expected", "status"),
    [
        ("invalid_workflow_id", "status", ID, RunNotFound, 404),
        ("unrecognized_workflow_id", "metadata", ID, RunNotFound, 404),
        ("abort_not_in_progress", "abort", ID, RunNotFound, 404),
        ("submit_bad_form_fields", "submit", None, InvalidRequest, 400),
        ("submit_bad_workflow_url", "submit", None, InvalidRequest, 400),
        ("submit_bad_options", "submit", None, InvalidRequest, 400),
        ("query_unrecognized_key", "query", None, UpstreamError, 502),
        ("metadata_too_large", "metadata", ID, UpstreamError, 502),
        ("metadata_read_timeout", "metadata", ID, UpstreamError, 502),
        ("request_timeout", "metadata", ID, CromwellUnavailable, 503),
        ("shutting_down", "query", None, CromwellUnavailable, 503),
        # Cromwell refusing the gateway is the gateway's trouble, not the caller's: never a 403.
        ("stats_disabled", "status", ID, UpstreamError, 502),
        ("wrong_method", "abort", ID, UpstreamError, 502),
    ],
)
def test_cromwell_errors_map_to_wes_errors(
    recorded: Callable[[str], Any],
    case: str,
    operation: str,
    workflow_id: str | None,
    expected: type[WesError],
    status: int,
) -> None:
    entry = recorded("errors.json")[case]
    body = entry["body_text"] if "body_text" in entry else json.dumps(entry["body"])
    error = cromwell_error(
        entry["http_status"], body, operation=operation, cromwell_url=URL, workflow_id=workflow_id
    )
    assert type(error) is expected
    assert error.status_code == status


def test_submit_refusal_carries_cromwells_reason(recorded: Callable[[str], Any]) -> None:
    entry = recorded("errors.json")["submit_bad_options"]
    error = cromwell_error(400, json.dumps(entry["body"]), operation="submit", cromwell_url=URL)
    assert "Unsupported key/value pair in WorkflowOptions" in error.msg


def test_server_errors_name_the_cromwell_url() -> None:
    error = cromwell_error(
        500, '{"status":"error","message":"boom"}', operation="query", cromwell_url=URL
    )
    assert URL in error.msg
    assert "boom" in error.msg


def test_timeout_503_asks_to_retry(recorded: Callable[[str], Any]) -> None:
    entry = recorded("errors.json")["request_timeout"]
    error = cromwell_error(503, entry["body_text"], operation="metadata", cromwell_url=URL)
    assert error.headers["Retry-After"] == "5"


@pytest.mark.parametrize(
    ("case", "status", "operation", "workflow_id", "expected", "words"),
    [
        pytest.param(
            "query_status_on_hold_rejected_v32", 400, "query", None, UpstreamError,
            "Unrecognized status values: On Hold", id="old-query-refuses-on-hold",
        ),
        pytest.param(
            "metadata_too_many_rows", 500, "metadata", ID, UpstreamError,
            "row count of 1249471 exceeds configured limit", id="too-many-rows",
        ),
        pytest.param(
            "abort_subworkflow_not_in_progress", 404, "abort", ID, RunNotFound, ID,
            id="abort-of-a-subworkflow",
        ),
    ],
)  # fmt: skip
def test_recorded_error_bodies_map_to_wes_errors(
    recorded: Callable[[str], Any],
    case: str,
    status: int,
    operation: str,
    workflow_id: str | None,
    expected: type[WesError],
    words: str,
) -> None:
    """Bodies pasted from real servers (small-bodies-recorded.json; the status where the
    source omits it is the one errors.json gives for that message)."""
    entry = recorded("more/small-bodies-recorded.json")[case]
    assert entry.get("http_status", status) == status
    error = cromwell_error(
        status,
        json.dumps(entry["body"]),
        operation=operation,
        cromwell_url=URL,
        workflow_id=workflow_id,
    )
    assert type(error) is expected
    assert words in error.msg
