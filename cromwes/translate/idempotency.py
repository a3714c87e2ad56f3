"""Idempotent submission: the run id and request digest an `Idempotency-Key` stands for.

The run id is derived from the key and the caller, and sent to Cromwell as `requestedWorkflowId`:
a retried submit then asks for an id Cromwell already holds, and Cromwell refuses to create a
second workflow — even when the first submit has not reached Cromwell's query tables yet, or is
still in flight. The digest of the request, stored as a label, tells a true retry (same request:
same run) from a reused key (another request: 409).

The derivation is keyed with the gateway's secret (HMAC-SHA256): a name-based UUID under a
namespace written in the source let anyone compute another user's run id from a user name and a
guessable key (`nightly-2026-12-02`). The id is a UUIDv8 (RFC 9562 §5.8, "custom"), so it is
never mistaken for a minted UUIDv7 and its bits say nothing about when it was made.
"""

import hashlib
import hmac
import json
import re
import uuid

from cromwes.errors import InvalidRequest
from cromwes.translate.submission import WesSubmission

DIGEST_LABEL = "wes-request-digest"
_KEY = re.compile(r"^[\x21-\x7e]{1,128}$")


def checked_key(key: str) -> str:
    if not _KEY.match(key):
        raise InvalidRequest(
            "Idempotency-Key must be 1 to 128 printable ASCII characters without spaces."
        )
    return key


def idempotent_run_id(key: str, caller: str | None, *, secret_key: bytes) -> str:
    """The run id a key stands for; keys of different callers never collide."""
    message = f"{caller or ''}\n{key}".encode()
    bits = int.from_bytes(hmac.new(secret_key, message, hashlib.sha256).digest()[:16], "big")
    bits = (bits & ~(0xF << 76) | 0x8 << 76) & ~(0b11 << 62) | 0b10 << 62
    return str(uuid.UUID(int=bits))


def request_digest(submission: WesSubmission) -> str:
    """A digest of everything the client sent, attachments by name and MD5."""
    canonical = {
        "workflow_url": submission.workflow_url,
        "workflow_type": submission.workflow_type.upper(),
        "workflow_type_version": submission.workflow_type_version,
        "workflow_params": submission.workflow_params,
        "tags": submission.tags,
        "workflow_engine_parameters": submission.workflow_engine_parameters,
        "workflow_engine": submission.workflow_engine,
        "workflow_engine_version": submission.workflow_engine_version,
        "attachments": sorted((a.name, a.md5) for a in submission.attachments),
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
