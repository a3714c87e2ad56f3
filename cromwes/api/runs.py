"""Handlers of /runs: list, submit, run log, status and cancel."""

from aiohttp import web
from aiohttp_apigami import docs, querystring_schema, response_schema

from cromwes.api import schemas
from cromwes.api.audit import SUBMIT, audited
from cromwes.api.params import owned_run_id, owner, page_size
from cromwes.api.render import etag_response, json_response
from cromwes.api.submitting import received_body, submitter_for, wes_submission
from cromwes.api.urls import run_url
from cromwes.api.validation import QUERY
from cromwes.appkeys import CROMWELL, PREPARED, RUN_DETAILS, SETTINGS, STORAGE
from cromwes.auth.base import principal_of
from cromwes.models import RunId, RunLog
from cromwes.policy.paths import translate_outputs
from cromwes.service.run_listing import run_page
from cromwes.service.runs import cancel, run_status
from cromwes.service.submissions import planned_run, submission_identity
from cromwes.translate.listing import run_filters
from cromwes.translate.runlog import RunUrls, pending_run_log, run_log

ERRORS = {code: {"schema": schemas.ErrorResponse} for code in (400, 401, 403, 404, 500, 502)}


@docs(tags=["Workflow Runs"], summary="List the workflow runs.", responses=ERRORS)
@querystring_schema(schemas.ListRunsQuery)
@response_schema(schemas.RunListResponseSchema, 200)
@audited("wes:runs:list")
async def list_runs(request: web.Request) -> web.Response:
    query = request[QUERY]
    prepared = request.app[PREPARED]
    page = await run_page(
        request.app[CROMWELL],
        run_filters(query, owner(request)),
        page_size=page_size(query, request),
        page_token=query.get("page_token"),
        key=prepared.token_key,
        hidden_labels=prepared.hidden_labels,
    )
    return json_response(page)


@docs(
    tags=["Workflow Runs"],
    summary="Run a workflow.",
    description=(
        "multipart/form-data as WES specifies (a part named after a field is that field, "
        "whatever its file name or content type), or the same fields urlencoded, or a JSON "
        "RunRequest. An unknown or repeated field is 400. Attachments are streamed; "
        "`uploads.max_file_size`, `uploads.max_request_size`, `uploads.max_in_memory_size` "
        "(fields, workflow files, options, dependencies zip) and `uploads.max_parts` limit a "
        "body (413)."
    ),
    requestBody=schemas.RUN_WORKFLOW_BODY,
    responses=ERRORS,
)
@response_schema(schemas.RunIdSchema, 200)
@audited(SUBMIT)
async def submit_run(request: web.Request) -> web.Response:
    settings, prepared = request.app[SETTINGS], request.app[PREPARED]
    key = request.headers.get("Idempotency-Key")
    caller = principal_of(request).id
    planned = planned_run(key, caller, run_id_key=prepared.run_id_key, owner_key=prepared.owner_key)
    async with received_body(request, planned.staging_folder, endpoint="POST /runs") as body:
        submission = wes_submission(schemas.RunWorkflowForm().load(body.fields), body)
        submitter = await submitter_for(request)
        submitter.authorize(submission)
        identity = submission_identity(planned, submission, settings.cromwell.idempotency_label)
        run_id, created = await submitter.send(submitter.form(submission, identity), identity)
        if not created:  # a retry: its own staged copies are not needed
            await request.app[STORAGE].remove_staged(body.staged)
    return json_response(RunId(run_id))


@docs(tags=["Workflow Runs"], summary="Get detailed info about a workflow run.", responses=ERRORS)
@response_schema(schemas.RunLogSchema, 200)
@audited("wes:run:read")
async def get_run_log(request: web.Request) -> web.Response:
    return etag_response(request, await run_log_of(request, await owned_run_id(request)))


async def run_log_of(request: web.Request, run_id: str) -> RunLog:
    """The RunLog of a run (from `owned_run_id`), as this request's client must see it."""
    settings, prepared = request.app[SETTINGS], request.app[PREPARED]
    detail = await request.app[RUN_DETAILS].get(run_id)
    urls = RunUrls(run_url(request, run_id))
    if not detail.visible:
        return pending_run_log(run_id, urls=urls)
    return run_log(
        detail.metadata,
        detail.tasks,
        urls=urls,
        inline_limit=settings.runs.task_logs_inline_limit,
        translate_outputs=lambda outputs: translate_outputs(outputs, prepared.path_rules),
        workflow_url_label=settings.cromwell.workflow_url_label,
        hidden_labels=prepared.hidden_labels,
    )


@docs(
    tags=["Workflow Runs"], summary="Get quick status info about a workflow run.", responses=ERRORS
)
@response_schema(schemas.RunStatusSchema, 200)
@audited("wes:run:status")
async def get_run_status(request: web.Request) -> web.Response:
    client, grace = request.app[CROMWELL], request.app[SETTINGS].cromwell.submit_grace_period
    run_id = await owned_run_id(request)
    return etag_response(request, await run_status(client, run_id, grace=grace))


@docs(
    tags=["Workflow Runs"],
    summary="Cancel a running workflow.",
    description="Extension: cancelling a run that already finished answers 409.",
    responses={**ERRORS, 409: {"schema": schemas.ErrorResponse}},
)
@response_schema(schemas.RunIdSchema, 200)
@audited("wes:run:cancel")
async def cancel_run(request: web.Request) -> web.Response:
    client, grace = request.app[CROMWELL], request.app[SETTINGS].cromwell.submit_grace_period
    run_id = await owned_run_id(request)
    await cancel(client, run_id, grace=grace)
    return json_response(RunId(run_id))
