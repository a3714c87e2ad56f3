"""The Cromwell REST API JSON that cromwes reads, as TypedDicts (see ../shared/cromwell)."""

from typing import Any, Literal, NotRequired, TypedDict

CromwellStatus = Literal[
    "On Hold", "Submitted", "Running", "Aborting", "Aborted", "Succeeded", "Failed"
]


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
