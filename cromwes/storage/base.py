"""The one storage interface: stage attachments; stat, read and delete what Cromwell wrote."""

import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from cromwes.errors import StorageError

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class FileInfo:
    """What a storage backend knows about one file."""

    path: str
    name: str
    size: int
    last_modified: datetime | None = None
    created: datetime | None = None
    content_type: str | None = None
    content_encoding: str | None = None
    checksums: tuple[tuple[str, str], ...] = ()
    """(type, value) pairs, e.g. ("md5", hex) or ("crc32c", hex)."""


class DeleteOutcome(StrEnum):
    """What became of one file a caller asked to delete (the reference's deletion `state`)."""

    DELETED = "DELETED"
    NOT_FOUND = "NOT_FOUND"
    FAILED = "FAILED"


class Storage(Protocol):
    """A storage backend. Paths are the strings Cromwell writes (a local path, gs://, https://)."""

    async def stage(self, folder: str, name: str, chunks: AsyncIterator[bytes]) -> str:
        """Write one attachment to `<staging root>/<folder>/<name>`; return where it went.

        `name` was checked by the caller (relative, no `..`); a name that would still leave the
        folder is refused with InvalidRequest. The bytes are streamed as `chunks` yields them,
        never held whole. An existing file is never overwritten: that can only be the same name
        twice in one submission, so it is an InvalidRequest too. If `chunks` raises, nothing is
        left behind and the error propagates.
        """
        ...

    async def remove_staged(self, locations: Sequence[str]) -> None:
        """Remove what `stage` wrote (after a failed submission) and the folders it made.

        Missing files are fine, and locations outside the staging area are left alone. Every
        location is tried; StorageError afterwards if any could not be removed.
        """
        ...

    def staged_folder(self, folder: str) -> str:
        """Where `stage(folder, ...)` puts files, spelled as `stage` spells their locations."""
        ...

    def scoped(self, roots: Sequence[str]) -> "Storage":
        """This backend, reading, listing and deleting only below `roots` (and still only where
        it may read at all): the view a run's file and log endpoints use.

        Roots and paths are compared by whole segments after `..` is collapsed (local disk) or
        refused (object stores); on local disk a symlink below a root that leads out of every
        root is not followed. No I/O.
        """
        ...

    def owns(self, path: str) -> bool:
        """Whether `path` is a file this backend may read (its scheme and allowed roots).

        Decided from the string alone, without I/O: it says nothing about existence.
        """
        ...

    async def existing(self, paths: Sequence[str]) -> set[str]:
        """Those of `paths` that are files this backend may read and that exist now."""
        ...

    async def stat(self, path: str) -> FileInfo:
        """The file's metadata; NotFound if it does not exist or may not be read."""
        ...

    def read(self, path: str, start: int, end: int) -> AsyncGenerator[bytes, None]:
        """Bytes `start..end` (inclusive) of the file, in chunks of bounded size.

        The range is clipped to the end of the file, so a range that starts past the end (any
        range of an empty file, or `end < start`) yields nothing; a negative `start` is
        RangeNotSatisfiable. NotFound is raised on the first iteration if the file does not
        exist or may not be read.
        """
        ...

    async def delete(self, path: str) -> DeleteOutcome:
        """Delete one file: DELETED, NOT_FOUND (missing or not readable here) or FAILED."""
        ...

    async def signed_url(self, path: str, ttl_seconds: float | None = None) -> str | None:
        """A time-limited URL that reads the file directly, or None if the backend has none.

        `ttl_seconds` defaults to the backend's configured TTL (`gcp.signed_url_ttl`,
        `abs.signed_url_ttl`). NotFound if `path` is not this backend's to read.
        """
        ...


async def remove_each(
    storage: Storage, locations: Sequence[str], *, staged: Callable[[str], bool]
) -> None:
    """Delete every location `staged` accepts (others are logged, never touched); StorageError
    after trying them all if any deletion failed. Shared by the cloud backends' remove_staged."""
    failed = 0
    for location in locations:
        if not staged(location):
            logger.warning("not removing %s: it is not under the staging location", location)
            continue
        if await storage.delete(location) is DeleteOutcome.FAILED:
            failed += 1
    if failed:
        raise StorageError(f"{failed} staged attachment(s) could not be removed.")
