"""Check a workflow_attachment file name: nested relative paths yes, escapes and tricks no.

WES says file names may contain sub-directories but never `..`, and that the server should guard
against malicious names (wes-spec.md §2); the reference service trusted them (its §10 item 14).
"""

import posixpath
import unicodedata

from cromwes.errors import InvalidRequest

MAX_NAME_LENGTH = 1024


def attachment_name(raw: str | None) -> str:
    """The normalised relative path of an attachment, or InvalidRequest saying what is wrong."""
    if raw is None or not raw.strip():
        raise InvalidRequest("every workflow_attachment needs a file name.")
    if len(raw) > MAX_NAME_LENGTH:
        raise InvalidRequest(
            f"workflow_attachment name is longer than {MAX_NAME_LENGTH} characters."
        )
    if any(unicodedata.category(char) == "Cc" for char in raw):
        raise InvalidRequest(f"workflow_attachment name {raw!r} contains control characters.")
    if "\\" in raw:
        raise InvalidRequest(f"workflow_attachment name {raw!r} must use '/' between directories.")
    if raw.startswith("/") or (len(raw) > 1 and raw[1] == ":"):
        raise InvalidRequest(f"workflow_attachment name {raw!r} must be a relative path.")
    parts = [part for part in raw.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise InvalidRequest(f"workflow_attachment name {raw!r} must not contain '..'.")
    if not parts:
        raise InvalidRequest(f"workflow_attachment name {raw!r} names no file.")
    return posixpath.join(*parts)
