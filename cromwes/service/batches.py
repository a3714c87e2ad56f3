"""Submit, find and cancel the runs of a batch (see `cromwes.translate.batches`).

A batch is submitted run by run through the one submit path (`Submitter`), a few at a time, so
that each element succeeds or fails on its own: a refused element is reported with its error,
never silently dropped, and the others still run. Once Cromwell itself fails (5xx: down,
saturated, timing out), the elements not yet sent are not sent. With an Idempotency-Key every
run id is derived from the key, so retrying the same batch submits only what is missing.
"""

import asyncio
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cromwes.cromwell.client import CromwellClient
from cromwes.cromwell.types import CromwellSubmission, QueryResult
from cromwes.errors import Conflict, NotFound, RunNotFound, UpstreamError, WesError
from cromwes.service.run_ids import is_run_id, minted_for, minted_within, new_run_id
from cromwes.service.runs import cancel
from cromwes.service.submissions import SubmissionIdentity, Submitter
from cromwes.translate.batches import (
    BatchLabels,
    BatchRun,
    batch_digest,
    batch_elements,
    batch_query,
    batch_runs,
    element_digest,
)
from cromwes.translate.idempotency import DIGEST_LABEL, checked_key, idempotent_run_id
from cromwes.translate.labels import Owner
from cromwes.translate.submission import WesSubmission, workflow_files

QUERY_PAGE = 1000


@dataclass(frozen=True, slots=True)
class PlannedBatch:
    """What is decided before the body is read: the batch id, and where its attachments go."""

    batch_id: str
    staging_folder: str
    """`<batch id>`, or `<batch id>/<attempt>` under a key (see `PlannedRun`)."""
    key: str | None
    owner: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchRules:
    """What shapes every batch (a slice of the settings and the prepared keys)."""

    labels: BatchLabels
    key_label: str
    batch_key: bytes
    owner_key: bytes
    concurrency: int


@dataclass(frozen=True, slots=True)
class Failure:
    """Why one element of a batch was not submitted or cancelled, as an ErrorResponse."""

    index: int
    msg: str
    status_code: int
    cause: WesError = field(compare=False, repr=False)

    @classmethod
    def of(cls, index: int, error: WesError) -> "Failure":
        return cls(index, error.msg, error.status_code, error)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one element: its run (created now or by an earlier try), or why not."""

    run_id: str | None
    created: bool = False
    failure: Failure | None = None


def planned_batch(
    key: str | None, caller: str | None, *, batch_key: bytes, owner_key: bytes
) -> PlannedBatch:
    """A minted batch id (UUIDv7 bound to the caller, as run ids), or one derived from the
    Idempotency-Key and the caller."""
    owner = caller or ""
    if key is None:
        batch_id = new_run_id(owner=owner, key=owner_key, now=time.time())
        return PlannedBatch(batch_id, batch_id, None, owner)
    batch_id = idempotent_run_id(checked_key(key), caller, secret_key=batch_key)
    return PlannedBatch(batch_id, f"{batch_id}/{secrets.token_hex(8)}", key, owner)


async def submit_batch(
    submitter: Submitter,
    planned: PlannedBatch,
    submission: WesSubmission,
    params: Sequence[Mapping[str, Any]],
    rules: BatchRules,
) -> list[Outcome]:
    """Submit `submission` once per element of `params`: one outcome per element, in order.

    Every element is checked before the first is sent (InvalidRequest, nothing submitted); the
    workflow files are made once and shared."""
    files = workflow_files(submission, submitter.rules, engine_version=submitter.engine_version)
    digest = batch_digest(submission, params) if planned.key is not None else ""
    identities = element_identities(planned, len(params), digest, rules)
    forms = []
    for index, (element, identity) in enumerate(
        zip(batch_elements(submission, params), identities, strict=True)
    ):
        labels = rules.labels.of(planned.batch_id, index)
        try:
            forms.append(submitter.form(element, identity, labels=labels, files=files))
        except WesError as exc:
            exc.msg = f"workflow_params[{index}]: {exc.msg}"
            raise
    return await send_batch(submitter, forms, identities, concurrency=rules.concurrency)


def element_identities(
    planned: PlannedBatch, count: int, digest: str, rules: BatchRules
) -> list[SubmissionIdentity]:
    """The run id and bookkeeping labels of each element of a batch."""
    if planned.key is None:
        now = time.time()
        return [
            SubmissionIdentity(
                new_run_id(owner=planned.owner, key=rules.owner_key, now=now), {}, ""
            )
            for _ in range(count)
        ]
    identities = []
    for index in range(count):
        run_digest = element_digest(digest, index)
        run_id = idempotent_run_id(
            f"{planned.batch_id}#{index}", planned.owner, secret_key=rules.batch_key
        )
        labels = {rules.key_label: planned.key, DIGEST_LABEL: run_digest}
        identities.append(SubmissionIdentity(run_id, labels, run_digest))
    return identities


async def send_batch(
    submitter: Submitter,
    forms: Sequence[CromwellSubmission],
    identities: Sequence[SubmissionIdentity],
    *,
    concurrency: int,
) -> list[Outcome]:
    """Send every form, `concurrency` at a time, in input order; one outcome per form."""
    outcomes: list[Outcome | None] = [None] * len(forms)
    pending = iter(range(len(forms)))
    halted: list[WesError] = []

    async def worker() -> None:
        for index in pending:
            if halted:
                outcomes[index] = Outcome(None, failure=_not_sent(index, halted[0]))
                continue
            try:
                run_id, created = await submitter.send(forms[index], identities[index])
            except WesError as exc:
                if isinstance(exc, UpstreamError):
                    halted.append(exc)
                outcomes[index] = Outcome(None, failure=Failure.of(index, exc))
            else:
                outcomes[index] = Outcome(run_id, created=created)

    await asyncio.gather(*(worker() for _ in range(min(concurrency, len(forms)))))
    return [outcome or Outcome(None) for outcome in outcomes]


def _not_sent(index: int, cause: WesError) -> Failure:
    msg = f"Not submitted: Cromwell failed an earlier run of the batch: {cause.msg}"
    return Failure(index, msg, cause.status_code, cause)


async def find_batch(
    client: CromwellClient,
    batch_id: str,
    owner: Owner,
    *,
    labels: BatchLabels,
    grace: float,
    owner_key: bytes,
) -> list[BatchRun]:
    """The runs of a batch this caller may see, in input order. NotFound if there are none,
    unless the batch was minted moments ago for this caller: Cromwell may not list its runs yet,
    so it is empty rather than unknown."""
    if not is_run_id(batch_id):
        raise NotFound(f"Batch {batch_id} not found.")
    batch_id = batch_id.lower()
    rows: list[QueryResult] = []
    page = 1
    while True:
        params = [*batch_query(labels, batch_id, owner), ("pageSize", str(QUERY_PAGE))]
        answer = await client.query([*params, ("page", str(page))])
        rows += answer["results"]
        if not answer["results"] or len(rows) >= int(answer["totalResultsCount"]):
            break
        page += 1
    runs = batch_runs(rows, labels)
    if not runs and not _fresh(batch_id, owner, grace=grace, owner_key=owner_key):
        raise NotFound(f"Batch {batch_id} not found.")
    return runs


def _fresh(batch_id: str, owner: Owner, *, grace: float, owner_key: bytes) -> bool:
    return minted_within(batch_id, seconds=grace, now=time.time()) and (
        owner is None or minted_for(batch_id, owner=owner[1], key=owner_key)
    )


async def cancel_runs(
    client: CromwellClient, runs: Sequence[BatchRun], *, concurrency: int, grace: float
) -> tuple[list[str], list[Failure]]:
    """Cancel every unfinished run: (the runs asked to cancel, why the others could not be). A
    run that finished meanwhile is in neither list."""
    slots = asyncio.Semaphore(concurrency)
    canceled: list[str] = []
    failures: list[Failure] = []

    async def cancel_one(run: BatchRun) -> None:
        async with slots:
            try:
                await cancel(client, run.run_id, grace=grace)
            except (Conflict, RunNotFound):
                return  # it finished (or vanished) since the query: nothing to cancel
            except WesError as exc:
                failures.append(Failure.of(run.index, exc))
                return
        canceled.append(run.run_id)

    await asyncio.gather(*(cancel_one(run) for run in runs if not run.state.is_terminal))
    order = {run.run_id: position for position, run in enumerate(runs)}
    canceled.sort(key=order.__getitem__)
    failures.sort(key=lambda failure: failure.index)
    return canceled, failures


def batch_not_listed(batch_id: str) -> Conflict:
    return Conflict(
        f"Batch {batch_id} was submitted moments ago and Cromwell does not list its runs yet; "
        "retry in a few seconds."
    )
