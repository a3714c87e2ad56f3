"""Handler of /runs/{run_id}/ro-crate (extension): a finished run's Workflow Run RO-Crate."""

import logging
from urllib.parse import quote

from aiohttp import web
from aiohttp_apigami import docs

from cromwes.api import schemas
from cromwes.api.audit import audited
from cromwes.api.params import owned_run_id
from cromwes.api.streaming import start_stream
from cromwes.api.urls import run_url
from cromwes.appkeys import CROMWELL, PREPARED, SERVICE_STATE, SETTINGS, STORAGE
from cromwes.errors import WesError
from cromwes.service.rocrate import CrateRules, crate_zip, run_crate

logger = logging.getLogger(__name__)

ERRORS = {code: {"schema": schemas.ErrorResponse} for code in (400, 401, 403, 404, 409, 500, 502)}
ZIP = "application/zip"


@docs(
    tags=["Run files (extension)"],
    summary="A finished run as a Workflow Run RO-Crate (zip).",
    description=(
        "Profiles https://w3id.org/ro/wfrun/workflow/0.5 and, when the run has tasks, "
        "https://w3id.org/ro/wfrun/provenance/0.5: `ro-crate-metadata.json`, the workflow's "
        "files under `workflow/`, and the run's own input and output files under `inputs/` and "
        "`outputs/` up to `ro_crate.max_file_size` bytes (larger ones are referenced by their "
        "URL here). Streamed; 409 while the run has not finished."
    ),
    responses={
        200: {"description": "The crate", "content": {ZIP: {"schema": {"type": "string",
                                                                        "format": "binary"}}}},
        **ERRORS,
    },
)  # fmt: skip
@audited("wes:run:ro-crate")
async def get_ro_crate(request: web.Request) -> web.StreamResponse:
    run_id = await owned_run_id(request)
    base = run_url(request, run_id)
    crate = await run_crate(
        request.app[CROMWELL],
        request.app[STORAGE],
        run_id,
        rules=_rules(request),
        engine_version=await request.app[SERVICE_STATE].engine_version(),
        file_url=lambda path: f"{base}/file?path={quote(path, safe='')}",
    )
    response = web.StreamResponse()
    response.content_type = ZIP
    response.headers["Content-Disposition"] = f'attachment; filename="{run_id}-ro-crate.zip"'
    response.enable_chunked_encoding()
    await start_stream(request, response)
    try:
        async for chunk in crate_zip(crate):
            await response.write(chunk)
    except WesError as exc:
        # The status is sent: the only way left to say the zip is broken is to cut it short.
        logger.warning("RO-Crate of run %s cut short: %s", run_id, exc.msg)
        if request.transport is not None:
            request.transport.close()
        return response
    await response.write_eof()
    return response


def _rules(request: web.Request) -> CrateRules:
    settings, prepared = request.app[SETTINGS], request.app[PREPARED]
    return CrateRules(
        path_rules=prepared.path_rules,
        batch_label=prepared.batch_labels.batch,
        user_label=settings.cromwell.user_label,
        workflow_url_label=settings.cromwell.workflow_url_label,
        max_file_size=settings.ro_crate.max_file_size,
        license=settings.ro_crate.license,
    )
