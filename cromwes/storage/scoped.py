"""An object store restricted to the objects below some prefixes: one run's own directories."""

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence

from cromwes.errors import NotFound
from cromwes.storage.base import DeleteOutcome, FileInfo, Storage

ObjectKey = Callable[[str], tuple[str, ...] | None]
"""The segments an object path names (bucket or container first), or None if it names none."""


def object_key(segments: Sequence[str]) -> tuple[str, ...] | None:
    """`segments` if none is empty, `.` or `..`: such a name could mean another object once it
    is put in a URL (HTTP clients collapse dot segments), so it names nothing here."""
    if not segments or any(s in ("", ".", "..") for s in segments):
        return None
    return tuple(segments)


class PrefixScope:
    """`storage`, serving only objects strictly below `roots`, compared by whole segments.

    `gs://b/runs/1` is below `gs://b/runs` but `gs://b/runs-evil/1` is not; a root given with a
    trailing `/` (as Cromwell writes GCS workflow roots) means the same folder.
    """

    def __init__(self, storage: Storage, key: ObjectKey, roots: Sequence[str]) -> None:
        self._storage = storage
        self._key = key
        self._roots = tuple(k for root in roots if (k := key(root.rstrip("/"))) is not None)

    async def stage(self, folder: str, name: str, chunks: AsyncIterator[bytes]) -> str:
        return await self._storage.stage(folder, name, chunks)

    async def remove_staged(self, locations: Sequence[str]) -> None:
        await self._storage.remove_staged(locations)

    def staged_folder(self, folder: str) -> str:
        return self._storage.staged_folder(folder)

    def scoped(self, roots: Sequence[str]) -> Storage:
        return PrefixScope(self, self._key, roots)

    def owns(self, path: str) -> bool:
        key = self._key(path)
        return (
            key is not None
            and self._storage.owns(path)
            and any(len(key) > len(root) and key[: len(root)] == root for root in self._roots)
        )

    async def existing(self, paths: Sequence[str]) -> set[str]:
        return await self._storage.existing([path for path in paths if self.owns(path)])

    async def stat(self, path: str) -> FileInfo:
        return await self._storage.stat(self._checked(path))

    async def read(self, path: str, start: int, end: int) -> AsyncGenerator[bytes, None]:
        async for chunk in self._storage.read(self._checked(path), start, end):
            yield chunk

    async def delete(self, path: str) -> DeleteOutcome:
        if not self.owns(path):
            return DeleteOutcome.NOT_FOUND
        return await self._storage.delete(path)

    async def signed_url(self, path: str, ttl_seconds: float | None = None) -> str | None:
        return await self._storage.signed_url(self._checked(path), ttl_seconds)

    def _checked(self, path: str) -> str:
        if not self.owns(path):
            # Never repeat a query: a SAS handed to us must not be echoed.
            raise NotFound(f"{path.split('?', 1)[0]} is not a file of this run.")
        return path
