"""Errors the emulator answers with, in Cromwell's own shapes (../shared/cromwell/errors.json).

    CromwellApiError                 {"status": "fail"|"error", "message": ...}
    ├── BadRequest              400  fail: a malformed form, query, label or option
    ├── InvalidWorkflowId       400  fail: "Invalid workflow ID: '<id>'."
    ├── UnrecognizedWorkflowId  404  fail: "Unrecognized workflow ID: <id>"
    ├── AbortNotInProgress      404  error: abort of an unknown or finished workflow
    └── ServerError             500  error
    ControlError                     `/_emulator` requests that make no sense (400, plain JSON)

The one middleware in `app.py` renders them; handlers only raise.
"""

from typing import ClassVar


class CromwellApiError(Exception):
    """Base of the errors rendered as Cromwell's `{"status", "message"}` body."""

    http_status: ClassVar[int] = 500
    body_status: ClassVar[str] = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(CromwellApiError):
    """The client's request was bad ("fail" in Cromwell's vocabulary)."""

    http_status = 400
    body_status = "fail"


class InvalidWorkflowId(BadRequest):
    """The path id is not a UUID."""

    def __init__(self, workflow_id: str) -> None:
        super().__init__(f"Invalid workflow ID: '{workflow_id}'.")


class UnrecognizedWorkflowId(CromwellApiError):
    """No workflow with this id is (yet) in the metadata summary."""

    http_status = 404
    body_status = "fail"

    def __init__(self, workflow_id: str) -> None:
        super().__init__(f"Unrecognized workflow ID: {workflow_id}")


class AbortNotInProgress(CromwellApiError):
    """Cromwell answers 404 for abort of a finished or unknown workflow (errors.json)."""

    http_status = 404
    body_status = "error"

    def __init__(self, workflow_id: str) -> None:
        super().__init__(
            f"Couldn't abort {workflow_id} because no workflow with that ID is in progress"
        )


class ServerError(CromwellApiError):
    """Something failed inside the emulator."""


class ControlError(Exception):
    """A `/_emulator` control request that cannot be honoured; rendered as 400 `{"error"}`."""

    def __init__(self, message: str, http_status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
