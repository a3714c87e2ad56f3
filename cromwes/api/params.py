"""What handlers read from a request: the run id, the page size, and whose runs these are."""

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from cromwes.appkeys import CROMWELL, PREPARED, SETTINGS
from cromwes.auth.base import principal_of
from cromwes.errors import InvalidRequest
from cromwes.service.runs import checked_run_id, ensure_owner
from cromwes.translate.labels import Owner


async def owned_run_id(request: web.Request) -> str:
    """The path's run id, once this caller may see that run (a 404 otherwise)."""
    run_id = checked_run_id(request.match_info["run_id"])
    grace = request.app[SETTINGS].cromwell.submit_grace_period
    await ensure_owner(
        request.app[CROMWELL],
        run_id,
        owner(request),
        grace=grace,
        owner_key=request.app[PREPARED].owner_key,
    )
    return run_id


def page_size(query: Mapping[str, Any], request: web.Request) -> int:
    """The requested page size, within the documented bounds 1..`runs.max_page_size`."""
    settings = request.app[SETTINGS]
    size = query.get("page_size")
    if size is None:
        return settings.default_page_size
    if not 1 <= size <= settings.runs.max_page_size:
        raise InvalidRequest(
            f"page_size must be between 1 and {settings.runs.max_page_size}; got {size}."
        )
    return int(size)


def owner(request: web.Request) -> Owner:
    """The owner label every run of this caller carries, when runs are scoped per user."""
    settings = request.app[SETTINGS]
    if not settings.auth.per_user_runs:
        return None
    principal = principal_of(request)
    if principal.id is None:
        return (settings.cromwell.user_label, "")
    return (settings.cromwell.user_label, principal.id)
