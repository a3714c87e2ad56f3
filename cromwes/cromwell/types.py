"""The Cromwell REST API JSON that cromwes reads, as TypedDicts (see ../shared/cromwell)."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, NotRequired, TypedDict, get_args

CromwellStatus = Literal[
    "On Hold", "Submitted", "Running", "Aborting", "Aborted", "Succeeded", "Failed"
]
CROMWELL_STATUSES: tuple[CromwellStatus, ...] = get_args(CromwellStatus)
"""Every workflow status, spelt as Cromwell writes it and as its query filter wants it."""
WORKFLOW_TYPE = "WDL"


class Failure(TypedDict):
    message: str
    causedBy: NotRequired[list["Failure"]]


class Call(TypedDict, total=False):
    """One element of a `calls` array: a (shard, attempt) of a task, or a sub-workflow call."""

    shardIndex: int
    attempt: int
    executionStatus: str
    backendStatus: str
    start: str
    end: str
    stdout: str
    stderr: str
    commandLine: str
    returnCode: int
    jobId: str
    callRoot: str
    backend: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    failures: list[Failure]
    retryableFailure: bool
    backendLogs: dict[str, Any]
    subWorkflowId: str
    subWorkflowMetadata: "Metadata"


class SubmittedFiles(TypedDict, total=False):
    """What was submitted; every value is a JSON *string* (parse it)."""

    workflow: str
    workflowUrl: str
    root: str
    options: str
    inputs: str
    labels: str
    workflowType: str
    workflowTypeVersion: str
    imports: dict[str, str]
    """The imported workflow files, by their path in `workflowDependencies` (text, not JSON)."""


class Metadata(TypedDict, total=False):
    """`GET /api/workflows/v1/{id}/metadata`; `workflowName` is absent until pickup."""

    id: str
    status: str
    submission: str
    start: str
    end: str
    workflowName: str
    workflowRoot: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    labels: dict[str, str]
    failures: list[Failure]
    calls: dict[str, list[Call]]
    submittedFiles: SubmittedFiles
    actualWorkflowLanguage: str
    actualWorkflowLanguageVersion: str
    parentWorkflowId: str
    rootWorkflowId: str
    metadataArchiveStatus: str
    """`ArchivedAndDeleted`: the rest of the metadata is gone, `message` says so."""
    message: str


class QueryResult(TypedDict, total=False):
    id: str
    status: str
    name: str
    submission: str
    start: str
    end: str
    labels: dict[str, str]
    parentWorkflowId: str
    rootWorkflowId: str
    metadataArchiveStatus: str


class QueryResponse(TypedDict):
    results: list[QueryResult]
    totalResultsCount: int


class WorkflowIdAndStatus(TypedDict):
    """Answer of submit, status, abort and releaseHold."""

    id: str
    status: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CromwellSubmission:
    """The parts of `POST /api/workflows/v1`."""

    workflow_source: str | None
    workflow_url: str | None
    dependencies: bytes | None
    source_name: str = "workflow.wdl"
    """The file name sent with `workflowSource`: the attachment's, so errors name it."""
    inputs: Mapping[str, Any]
    options: Mapping[str, Any]
    labels: Mapping[str, str]
    workflow_type: str = WORKFLOW_TYPE
    requested_id: str | None = None
