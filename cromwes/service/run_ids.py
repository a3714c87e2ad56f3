"""Run ids the gateway mints: UUIDv7 that tell when, and for whom, this gateway submitted a run.

Cromwell answers 404 for a few seconds after a submit, until its summary table catches up
(cromwell-api.md §2.6.1). A stateless gateway cannot remember what it just submitted, but it can
read the time back from the id it chose (Cromwell's `requestedWorkflowId`): a 404 for an id minted
within the grace period means "not visible yet", reported as QUEUED, not "no such run".

In that window Cromwell cannot say whose run it is either (its labels answer 404 too), so the
owner is bound into the id: the last 32 of the 74 random bits of a UUIDv7 (RFC 9562 §5.7) are an
HMAC, under the gateway's secret, of the owner and the rest of the id. A gateway sharing the
secret can then tell the owner of a fresh run without asking Cromwell; a caller whose id does not
match is refused as for any run they cannot see (one chance in 2^32 to pass by accident, and
none to choose it). The other 42 random bits keep ids of the same millisecond apart.
"""

import hashlib
import hmac
import secrets
import uuid

RUN_ID_LENGTH = 36
_TAG_BITS = 32
_RANDOM_BITS = 42
_TAG_MASK = (1 << _TAG_BITS) - 1


def new_run_id(*, owner: str, key: bytes, now: float) -> str:
    """A UUIDv7 for a run submitted for `owner` at `now` (epoch seconds), bound to `owner`."""
    random_bits = secrets.randbits(_RANDOM_BITS)
    rand_a, rand_b_high = random_bits >> 30, random_bits & ((1 << 30) - 1)
    head = (
        (int(now * 1000) & ((1 << 48) - 1)) << 80
        | 0x7 << 76
        | rand_a << 64
        | 0b10 << 62
        | rand_b_high << _TAG_BITS
    )
    return str(uuid.UUID(int=head | _owner_tag(head, owner, key)))


def minted_for(run_id: str, *, owner: str, key: bytes) -> bool:
    """Whether `run_id` is a UUIDv7 minted with `key` for `owner`."""
    try:
        value = uuid.UUID(run_id)
    except ValueError:
        return False
    if value.version != 7:
        return False
    head = value.int & ~_TAG_MASK
    return hmac.compare_digest(
        (value.int & _TAG_MASK).to_bytes(4, "big"),
        _owner_tag(head, owner, key).to_bytes(4, "big"),
    )


def _owner_tag(head: int, owner: str, key: bytes) -> int:
    message = head.to_bytes(16, "big") + owner.encode()
    return int.from_bytes(hmac.new(key, message, hashlib.sha256).digest()[:4], "big")


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
