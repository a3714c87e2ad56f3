"""Local file system storage: staging under one root, reads only under configured roots."""

import asyncio
import copy
import errno
import logging
import mimetypes
import os
import stat
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from cromwes.errors import InvalidRequest, NotFound, RangeNotSatisfiable, StorageError
from cromwes.storage.base import DeleteOutcome, FileInfo
from cromwes.storage.confined import Roots, resolve_confined
from cromwes.storage.names import staged_folder_name, staged_name

CHUNK_SIZE = 1024 * 1024
"""Bytes per read from disk: big enough that thread hops cost little, small enough to not matter."""

OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
"""O_NOFOLLOW: the resolved path has no symlinks left, so one appearing now is a swap; O_NONBLOCK:
opening a FIFO someone left in a log directory must not hang a worker thread."""

logger = logging.getLogger(__name__)


class LocalStorage:
    """Stages attachments under `staging_root`; reads only under `read_roots` and the staging root.

    A path is refused with NotFound before anything outside the roots is looked at: `..` and
    symlinks are followed component by component and stop at a root's edge (`confined`).
    The constructor resolves the roots' own symlinks, so build it off the event loop.
    """

    def __init__(self, staging_root: str | Path, read_roots: Sequence[str | Path]) -> None:
        self._staging_root = Path(os.path.realpath(staging_root))
        self._roots = Roots.of((self._staging_root, *read_roots))

    @property
    def staging_root(self) -> Path:
        return self._staging_root

    async def stage(self, folder: str, name: str, chunks: AsyncIterator[bytes]) -> str:
        target = self._staging_root / staged_name("", folder, name)
        handle = await asyncio.to_thread(self._create, target)
        try:
            async for chunk in chunks:
                await asyncio.to_thread(handle.write, chunk)
            await asyncio.to_thread(handle.close)
        except BaseException:
            await asyncio.to_thread(self._discard, handle, target)
            raise
        return str(target)

    def _discard(self, handle: BinaryIO, target: Path) -> None:
        """Blocking. Remove a half-written attachment, and the folders made for it if empty
        (an upload cut off mid-body must not leave an empty `<folder>/` behind)."""
        handle.close()
        target.unlink(missing_ok=True)
        # `_create` checked that no component of the folder is a symlink.
        folder = target.parent
        while self._staging_root in folder.parents:
            try:
                folder.rmdir()
            except OSError:
                return  # not empty: it holds another attachment of the same submission
            folder = folder.parent

    def _create(self, target: Path) -> BinaryIO:
        target.parent.mkdir(parents=True, exist_ok=True)
        # A fresh folder may still hold a symlink planted by someone with write access to the
        # staging root; refuse to write through it rather than trust the folder.
        if resolve_confined(self._roots, PurePosixPath(target.parent)) != target.parent:
            raise InvalidRequest(f"attachment {target.name!r} would be staged outside its folder.")
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        except FileExistsError as exc:
            raise InvalidRequest(
                f"attachment {target.relative_to(self._staging_root)} was sent twice."
            ) from exc
        except OSError as exc:
            raise StorageError(f"cannot stage an attachment: {exc.strerror}") from exc
        return os.fdopen(fd, "wb")

    async def remove_staged(self, locations: Sequence[str]) -> None:
        await asyncio.to_thread(self._remove_staged, locations)

    def _remove_staged(self, locations: Sequence[str]) -> None:
        folders: set[Path] = set()
        failures = 0
        for location in locations:
            local = _local_path(location)
            folder = None if local is None else resolve_confined(self._roots, local.parent)
            if (
                local is None
                or local.name == ".."
                or folder is None
                or not folder.is_relative_to(self._staging_root)
            ):
                logger.warning("not removing %s: it is not under the staging root", location)
                continue
            try:
                (folder / local.name).unlink(missing_ok=True)
            except OSError:
                logger.exception("removing staged %s failed", location)
                failures += 1
            folders.update(p for p in (folder, *folder.parents) if self._staging_root in p.parents)
        # Deepest first, so `<run>/a/b` goes before `<run>/a` and `<run>`; a folder that still
        # holds something (another attachment) stays.
        for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
            try:
                folder.rmdir()
            except FileNotFoundError:
                pass
            except OSError as exc:
                if exc.errno != errno.ENOTEMPTY:
                    logger.exception("removing staged folder %s failed", folder)
                    failures += 1
        if failures:
            raise StorageError(f"{failures} staged file(s) or folder(s) could not be removed.")

    def staged_folder(self, folder: str) -> str:
        return str(self._staging_root / staged_folder_name("", folder))

    def scoped(self, roots: Sequence[str]) -> "LocalStorage":
        view = copy.copy(self)
        view._roots = self._roots.narrowed(p for p in map(_local_path, roots) if p is not None)
        return view

    def owns(self, path: str) -> bool:
        local = _local_path(path)
        return local is not None and self._roots.spell_inside(local)

    async def existing(self, paths: Sequence[str]) -> set[str]:
        return await asyncio.to_thread(self._existing, paths)

    def _existing(self, paths: Sequence[str]) -> set[str]:
        found = set()
        for path in paths:
            local = _local_path(path)
            if local is None or not self._roots.spell_inside(local):
                continue
            try:
                resolved = resolve_confined(self._roots, local)
                if resolved is not None and stat.S_ISREG(os.lstat(resolved).st_mode):
                    found.add(path)
            except OSError:
                logger.warning("cannot tell whether %s exists", path, exc_info=True)
        return found

    async def stat(self, path: str) -> FileInfo:
        resolved = await asyncio.to_thread(self._resolve, path)
        # Through the same open as a read, so that the file described is the one checked.
        info = await asyncio.to_thread(self._fstat, path, resolved)
        return FileInfo(
            path=path,
            name=resolved.name,
            size=info.st_size,
            last_modified=datetime.fromtimestamp(info.st_mtime, UTC),
            content_type=mimetypes.guess_type(resolved.name)[0],
        )

    def _fstat(self, path: str, resolved: Path) -> os.stat_result:
        with self._open(path, resolved) as handle:
            return os.fstat(handle.fileno())

    async def read(self, path: str, start: int, end: int) -> AsyncGenerator[bytes, None]:
        if start < 0:
            raise RangeNotSatisfiable(f"a byte range cannot start at {start}.", size=None)
        resolved = await asyncio.to_thread(self._resolve, path)
        identity: tuple[int, int] | None = None
        offset = start
        while offset <= end:
            # Each chunk opens, reads and closes in one blocking call, so no descriptor outlives
            # it: a client that hangs up (the task is cancelled) cannot leak an open file.
            chunk, identity = await asyncio.to_thread(
                self._read_chunk,
                path,
                resolved,
                offset,
                min(CHUNK_SIZE, end - offset + 1),
                identity,
            )
            if not chunk:
                break
            offset += len(chunk)
            yield chunk

    def _read_chunk(
        self, path: str, resolved: Path, offset: int, size: int, identity: tuple[int, int] | None
    ) -> tuple[bytes, tuple[int, int]]:
        """Blocking. `size` bytes at `offset`, refusing a file that was replaced mid-read."""
        with self._open(path, resolved) as handle:
            info = os.fstat(handle.fileno())
            if identity is not None and identity != (info.st_dev, info.st_ino):
                raise StorageError(f"{path} was replaced while it was being read.")
            handle.seek(offset)
            return handle.read(size), (info.st_dev, info.st_ino)

    async def delete(self, path: str) -> DeleteOutcome:
        local = _local_path(path)
        if local is None or not self._roots.spell_inside(local):
            return DeleteOutcome.NOT_FOUND
        try:
            return await asyncio.to_thread(self._delete, local)
        except OSError:
            logger.exception("deleting %s failed", path)
            return DeleteOutcome.FAILED

    def _delete(self, local: PurePosixPath) -> DeleteOutcome:
        # Resolve the folder, not the file: a symlink is removed itself and never its target, so
        # deleting an intermediate file cannot delete an input Cromwell linked into the run.
        folder = resolve_confined(self._roots, local.parent)
        if folder is None or local.name == "..":
            return DeleteOutcome.NOT_FOUND
        entry = folder / local.name
        try:
            mode = os.lstat(entry).st_mode
        except FileNotFoundError:
            return DeleteOutcome.NOT_FOUND
        if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
            return DeleteOutcome.NOT_FOUND
        try:
            entry.unlink()
        except FileNotFoundError:
            return DeleteOutcome.NOT_FOUND
        return DeleteOutcome.DELETED

    async def signed_url(self, path: str, ttl_seconds: float | None = None) -> str | None:
        return None

    def _resolve(self, path: str) -> Path:
        """Blocking. The file's symlink-free path inside a root, or NotFound."""
        local = _local_path(path)
        if local is None or not self._roots.spell_inside(local):
            raise NotFound(f"{path} is not a file this service may read.")
        try:
            resolved = resolve_confined(self._roots, local)
        except OSError as exc:
            raise StorageError(f"cannot read {path}: {exc.strerror}") from exc
        if resolved is None:
            raise NotFound(f"{path} does not exist or is not a file this service may read.")
        return resolved

    def _open(self, path: str, resolved: Path) -> BinaryIO:
        """Blocking. Open `resolved` for reading, proving afterwards that it is what was checked."""
        try:
            fd = os.open(resolved, OPEN_FLAGS)
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise NotFound(f"{path} does not exist.") from exc
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise NotFound(f"{path} is not a file this service may read.") from exc
            raise StorageError(f"cannot read {path}: {exc.strerror}") from exc
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode) or not self._opened_inside(fd):
                raise NotFound(f"{path} is not a file this service may read.")
            return os.fdopen(fd, "rb", buffering=0)
        except BaseException:
            os.close(fd)
            raise

    def _opened_inside(self, fd: int) -> bool:
        # A directory on the way could have been swapped for a symlink between the check and the
        # open; the kernel's own name for the open file settles it (Linux; elsewhere, trust the
        # check).
        try:
            opened = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            return True
        return self._roots.really_inside(PurePosixPath(opened))


def _local_path(path: str) -> PurePosixPath | None:
    """The absolute path a Cromwell path or `file://` URL names, `..` kept, or None (no I/O)."""
    if path.startswith("file:"):
        url = urlsplit(path)
        if url.netloc not in ("", "localhost") or url.query or url.fragment:
            return None
        path = unquote(url.path)
    if "\0" in path or not path.startswith("/"):
        return None
    return PurePosixPath(path)
