"""Send a submission to Cromwell, once, even when the client retries it.

The one submit path of `POST /runs` and `POST /batches`: a `Submitter` authorizes a workflow,
turns a WES submission into Cromwell's form and sends it; a batch sends one per element, sharing
the workflow files (`cromwes.service.batches`).
"""

import asyncio
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cromwes.config.settings import Authorizers
from cromwes.cromwell.client import CromwellClient
from cromwes.cromwell.types import CromwellSubmission
from cromwes.errors import Conflict, RunNotFound, WesError
from cromwes.policy.allowlist import AttachmentDigest, authorize_workflow
from cromwes.policy.paths import PathRule, translate_inputs
from cromwes.service.run_ids import new_run_id
from cromwes.translate.idempotency import (
    DIGEST_LABEL,
    checked_key,
    idempotent_run_id,
    request_digest,
)
from cromwes.translate.submission import (
    SubmissionRules,
    WesSubmission,
    WorkflowFiles,
    cromwell_submission,
)

VISIBLE_WITHIN = 10.0
"""How long an idempotent submit waits for Cromwell to show the run (its id carries no time, so
the post-submit grace period of `cromwes.service.run_ids` cannot cover it)."""


@dataclass(frozen=True, slots=True)
class PlannedRun:
    """What is decided before the body is read: the run id, and where its attachments go."""

    run_id: str
    staging_folder: str
    """`<run id>`; for an idempotent submit `<run id>/<attempt>`: a retry stages its own copy
    before it can know it is a retry, so it must not collide with the first attempt's."""
    key: str | None


@dataclass(frozen=True, slots=True)
class SubmissionIdentity:
    run_id: str
    labels: dict[str, str]
    digest: str


def planned_run(
    key: str | None, caller: str | None, *, run_id_key: bytes, owner_key: bytes
) -> PlannedRun:
    """The run id of a submission: derived from its Idempotency-Key (and caller), or minted
    now, bound to the caller (see `cromwes.service.run_ids`)."""
    if key is None:
        run_id = new_run_id(owner=caller or "", key=owner_key, now=time.time())
        return PlannedRun(run_id, run_id, None)
    run_id = idempotent_run_id(checked_key(key), caller, secret_key=run_id_key)
    return PlannedRun(run_id, f"{run_id}/{secrets.token_hex(8)}", key)


def submission_identity(
    planned: PlannedRun, submission: WesSubmission, key_label: str
) -> SubmissionIdentity:
    """The run id and bookkeeping labels of a submission whose body has been read."""
    if planned.key is None:
        return SubmissionIdentity(planned.run_id, {}, "")
    digest = request_digest(submission)
    return SubmissionIdentity(
        run_id=planned.run_id,
        labels={key_label: planned.key, DIGEST_LABEL: digest},
        digest=digest,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Submitter:
    """Everything the submissions of one request share: the caller, the Cromwell they go to,
    and the rules that shape them."""

    client: CromwellClient
    rules: SubmissionRules
    path_rules: Sequence[PathRule]
    authorizers: Authorizers
    user_id: str | None
    engine_version: str | None
    request_ids: bool
    """Choose run ids ourselves (`cromwell.request_workflow_ids`); always under a key."""

    def authorize(self, submission: WesSubmission) -> None:
        """Forbidden unless the workflow allow-lists let `submission`'s workflow run."""
        authorize_workflow(
            submission.workflow_url,
            [AttachmentDigest(a.name, a.md5) for a in submission.attachments],
            self.authorizers,
        )

    def form(
        self,
        submission: WesSubmission,
        identity: SubmissionIdentity,
        *,
        labels: Mapping[str, str] | None = None,
        files: WorkflowFiles | None = None,
    ) -> CromwellSubmission:
        """Cromwell's form for `submission` (InvalidRequest names the first broken rule)."""
        return cromwell_submission(
            submission,
            self.rules,
            user_id=self.user_id,
            extra_labels={**(labels or {}), **identity.labels},
            translate_inputs=lambda inputs: translate_inputs(inputs, self.path_rules),
            requested_id=identity.run_id if identity.digest or self.request_ids else None,
            engine_version=self.engine_version,
            files=files,
        )

    async def send(
        self, form: CromwellSubmission, identity: SubmissionIdentity
    ) -> tuple[str, bool]:
        return await submit(self.client, form, identity)


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
