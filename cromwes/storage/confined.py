"""Resolve a local path inside allowed roots without touching anything outside them.

`os.path.realpath` would follow a symlink out of a root and `lstat` whatever it points at before
anyone could refuse it. Here the path is walked one component at a time, the way the kernel walks
it (a `..` after a symlink goes up from the link's target), and a component is only looked at if
it lies inside a root or on the way down to one. A file outside every root is therefore never
stat-ed, opened or read (tests/storage/test_local_confinement.py watches the system calls).
"""

import os
import stat
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MAX_SYMLINKS = 40
"""The kernel's own limit before ELOOP (path_resolution(7))."""


@dataclass(frozen=True, slots=True)
class Roots:
    """The directories files may be read from, as configured and with their symlinks resolved."""

    spelled: tuple[PurePosixPath, ...]
    real: tuple[PurePosixPath, ...]

    @classmethod
    def of(cls, directories: Iterable[str | os.PathLike[str]]) -> "Roots":
        """Blocking: resolves each directory's symlinks (run it off the event loop)."""
        spelled = tuple(PurePosixPath(os.path.abspath(d)) for d in directories)
        real = tuple(PurePosixPath(os.path.realpath(d)) for d in spelled)
        return cls(spelled=spelled, real=real)

    def narrowed(self, directories: Iterable[PurePosixPath]) -> "Roots":
        """The directories below these roots (absolute; `..` collapsed as text), as roots. No I/O.

        A directory's real form is its root's real form plus the rest of its path: a symlink
        between a configured root and the directory is not followed, because the directories
        Cromwell and the gateway make for a run (its workflow root, its staging folder) are real
        directories, and one that is a symlink could lead into another run's. Directories outside
        every root are dropped, so the configured roots stay the outer fence.
        """
        spelled: list[PurePosixPath] = []
        real: list[PurePosixPath] = []
        for directory in directories:
            normal = PurePosixPath(os.path.normpath(directory))
            pairs = zip((*self.spelled, *self.real), (*self.real, *self.real), strict=True)
            for base, base_real in pairs:
                if normal == base or _below(normal, base):
                    spelled.append(normal)
                    real.append(base_real / normal.relative_to(base))
                    break
        return Roots(spelled=tuple(spelled), real=tuple(real))

    def spell_inside(self, path: PurePosixPath) -> bool:
        """Whether an absolute path lies below a root once `..` is collapsed as text (no I/O).

        This only decides what may be looked at; `resolve_confined` then walks the path the way
        the kernel does, so a `..` after a symlink cannot slip past it.
        """
        normal = PurePosixPath(os.path.normpath(path))
        return any(_below(normal, root) for root in (*self.spelled, *self.real))

    def really_inside(self, path: PurePosixPath) -> bool:
        return any(_below(path, root) for root in self.real)

    def holds(self, path: PurePosixPath) -> bool:
        """A resolved root or anything below one."""
        return path in self.real or self.really_inside(path)

    def may_look_at(self, path: PurePosixPath) -> bool:
        """A root, a directory on the way down to one, or anything below a resolved root."""
        return self.really_inside(path) or any(
            path == root or _below(root, path) for root in (*self.spelled, *self.real)
        )


def resolve_confined(roots: Roots, path: PurePosixPath) -> Path | None:
    """The symlink-free path of the entry `path` names (a root itself included), or None.

    None means the path does not exist or leads outside every root. Blocking (`lstat` and
    `readlink` of components inside the roots); other OS errors propagate.
    """
    if not path.is_absolute():
        return None
    current = PurePosixPath("/")
    pending = deque(path.parts[1:])
    links = 0
    while pending:
        part = pending.popleft()
        if part in ("", "."):
            continue
        candidate = current.parent if part == ".." else current / part
        if not roots.may_look_at(candidate):
            return None
        if part == "..":
            current = candidate
            continue
        try:
            mode = os.lstat(candidate).st_mode
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not stat.S_ISLNK(mode):
            current = candidate
            continue
        links += 1
        if links > MAX_SYMLINKS:
            return None
        target = PurePosixPath(os.readlink(candidate))
        if target.is_absolute():
            current = PurePosixPath("/")
        pending.extendleft(reversed(target.parts[1:] if target.is_absolute() else target.parts))
    return Path(current) if roots.holds(current) else None


def _below(path: PurePosixPath, root: PurePosixPath) -> bool:
    """Strictly below, compared by component (`/data-evil` is not below `/data`)."""
    return path != root and path.is_relative_to(root)
