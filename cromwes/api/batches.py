"""Handlers of /batches (extension): submit one workflow over many inputs, read, cancel."""

from collections.abc import Sequence
from typing import Any

from aiohttp import web
from aiohttp_apigami import docs, response_schema

from cromwes.api import schemas
from cromwes.api.audit import audited
from cromwes.api.params import owner
from cromwes.api.render import json_response
from cromwes.api.submitting import received_body, submitter_for, wes_submission
from cromwes.appkeys import CROMWELL, PREPARED, SETTINGS, STORAGE
from cromwes.auth.base import principal_of
from cromwes.errors import PayloadTooLarge, WesError
from cromwes.service.batches import (
    BatchRules,
    Failure,
    batch_not_listed,
    cancel_runs,
    find_batch,
    planned_batch,
    submit_batch,
)
from cromwes.translate.batches import BatchRun, batch_status

TAGS = ["Batches (extension)"]
ERRORS = {code: {"schema": schemas.ErrorResponse} for code in (400, 401, 403, 404, 500, 502)}
PARTIAL = {207: {"schema": schemas.BatchIdSchema, "description": "Some elements failed."}}


@docs(
    tags=TAGS,
    summary="Run one workflow once per element of a workflow_params array.",
    description=(
        "The body of POST /runs, with `workflow_params` a JSON array: one run per element, "
        "sharing the workflow, attachments (staged once), options and tags. At most "
        "`batches.max_runs` elements (413). 200: every run was submitted, `run_ids` in input "
        "order. 207: some elements were not, each named in `failures` (null in `run_ids`). An "
        "element the gateway refuses stops the batch with nothing submitted (400). "
        "Idempotency-Key covers the whole batch: a retry submits only the missing runs."
    ),
    requestBody=schemas.RUN_WORKFLOW_BODY,
    responses={**ERRORS, **PARTIAL, 409: {"schema": schemas.ErrorResponse}, 413: ERRORS[400]},
)
@response_schema(schemas.BatchIdSchema, 200)
@audited("wes:batches:submit")
async def submit(request: web.Request) -> web.Response:
    settings, prepared = request.app[SETTINGS], request.app[PREPARED]
    planned = planned_batch(
        request.headers.get("Idempotency-Key"),
        principal_of(request).id,
        batch_key=prepared.batch_key,
        owner_key=prepared.owner_key,
    )
    async with received_body(
        request, planned.staging_folder, endpoint="POST /batches", params_depth=2
    ) as body:
        fields = schemas.BatchForm().load(body.fields)
        params = fields.pop("workflow_params")
        if len(params) > settings.batches.max_runs:
            raise PayloadTooLarge(
                f"The batch has {len(params)} elements; at most {settings.batches.max_runs} "
                "(batches.max_runs)."
            )
        submission = wes_submission({**fields, "workflow_params": {}}, body)
        submitter = await submitter_for(request)
        submitter.authorize(submission)
        outcomes = await submit_batch(submitter, planned, submission, params, _rules(request))
        failures = [o.failure for o in outcomes if o.failure is not None]
        if len(failures) == len(outcomes):
            raise _nothing_submitted(failures[0])
        if not any(outcome.created for outcome in outcomes):  # a retry: nothing new
            await request.app[STORAGE].remove_staged(body.staged)
    answer = _answer(planned.batch_id, [o.run_id for o in outcomes], failures)
    return json_response(answer, status=207 if failures else 200)


@docs(
    tags=TAGS,
    summary="A batch's runs (in input order), their count per state, and its overall state.",
    responses=ERRORS,
)
@response_schema(schemas.BatchStatusSchema, 200)
@audited("wes:batch:read")
async def get_batch(request: web.Request) -> web.Response:
    runs = await _runs(request)
    return json_response(batch_status(request.match_info["batch_id"].lower(), runs))


@docs(
    tags=TAGS,
    summary="Cancel every unfinished run of a batch; answers the runs asked to cancel.",
    description="207 with `failures` when some runs could not be cancelled.",
    responses={**ERRORS, **PARTIAL, 409: {"schema": schemas.ErrorResponse}},
)
@response_schema(schemas.BatchIdSchema, 200)
@audited("wes:batch:cancel")
async def cancel_batch(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    batch_id = request.match_info["batch_id"].lower()
    runs = await _runs(request)
    if not runs:
        raise batch_not_listed(batch_id)
    canceled, failures = await cancel_runs(
        request.app[CROMWELL],
        runs,
        concurrency=settings.batches.submit_concurrency,
        grace=settings.cromwell.submit_grace_period,
    )
    answer = _answer(batch_id, canceled, failures)
    return json_response(answer, status=207 if failures else 200)


async def _runs(request: web.Request) -> list[BatchRun]:
    settings, prepared = request.app[SETTINGS], request.app[PREPARED]
    return await find_batch(
        request.app[CROMWELL],
        request.match_info["batch_id"],
        owner(request),
        labels=prepared.batch_labels,
        grace=settings.cromwell.submit_grace_period,
        owner_key=prepared.owner_key,
    )


def _rules(request: web.Request) -> BatchRules:
    settings, prepared = request.app[SETTINGS], request.app[PREPARED]
    return BatchRules(
        labels=prepared.batch_labels,
        key_label=settings.cromwell.idempotency_label,
        batch_key=prepared.batch_key,
        owner_key=prepared.owner_key,
        concurrency=settings.batches.submit_concurrency,
    )


def _nothing_submitted(first: Failure) -> WesError:
    """The first element's error, as the whole batch's: nothing of it was submitted."""
    prefix = f"No run of the batch was submitted; workflow_params[{first.index}]: "
    first.cause.msg = prefix + first.msg
    return first.cause


def _answer(
    batch_id: str, run_ids: Sequence[str | None], failures: Sequence[Failure]
) -> dict[str, Any]:
    answer: dict[str, Any] = {"batch_id": batch_id, "run_ids": list(run_ids)}
    if failures:
        answer["failures"] = [
            {"index": f.index, "msg": f.msg, "status_code": f.status_code} for f in failures
        ]
    return answer
