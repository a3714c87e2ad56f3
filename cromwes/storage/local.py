"""Local file system storage: staging under one root, reads only under configured roots."""

import asyncio
import errno
import mimetypes
import os
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from cromwes.errors import NotFound, StorageError
from cromwes.storage.base import DeleteOutcome, FileInfo

CHUNK = 256 * 1024


class LocalStorage:
    """Stages attachments under `staging_root`; reads files only under `read_roots`.

    A path outside every read root is refused without touching the file system, after it is
    resolved (symlinks followed), so neither `..` nor a link can reach outside a root.
    """

    def __init__(self, staging_root: str | Path, read_roots: Sequence[str | Path]) -> None:
        self._staging_root = Path(staging_root).resolve()
        self._read_roots = tuple(Path(root).resolve() for root in read_roots)

    @property
    def staging_root(self) -> Path:
        return self._staging_root

    async def stage(self, folder: str, name: str, chunks: AsyncIterator[bytes]) -> str:
        target = (self._staging_root / folder / name).resolve()
        if not target.is_relative_to(self._staging_root / folder):
            raise StorageError(f"attachment name {name!r} escapes the staging folder")
        await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
        try:
            handle = await asyncio.to_thread(open, target, "xb")
        except FileExistsError as exc:
            raise StorageError(f"staged file {target} already exists") from exc
        try:
            async for chunk in chunks:
                await asyncio.to_thread(handle.write, chunk)
        except BaseException:
            await asyncio.to_thread(handle.close)
            await asyncio.to_thread(target.unlink, True)
            raise
        await asyncio.to_thread(handle.close)
        return str(target)

    async def remove_staged(self, locations: Sequence[str]) -> None:
        def remove() -> None:
            folders = set()
            for location in locations:
                path = Path(location)
                if path.resolve().is_relative_to(self._staging_root):
                    path.unlink(missing_ok=True)
                    folders.add(path.parent)
            for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
                while folder != self._staging_root and folder.is_relative_to(self._staging_root):
                    try:
                        folder.rmdir()
                    except OSError:
                        break
                    folder = folder.parent

        await asyncio.to_thread(remove)

    def owns(self, path: str) -> bool:
        return path.startswith("/") or path.startswith("file://")

    def _readable(self, path: str) -> Path:
        local = Path(path.removeprefix("file://"))
        resolved = Path(os.path.realpath(local))
        roots = (*self._read_roots, self._staging_root)
        if not local.is_absolute() or not any(resolved.is_relative_to(r) for r in roots):
            raise NotFound(f"{path} is not a file this service may read.")
        return resolved

    async def stat(self, path: str) -> FileInfo:
        resolved = self._readable(path)
        try:
            info = await asyncio.to_thread(resolved.stat)
        except FileNotFoundError as exc:
            raise NotFound(f"{path} does not exist.") from exc
        except OSError as exc:
            raise StorageError(f"cannot read {path}: {exc.strerror}") from exc
        if not resolved.is_file():
            raise NotFound(f"{path} is not a file.")
        return FileInfo(
            path=path,
            name=resolved.name,
            size=info.st_size,
            last_modified=datetime.fromtimestamp(info.st_mtime, UTC),
            created=datetime.fromtimestamp(info.st_ctime, UTC),
            content_type=mimetypes.guess_type(resolved.name)[0],
        )

    async def read(self, path: str, start: int, end: int) -> AsyncIterator[bytes]:
        resolved = self._readable(path)
        try:
            handle = await asyncio.to_thread(open, resolved, "rb")
        except FileNotFoundError as exc:
            raise NotFound(f"{path} does not exist.") from exc
        try:
            await asyncio.to_thread(handle.seek, start)
            remaining = end - start + 1
            while remaining > 0:
                chunk = await asyncio.to_thread(handle.read, min(CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                yield chunk
        finally:
            # Shielded: a reader cancelled here (the client got its last byte and left) must
            # still close the file, not drop the queued close with the handle still open.
            await asyncio.shield(asyncio.to_thread(handle.close))

    async def delete(self, path: str) -> DeleteOutcome:
        resolved = self._readable(path)
        try:
            await asyncio.to_thread(resolved.unlink)
        except FileNotFoundError:
            return DeleteOutcome.NOT_FOUND
        except OSError as exc:
            return DeleteOutcome.NOT_FOUND if exc.errno == errno.ENOENT else DeleteOutcome.FAILED
        return DeleteOutcome.DELETED

    async def signed_url(self, path: str, ttl_seconds: float) -> str | None:
        return None
