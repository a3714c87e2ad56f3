"""The WES 1.1 objects cromwes answers with, named and spelt exactly as in the specification."""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

BASE_PATH = "/ga4gh/wes/v1"
"""Where WES 1.1 puts its API under a server's root."""


class State(StrEnum):
    """WES run state (WES 1.1.0 `State`, 11 values)."""

    UNKNOWN = "UNKNOWN"
    QUEUED = "QUEUED"
    INITIALIZING = "INITIALIZING"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    COMPLETE = "COMPLETE"
    EXECUTOR_ERROR = "EXECUTOR_ERROR"
    SYSTEM_ERROR = "SYSTEM_ERROR"
    CANCELED = "CANCELED"
    CANCELING = "CANCELING"
    PREEMPTED = "PREEMPTED"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATES


TERMINAL_STATES = frozenset(
    {State.COMPLETE, State.EXECUTOR_ERROR, State.SYSTEM_ERROR, State.CANCELED, State.PREEMPTED}
)


@dataclass(frozen=True, slots=True)
class RunId:
    run_id: str


@dataclass(frozen=True, slots=True)
class RunStatus:
    run_id: str
    state: State


@dataclass(frozen=True, slots=True)
class RunSummary:
    run_id: str
    state: State
    tags: Mapping[str, str]
    start_time: str | None = None
    end_time: str | None = None
    name: str | None = None
    """Extension: the workflow's name (Cromwell's, once it has picked the run up)."""
    submitted_time: str | None = None
    """Extension: when Cromwell accepted the run."""


@dataclass(frozen=True, slots=True)
class RunListResponse:
    runs: tuple[RunSummary, ...]
    next_page_token: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Log:
    name: str | None = None
    cmd: tuple[str, ...] | None = None
    start_time: str | None = None
    end_time: str | None = None
    stdout: str | None = None
    stderr: str | None = None
    exit_code: int | None = None
    system_logs: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskLog:
    id: str
    name: str
    cmd: tuple[str, ...] | None = None
    start_time: str | None = None
    end_time: str | None = None
    stdout: str | None = None
    stderr: str | None = None
    exit_code: int | None = None
    system_logs: tuple[str, ...] | None = None
    tes_uri: str | None = None


@dataclass(frozen=True, slots=True)
class TaskListResponse:
    task_logs: tuple[TaskLog, ...]
    next_page_token: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRequest:
    workflow_params: Mapping[str, Any]
    workflow_type: str
    workflow_type_version: str
    workflow_url: str
    tags: Mapping[str, str]
    workflow_engine_parameters: Mapping[str, str]
    workflow_engine: str | None = None
    workflow_engine_version: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunLog:
    run_id: str
    request: RunRequest | None
    """None while Cromwell does not show the run yet: the gateway keeps no copy of requests."""
    state: State
    run_log: Log
    task_logs_url: str
    task_logs: tuple[TaskLog, ...] | None
    outputs: Mapping[str, Any]


WES_MODELS = (
    RunId,
    RunStatus,
    RunSummary,
    RunListResponse,
    Log,
    TaskLog,
    TaskListResponse,
    RunRequest,
    RunLog,
)
