"""Run operations that take more than one Cromwell call: status, cancel and ownership."""

import time

from cromwes.cromwell.client import CromwellClient
from cromwes.errors import Conflict, RunNotFound
from cromwes.models import RunStatus, State
from cromwes.service.run_ids import is_run_id, minted_for, minted_within
from cromwes.translate.labels import Owner
from cromwes.translate.states import wes_state


def checked_run_id(text: str) -> str:
    """`text` if it can name a Cromwell workflow; otherwise there is no such run (404, never
    Cromwell's 400, which WES does not declare for these operations)."""
    if not is_run_id(text):
        raise RunNotFound(text)
    return text.lower()


async def run_status(client: CromwellClient, run_id: str, *, grace: float) -> RunStatus:
    try:
        answer = await client.status(run_id)
    except RunNotFound:
        if minted_within(run_id, seconds=grace, now=time.time()):
            return RunStatus(run_id, State.QUEUED)
        raise
    return RunStatus(run_id, wes_state(answer.get("status")))


async def cancel(client: CromwellClient, run_id: str, *, grace: float) -> None:
    """Abort the run. A finished run answers 409: Cromwell's 404 for it would claim the run is
    unknown (errors.json `abort_not_in_progress`), so its status tells the two apart."""
    try:
        await client.abort(run_id)
    except RunNotFound:
        status = await run_status(client, run_id, grace=grace)
        if status.state.is_terminal:
            raise Conflict(
                f"Run {run_id} is already {status.state.value}; there is nothing to cancel."
            ) from None
        raise


async def ensure_owner(
    client: CromwellClient, run_id: str, owner: Owner, *, grace: float, owner_key: bytes
) -> None:
    """RunNotFound unless the run carries the owner's label (when runs are scoped per user).

    Another user's run is reported as missing, not forbidden, so run ids cannot be probed. Just
    after a submit Cromwell knows no labels yet (404); the owner bound into the id this gateway
    minted decides then, and anything else fails closed.
    """
    if owner is None:
        return
    try:
        labels = await client.labels(run_id)
    except RunNotFound:
        if minted_within(run_id, seconds=grace, now=time.time()) and minted_for(
            run_id, owner=owner[1], key=owner_key
        ):
            return
        raise
    if labels.get(owner[0]) != owner[1]:
        raise RunNotFound(run_id)
