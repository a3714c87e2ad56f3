"""Object names under a staging prefix, for the backends that store by name (GCS, Azure, local)."""

import posixpath

from cromwes.errors import InvalidRequest


def staged_name(prefix: str, folder: str, name: str) -> str:
    """`prefix/folder/name` with no empty, `.` or `..` segment and no leading `/`.

    The caller has checked `name` already (`translate.attachment_names`); this is the backends'
    own guard, so that no name can leave the submission's folder whatever the caller did. The
    reference built `/<prefix>/<uuid>/<name>` and so gave Azure blobs a leading `/` (its §5.4).
    """
    return posixpath.join(staged_folder_name(prefix, folder), _safe(name))


def staged_folder_name(prefix: str, folder: str) -> str:
    """`prefix/folder`: `folder` is a run id, or a run id and one attempt's sub-folder."""
    return posixpath.join(*[segment for segment in prefix.split("/") if segment], _safe(folder))


def _safe(part: str) -> str:
    segments = part.split("/")
    if not part or any(segment in ("", ".", "..") for segment in segments) or "\0" in part:
        raise InvalidRequest(f"{part!r} is not a safe relative name for a staged file.")
    return part
