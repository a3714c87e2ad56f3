"""Run ids the gateway mints: UUIDv7, so a run id tells when this gateway submitted it.

Cromwell answers 404 for a few seconds after a submit, until its summary table catches up
(cromwell-api.md §2.6.1). A stateless gateway cannot remember what it just submitted, but it can
read the time back from the id it chose (Cromwell's `requestedWorkflowId`): a 404 for an id minted
within the grace period means "not visible yet", reported as QUEUED, not "no such run".
"""

import uuid

import uuid6

RUN_ID_LENGTH = 36


def new_run_id() -> str:
    return str(uuid6.uuid7())


def is_run_id(text: str) -> bool:
    """Whether `text` is a UUID as Cromwell writes workflow ids (anything else is no run)."""
    if len(text) != RUN_ID_LENGTH:
        return False
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def minted_within(run_id: str, *, seconds: float, now: float) -> bool:
    """Whether `run_id` is a UUIDv7 minted no more than `seconds` before `now` (epoch seconds)."""
    try:
        value = uuid.UUID(run_id)
    except ValueError:
        return False
    if value.version != 7:
        return False
    minted = (value.int >> 80) / 1000
    return 0 <= now - minted <= seconds
