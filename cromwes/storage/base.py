"""The one storage interface: stage attachments; stat, read and delete what Cromwell wrote."""

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


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
    DELETED = "DELETED"
    NOT_FOUND = "NOT_FOUND"
    FAILED = "FAILED"


class Storage(Protocol):
    """A storage backend. Paths are the strings Cromwell writes (a local path, gs://, https://)."""

    async def stage(self, folder: str, name: str, chunks: AsyncIterator[bytes]) -> str:
        """Write one attachment to `<staging root>/<folder>/<name>`; return where it went.

        `name` was checked by the caller (relative, no `..`). Refuses to overwrite.
        """
        ...

    async def remove_staged(self, locations: Sequence[str]) -> None:
        """Remove what `stage` wrote (after a failed submission); missing files are fine."""
        ...

    def owns(self, path: str) -> bool:
        """Whether `path` is a file this backend may read (its scheme and allowed roots)."""
        ...

    async def stat(self, path: str) -> FileInfo:
        """The file's metadata; NotFound if it does not exist or may not be read."""
        ...

    def read(self, path: str, start: int, end: int) -> AsyncIterator[bytes]:
        """Bytes `start..end` (inclusive) of the file, in chunks of bounded size."""
        ...

    async def delete(self, path: str) -> DeleteOutcome: ...

    async def signed_url(self, path: str, ttl_seconds: float) -> str | None:
        """A time-limited URL that reads the file directly, or None if the backend has none."""
        ...
