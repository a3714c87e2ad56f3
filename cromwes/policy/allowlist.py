"""Which workflows may run: the URL allow-list and the attachment checksum allow-list.

As in the reference service (reference-service.md §4): with no authorizer enabled every workflow
may run; otherwise a submission runs if ANY enabled authorizer approves it. Closed gaps: MD5s
compare case-insensitively, a submission with nothing to check is not approved by the checksum
list (the reference approved it, or crashed), and URLs are normalised before they are matched so
`https://ok.org/wf/../../evil.wdl` is judged as `https://ok.org/evil.wdl`.
"""

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from cromwes.config.settings import Authorizers
from cromwes.errors import Forbidden


@dataclass(frozen=True, slots=True)
class AttachmentDigest:
    name: str
    md5: str


def authorize_workflow(
    workflow_url: str, attachments: Sequence[AttachmentDigest], authorizers: Authorizers
) -> None:
    """Return if the workflow may run; Forbidden says which authorizer refused and why."""
    refusals: list[str] = []
    url_list = authorizers.url_allow_list
    if url_list.enabled:
        refusal = _url_refusal(workflow_url, url_list.allowed_urls)
        if refusal is None:
            return
        refusals.append(f"url_allow_list: {refusal}")
    checksums = authorizers.checksum
    if checksums.enabled:
        refusal = _checksum_refusal(
            workflow_url, attachments, checksums.allowed_checksums, checksums.excluded_files
        )
        if refusal is None:
            return
        refusals.append(f"checksum: {refusal}")
    if refusals:
        raise Forbidden("Workflow is not authorized. " + " ".join(refusals))


def normalised_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.path:
        return url
    path = posixpath.normpath(parts.path)
    if parts.path.endswith("/") and path != "/":
        path += "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def _url_refusal(workflow_url: str, patterns: Sequence[str]) -> str | None:
    candidate = normalised_url(workflow_url)
    if any(re.fullmatch(pattern, candidate) for pattern in patterns):
        return None
    return f"workflow_url {candidate!r} matches no allowed URL pattern."


def _checksum_refusal(
    workflow_url: str,
    attachments: Sequence[AttachmentDigest],
    allowed: Sequence[str],
    excluded: Sequence[str],
) -> str | None:
    if urlsplit(workflow_url).scheme:
        return "only attached workflows (a relative workflow_url) can be checked."
    checked = [a for a in attachments if a.name not in excluded]
    if not checked:
        return "no attachment to check."
    allowed_md5 = {checksum.lower() for checksum in allowed}
    for attachment in checked:
        if attachment.md5.lower() not in allowed_md5:
            return f"attachment {attachment.name!r} (md5 {attachment.md5.lower()}) is not allowed."
    return None
