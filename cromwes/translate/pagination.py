"""Opaque, tamper-evident page tokens for `GET /runs` and `GET /runs/{run_id}/tasks`.

A token carries one integer position and is bound by an HMAC to the *scope* it was issued for
(the list's filters and caller, or the run whose tasks are paged). A token that was altered, or
that is replayed against other filters, is refused with 400 instead of silently paging something
else. Replicas that share the secret accept each other's tokens: the gateway keeps no state.
"""

import base64
import binascii
import hashlib
import hmac

from cromwes.errors import InvalidRequest

_VERSION = "1"
_MAC_BYTES = 12


def encode_token(position: int, *, scope: str, key: bytes) -> str:
    payload = f"{_VERSION}.{position}"
    mac = _mac(payload, scope, key)
    raw = payload.encode() + b"." + mac
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, *, scope: str, key: bytes) -> int:
    """The position in `token`; InvalidRequest if it is malformed, altered or from another scope."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        version, position_text, mac = raw.split(b".", 2)
        payload = f"{version.decode()}.{position_text.decode()}"
        valid = version.decode() == _VERSION and hmac.compare_digest(mac, _mac(payload, scope, key))
        position = int(position_text)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidRequest("page_token is not a token this service issued.") from exc
    if not valid or position < 0:
        raise InvalidRequest(
            "page_token is not valid for this request: it was altered, or issued for other "
            "filters; start again without a page_token."
        )
    return position


def _mac(payload: str, scope: str, key: bytes) -> bytes:
    message = f"{scope}\n{payload}".encode()
    return hmac.new(key, message, hashlib.sha256).digest()[:_MAC_BYTES]
