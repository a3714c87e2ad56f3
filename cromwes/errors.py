"""The errors cromwes raises, each rendered as one WES ErrorResponse.

    WesError
    ├── InvalidRequest          400  the request is malformed or breaks a rule
    │   └── PayloadTooLarge     413  an attachment or the whole request is over the limit
    ├── Unauthorized            401  no or bad credentials
    ├── Forbidden               403  a valid caller may not do this (scope, action, allow-list)
    ├── NotFound                404  no such run, task, log or file (for this caller)
    ├── Conflict                409  the run's state forbids it (cancel a finished run, reused key)
    ├── RangeNotSatisfiable     416  a byte range outside the file, or several ranges
    └── UpstreamError           502  Cromwell or storage answered badly or not at all
        ├── CromwellUnavailable 503  Cromwell is saturated or shutting down; retry later
        ├── UpstreamTimeout     504  Cromwell did not answer within the configured timeout
        └── StorageError        502  the storage backend failed

Domain and I/O code raise only these; `api.middlewares.error_answer` renders them.
"""

from typing import ClassVar


class WesError(Exception):
    """Base of every error that reaches a WES client."""

    status_code: ClassVar[int] = 500

    def __init__(self, msg: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(msg)
        self.msg = msg
        self.headers = headers or {}


class InvalidRequest(WesError):
    """The request is malformed or breaks a documented rule."""

    status_code = 400


class PayloadTooLarge(InvalidRequest):
    """An attachment, or the request as a whole, is larger than the configured limit."""

    status_code = 413


class Unauthorized(WesError):
    """No credentials, or credentials that do not verify."""

    status_code = 401

    def __init__(self, msg: str, *, challenge: str) -> None:
        super().__init__(msg, headers={"WWW-Authenticate": challenge})


class Forbidden(WesError):
    """A verified caller lacks the scope or action, or the workflow is not allowed."""

    status_code = 403


class NotFound(WesError):
    """No such run, task, log or file, or not one this caller may see."""

    status_code = 404


class RunNotFound(NotFound):
    """The run does not exist (or belongs to another user when runs are scoped per user)."""

    def __init__(self, run_id: str) -> None:
        super().__init__(f"Run {run_id} was not found.")
        self.run_id = run_id


class Conflict(WesError):
    """The run's current state forbids the operation."""

    status_code = 409


class RangeNotSatisfiable(WesError):
    """The requested byte range cannot be served."""

    status_code = 416

    def __init__(self, msg: str, *, size: int | None) -> None:
        headers = {"Content-Range": f"bytes */{size}"} if size is not None else None
        super().__init__(msg, headers=headers)


class UpstreamError(WesError):
    """Cromwell or the storage backend failed or answered with something unusable."""

    status_code = 502


class CromwellUnavailable(UpstreamError):
    """Cromwell cannot take the call now (saturated, shutting down); the client should retry."""

    status_code = 503

    def __init__(self, msg: str, *, retry_after: int) -> None:
        super().__init__(msg)
        self.headers = {"Retry-After": str(retry_after)}


class UpstreamTimeout(UpstreamError):
    """Cromwell did not answer within the configured timeout."""

    status_code = 504


class StorageError(UpstreamError):
    """The storage backend failed."""
