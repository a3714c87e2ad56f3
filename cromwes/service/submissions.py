"""Send a submission to Cromwell, once, even when the client retries it."""

import asyncio
import time
from dataclasses import dataclass

from cromwes.cromwell.client import CromwellClient
from cromwes.cromwell.types import CromwellSubmission
from cromwes.errors import Conflict, RunNotFound, WesError
from cromwes.service.run_ids import new_run_id
from cromwes.translate.idempotency import (
    DIGEST_LABEL,
    checked_key,
    idempotent_run_id,
    request_digest,
)
from cromwes.translate.submission import WesSubmission

VISIBLE_WITHIN = 10.0
"""How long an idempotent submit waits for Cromwell to show the run (its id carries no time, so
the post-submit grace period of `cromwes.service.run_ids` cannot cover it)."""


@dataclass(frozen=True, slots=True)
class SubmissionIdentity:
    run_id: str
    labels: dict[str, str]
    digest: str


def submission_identity(
    submission: WesSubmission, key: str | None, caller: str | None, key_label: str
) -> SubmissionIdentity:
    """The run id and bookkeeping labels of a submission, derived from its Idempotency-Key."""
    if key is None:
        return SubmissionIdentity(new_run_id(), {}, "")
    digest = request_digest(submission)
    return SubmissionIdentity(
        run_id=idempotent_run_id(checked_key(key), caller),
        labels={key_label: key, DIGEST_LABEL: digest},
        digest=digest,
    )


async def submit(
    client: CromwellClient, form: CromwellSubmission, identity: SubmissionIdentity
) -> tuple[str, bool]:
    """Send the submission: (run id, whether Cromwell created it now).

    Under an Idempotency-Key (a digest is set), a retry of the same request gets the same run
    and creates nothing; another request under the same key is 409.
    """
    if not identity.digest:
        return str((await client.submit(form))["id"]), True
    run_id, digest = identity.run_id, identity.digest
    try:
        await client.submit(form)
    except WesError as refused:
        # Cromwell names the id it refuses to reuse; any other refusal is the client's problem.
        labels = await _labels_when_visible(client, run_id) if run_id in refused.msg else None
        if labels is None:
            raise
        if labels.get(DIGEST_LABEL) != digest:
            raise Conflict(
                "This Idempotency-Key was already used for a different request "
                f"(run {run_id}); use a new key for a new run."
            ) from refused
        return run_id, False
    await _labels_when_visible(client, run_id)
    return run_id, True


async def _labels_when_visible(client: CromwellClient, run_id: str) -> dict[str, str] | None:
    """The run's labels, waiting out Cromwell's post-submit 404; None if there is no such run."""
    deadline = time.monotonic() + VISIBLE_WITHIN
    delay = 0.05
    while True:
        try:
            return await client.labels(run_id)
        except RunNotFound:
            if time.monotonic() + delay > deadline:
                return None
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)
