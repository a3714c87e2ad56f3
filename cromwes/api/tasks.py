"""Handlers of /runs/{run_id}/tasks (WES 1.1): task pages and single tasks."""

from aiohttp import web
from aiohttp_apigami import docs, querystring_schema, response_schema

from cromwes.api import schemas
from cromwes.api.audit import audited
from cromwes.api.params import owned_run_id, page_size
from cromwes.api.render import etag_response
from cromwes.api.urls import run_url
from cromwes.api.validation import QUERY
from cromwes.appkeys import PREPARED, RUN_DETAILS
from cromwes.errors import NotFound
from cromwes.models import TaskListResponse
from cromwes.translate.pagination import decode_token, encode_token
from cromwes.translate.runlog import RunUrls
from cromwes.translate.tasklogs import task_log

ERRORS = {code: {"schema": schemas.ErrorResponse} for code in (401, 403, 404, 500)}


@docs(
    tags=["Workflow Runs"],
    summary="List the tasks of a workflow run.",
    responses=ERRORS,
    description=(
        "Pages in the order of RunLog.task_logs: calls by their first start, then name; "
        "shards numerically; then attempts."
    ),
)
@querystring_schema(schemas.PageQuery)
@response_schema(schemas.TaskListResponseSchema, 200)
@audited("wes:run:tasks")
async def list_tasks(request: web.Request) -> web.Response:
    query, key = request[QUERY], request.app[PREPARED].token_key
    run_id = await owned_run_id(request)
    tasks = (await request.app[RUN_DETAILS].get(run_id)).tasks
    scope = f"tasks\n{run_id}"
    start = decode_token(query["page_token"], scope=scope, key=key) if "page_token" in query else 0
    end = start + page_size(query, request)
    logs_url = RunUrls(run_url(request, run_id)).task_logs
    page = TaskListResponse(
        task_logs=tuple(task_log(task, logs_url) for task in tasks[start:end]),
        next_page_token=encode_token(end, scope=scope, key=key) if end < len(tasks) else "",
    )
    return etag_response(request, page)


@docs(tags=["Workflow Runs"], summary="Get a task of a workflow run.", responses=ERRORS)
@response_schema(schemas.TaskLogSchema, 200)
@audited("wes:run:task")
async def get_task(request: web.Request) -> web.Response:
    run_id, task_id = await owned_run_id(request), request.match_info["task_id"]
    task = (await request.app[RUN_DETAILS].get(run_id)).tasks_by_id.get(task_id)
    if task is None:
        raise NotFound(f"Run {run_id} has no task {task_id!r}.")
    return etag_response(request, task_log(task, RunUrls(run_url(request, run_id)).task_logs))
