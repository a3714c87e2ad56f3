"""What POST /runs and POST /batches share at the edge: the body as received, and the Submitter
that authorizes, translates and sends what it holds."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from cromwes.api.forms import received_submission
from cromwes.api.multipart import ReceivedBody
from cromwes.appkeys import CROMWELL, PREPARED, SERVICE_STATE, SETTINGS, STORAGE
from cromwes.auth.base import principal_of
from cromwes.service.submissions import Submitter
from cromwes.translate.submission import WesSubmission


@asynccontextmanager
async def received_body(
    request: web.Request, folder: str, *, endpoint: str, params_depth: int = 1
) -> AsyncIterator[ReceivedBody]:
    """The request's fields and attachments, staged under `folder`; what was staged is removed
    if the block fails."""
    settings, prepared = request.app[SETTINGS], request.app[PREPARED]
    async with received_submission(
        request,
        storage=request.app[STORAGE],
        folder=folder,
        limits=settings.uploads,
        keep_in_memory=prepared.submission_rules.kept_in_memory,
        endpoint=endpoint,
        params_depth=params_depth,
    ) as body:
        yield body


def wes_submission(fields: dict[str, Any], body: ReceivedBody) -> WesSubmission:
    """A submission from loaded RunRequest `fields` and the body's attachments."""
    return WesSubmission(**fields, attachments=tuple(body.attachments))


async def submitter_for(request: web.Request) -> Submitter:
    settings, prepared = request.app[SETTINGS], request.app[PREPARED]
    return Submitter(
        client=request.app[CROMWELL],
        rules=prepared.submission_rules,
        path_rules=prepared.path_rules,
        authorizers=settings.workflows.authorizers,
        user_id=principal_of(request).id,
        engine_version=await request.app[SERVICE_STATE].engine_version(),
        request_ids=settings.cromwell.request_workflow_ids,
    )
