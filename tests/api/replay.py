"""A Cromwell that answers with the bodies recorded from real Cromwell servers.

It serves the metadata bodies it is given (and the sub-workflows inside them) by workflow id,
and answers the other calls the gateway makes (status, labels, abort, query, engine version and
status, submit) in the shapes recorded for those endpoints (../shared/cromwell). Anything else
gets the plain-text 404 of Cromwell's HTTP framework (small-bodies-recorded.json
`unknown_route_plain_text_v21`). Every request is journaled, so a test can assert what the
gateway asked, and what it never asked.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.recordings import load

UUID = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
QUERY_KEYS = frozenset(
    {"status", "label", "name", "submission", "page", "pageSize", "newestFirst"}
    | {"includeSubworkflows", "additionalQueryResultFields"}
)
NOT_FOUND_TEXT = "The requested resource could not be found."


@dataclass
class Workflow:
    metadata: dict[str, Any]
    status: str
    parent: str | None = None
    root: str | None = None
    archived: bool = False


@dataclass
class ReplayingCromwell:
    """The workflows it knows, in summary-table order (oldest first), and what it was asked."""

    workflows: dict[str, Workflow] = field(default_factory=dict)
    journal: list[tuple[str, str, list[tuple[str, str]]]] = field(default_factory=list)
    engine_status: tuple[int, Any] = (200, {})
    query_answer: Any = None
    """When set, every query is answered with this recorded body, whatever it asks."""

    def add(self, metadata: dict[str, Any], *, status: str | None = None) -> str:
        """Know this workflow (and every sub-workflow inside it); its /status is `status`, or
        the body's own. Added later = newer in Cromwell's summary table."""
        workflow_id = str(metadata["id"])
        status = status or metadata.get("status")
        if status is None:
            raise ValueError(f"{workflow_id}: the body has no status; say what /status answers")
        for known_id, workflow in _with_subworkflows(metadata, status, None, None):
            if known_id in self.workflows:
                raise ValueError(f"workflow {known_id} is already known")
            self.workflows[known_id] = workflow
        return workflow_id

    def add_archived(self, workflow_id: str, status: str) -> None:
        """A workflow whose metadata Cromwell archived and deleted (errors.json)."""
        body = load("errors.json")["metadata_archived_and_deleted"]["body"]
        self.workflows[workflow_id] = Workflow({**body, "id": workflow_id}, status, archived=True)

    def requested(self, path_part: str) -> list[str]:
        return [path for _, path, _ in self.journal if path_part in path]

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._journaled])
        base = "/api/workflows/v1"
        app.router.add_get(f"{base}/query", self._query)
        app.router.add_post(base, self._submit)
        app.router.add_get(f"{base}/{{id}}/metadata", self._metadata)
        app.router.add_get(f"{base}/{{id}}/status", self._status)
        app.router.add_get(f"{base}/{{id}}/labels", self._labels)
        app.router.add_post(f"{base}/{{id}}/abort", self._abort)
        app.router.add_get("/engine/v1/version", self._version)
        app.router.add_get("/engine/v1/status", self._engine_status)
        return app

    @web.middleware
    async def _journaled(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.journal.append((request.method, request.path, list(request.query.items())))
        try:
            response: web.StreamResponse = await handler(request)
        except web.HTTPNotFound:
            return web.Response(status=404, text=NOT_FOUND_TEXT)
        except CromwellError as error:
            return web.json_response(error.body, status=error.status)
        return response

    def _workflow(self, request: web.Request) -> Workflow:
        workflow_id = request.match_info["id"]
        if not UUID.match(workflow_id):
            raise _cromwell_error("invalid_workflow_id", "foobar", workflow_id)
        if workflow_id not in self.workflows:
            raise _cromwell_error("unrecognized_workflow_id", "<uuid>", workflow_id)
        return self.workflows[workflow_id]

    async def _metadata(self, request: web.Request) -> web.Response:
        return web.json_response(self._workflow(request).metadata)

    async def _status(self, request: web.Request) -> web.Response:
        workflow = self._workflow(request)
        return web.json_response({"status": workflow.status, "id": request.match_info["id"]})

    async def _labels(self, request: web.Request) -> web.Response:
        workflow_id = request.match_info["id"]
        labels = self._workflow(request).metadata.get("labels") or {}
        return web.json_response({"id": workflow_id, "labels": labels})

    async def _abort(self, request: web.Request) -> web.Response:
        workflow = self._workflow(request)
        workflow_id = request.match_info["id"]
        if workflow.status in ("Submitted", "On Hold"):
            return web.json_response({**load("abort-aborted.json"), "id": workflow_id})
        if workflow.status == "Running" and workflow.parent is None:
            return web.json_response({**load("abort-aborting.json"), "id": workflow_id})
        raise _cromwell_error("abort_not_in_progress", "<uuid>", workflow_id)

    async def _submit(self, request: web.Request) -> web.Response:
        form = await request.post()
        requested = form.get("requestedWorkflowId")
        answer = load("submit-on-hold.json" if form.get("workflowOnHold") else "submit.json")
        if isinstance(requested, str):
            answer["id"] = json.loads(requested)
        return web.json_response(answer, status=201)

    async def _version(self, request: web.Request) -> web.Response:
        return web.json_response(load("version.json"))

    async def _engine_status(self, request: web.Request) -> web.Response:
        status, body = self.engine_status
        return web.json_response(body, status=status)

    async def _query(self, request: web.Request) -> web.Response:
        if self.query_answer is not None:
            return web.json_response(self.query_answer)
        query = request.query
        unknown = sorted(set(query) - QUERY_KEYS)
        if unknown:
            raise _cromwell_error("query_unrecognized_key", "<key>", ", ".join(unknown))
        rows = [
            _row(workflow_id, workflow, "labels" in query.getall("additionalQueryResultFields", []))
            for workflow_id, workflow in self.workflows.items()
            if _matches(workflow, query)
        ]
        if query.get("newestFirst", "true") == "true":
            rows.reverse()
        total = len(rows)
        if "pageSize" in query:
            size, page = int(query["pageSize"]), int(query.get("page", "1"))
            rows = rows[(page - 1) * size : page * size]
        return web.json_response({"results": rows, "totalResultsCount": total})


def _with_subworkflows(
    metadata: dict[str, Any], status: str, parent: str | None, root: str | None
) -> Iterator[tuple[str, Workflow]]:
    workflow_id = str(metadata["id"])
    # A sub-workflow fetched by its own id names its parent (metadata-subworkflow-child-by-own-id).
    parent = parent or metadata.get("parentWorkflowId")
    root = root or metadata.get("rootWorkflowId")
    yield workflow_id, Workflow(metadata, status, parent, root)
    for elements in (metadata.get("calls") or {}).values():
        for call in elements:
            sub = call.get("subWorkflowMetadata")
            if sub is not None and "id" in sub:
                sub_status = sub.get("status") or call.get("executionStatus") or status
                yield from _with_subworkflows(sub, sub_status, workflow_id, root or workflow_id)


def _matches(workflow: Workflow, query: Any) -> bool:
    metadata = workflow.metadata
    if query.get("includeSubworkflows", "true") == "false" and workflow.parent is not None:
        return False
    if (statuses := query.getall("status", [])) and workflow.status not in statuses:
        return False
    if (names := query.getall("name", [])) and metadata.get("workflowName") not in names:
        return False
    labels = metadata.get("labels") or {}
    for label in query.getall("label", []):
        key, _, value = label.partition(":")
        if labels.get(key) != value:
            return False
    if "submission" in query:
        submitted = _instant(metadata.get("submission"))
        if submitted is None or submitted < _instant(query["submission"]):  # type: ignore[operator]
            return False
    return True


def _row(workflow_id: str, workflow: Workflow, with_labels: bool) -> dict[str, Any]:
    """A row as Cromwell's summary table gives it (query-with-labels-and-subworkflow.json)."""
    metadata = workflow.metadata
    row: dict[str, Any] = {"id": workflow_id}
    if "workflowName" in metadata:
        row["name"] = metadata["workflowName"]
    row["status"] = workflow.status
    for key in ("submission", "start", "end"):
        if key in metadata:
            row[key] = metadata[key]
    if with_labels and metadata.get("labels"):
        row["labels"] = metadata["labels"]
    if workflow.parent is not None:
        row["parentWorkflowId"], row["rootWorkflowId"] = workflow.parent, workflow.root
    row["metadataArchiveStatus"] = "ArchivedAndDeleted" if workflow.archived else "Unarchived"
    return row


def _instant(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class CromwellError(Exception):
    """One of Cromwell's JSON errors, to answer with."""

    def __init__(self, status: int, body: dict[str, str]) -> None:
        super().__init__(body["message"])
        self.status, self.body = status, body


def _cromwell_error(case: str, placeholder: str, value: str) -> CromwellError:
    """Cromwell's JSON error of an errors.json case, with the placeholder filled in."""
    entry = load("errors.json")[case]
    body = {**entry["body"], "message": entry["body"]["message"].replace(placeholder, value)}
    return CromwellError(entry["http_status"], body)
