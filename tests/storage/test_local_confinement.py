"""Local reads stay inside the allowed roots, and what lies outside is never even looked at."""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cromwes.errors import NotFound
from cromwes.storage.base import DeleteOutcome
from cromwes.storage.local import LocalStorage
from tests.conftest import skip_or_fail

SECRET = "secret-3c9e1f.txt"
"""A name that appears nowhere else, so that a system-call trace can be searched for it."""


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    """A staging root, an execution root and, beside them, a file nobody may read."""
    paths = {
        "staging": tmp_path / "uploads",
        "executions": tmp_path / "executions",
        "outside": tmp_path / "outside",
        "evil": tmp_path / "executions-evil",
    }
    for directory in paths.values():
        directory.mkdir()
    (paths["outside"] / SECRET).write_text("top secret")
    (paths["evil"] / SECRET).write_text("top secret")
    call = paths["executions"] / "wf" / "call-a"
    call.mkdir(parents=True)
    (call / "stdout").write_text("task output\n")
    (call / "out-link").symlink_to(paths["outside"] / SECRET)
    (call / "dir-link").symlink_to(paths["outside"])
    (call / "up-link").symlink_to("../../../outside")
    (call / "loop").symlink_to(call / "loop")
    os.mkfifo(call / "fifo")
    return paths


@pytest.fixture
def storage(layout: dict[str, Path]) -> LocalStorage:
    return LocalStorage(layout["staging"], [layout["executions"]])


def refused_paths(layout: dict[str, Path]) -> dict[str, str]:
    call, outside = layout["executions"] / "wf" / "call-a", layout["outside"]
    return {
        "dot-dot": f"{call}/../../../outside/{SECRET}",
        "symlink-to-file-outside": f"{call}/out-link",
        "through-symlinked-dir": f"{call}/dir-link/{SECRET}",
        "relative-symlink-then-file": f"{call}/up-link/{SECRET}",
        "absolute-outside": str(outside / SECRET),
        "file-url-outside": f"file://{outside}/{SECRET}",
        "file-url-dot-dot": f"file://{call}/../../../outside/{SECRET}",
        "sibling-with-the-root-as-prefix": str(layout["evil"] / SECRET),
        "relative": f"outside/{SECRET}",
        "file-url-of-another-host": f"file://example.org{outside}/{SECRET}",
    }


REFUSED = [
    "dot-dot",
    "symlink-to-file-outside",
    "through-symlinked-dir",
    "relative-symlink-then-file",
    "absolute-outside",
    "file-url-outside",
    "file-url-dot-dot",
    "sibling-with-the-root-as-prefix",
    "relative",
    "file-url-of-another-host",
]


async def read_all(storage: LocalStorage, path: str) -> bytes:
    return b"".join([chunk async for chunk in storage.read(path, 0, 1 << 20)])


@pytest.mark.parametrize("case", REFUSED)
async def test_path_outside_the_roots_is_not_found(
    storage: LocalStorage, layout: dict[str, Path], case: str
) -> None:
    path = refused_paths(layout)[case]

    with pytest.raises(NotFound):
        await storage.stat(path)
    with pytest.raises(NotFound):
        await read_all(storage, path)
    # A link inside a root is itself deletable (see below); everything else is not found.
    deleted = (
        DeleteOutcome.DELETED if case == "symlink-to-file-outside" else DeleteOutcome.NOT_FOUND
    )
    assert await storage.delete(path) is deleted
    assert (layout["outside"] / SECRET).read_text() == "top secret"


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("loop", id="symlink-loop"),
        pytest.param("fifo", id="fifo-would-block-an-open"),
        pytest.param(".", id="directory"),
        pytest.param("nothing-here", id="missing"),
        pytest.param("stdout\0.txt", id="nul-byte"),
    ],
)
async def test_what_is_not_a_readable_file_is_not_found(
    storage: LocalStorage, layout: dict[str, Path], name: str
) -> None:
    path = f"{layout['executions']}/wf/call-a/{name}"

    with pytest.raises(NotFound):
        await storage.stat(path)
    with pytest.raises(NotFound):
        await read_all(storage, path)


@pytest.mark.parametrize(
    "spelling",
    [
        pytest.param("{call}/stdout", id="plain"),
        pytest.param("file://{call}/stdout", id="file-url"),
        pytest.param("file://localhost{call}/stdout", id="file-url-localhost"),
        pytest.param("{call}/../call-a/./stdout", id="dot-dot-that-stays-inside"),
    ],
)
async def test_file_inside_a_root_is_read_however_spelled(
    storage: LocalStorage, layout: dict[str, Path], spelling: str
) -> None:
    path = spelling.format(call=layout["executions"] / "wf" / "call-a")

    assert storage.owns(path)
    assert await read_all(storage, path) == b"task output\n"


async def test_symlink_between_roots_is_followed(
    storage: LocalStorage, layout: dict[str, Path]
) -> None:
    # Cromwell soft-links staged inputs into the call directory; the target is in another root.
    staged = layout["staging"] / "run-1" / "input.txt"
    staged.parent.mkdir()
    staged.write_text("staged input")
    link = layout["executions"] / "wf" / "call-a" / "input.txt"
    link.symlink_to(staged)

    assert await read_all(storage, str(link)) == b"staged input"


async def test_root_configured_through_a_symlink_reads_both_spellings(tmp_path: Path) -> None:
    real = tmp_path / "mnt" / "executions"
    real.mkdir(parents=True)
    (real / "log.txt").write_text("log")
    spelled = tmp_path / "executions"
    spelled.symlink_to(real)
    storage = LocalStorage(tmp_path / "uploads", [spelled])

    assert await read_all(storage, str(spelled / "log.txt")) == b"log"
    assert await read_all(storage, str(real / "log.txt")) == b"log"


async def test_deleting_a_symlink_removes_the_link_not_its_target(
    storage: LocalStorage, layout: dict[str, Path]
) -> None:
    target = layout["executions"] / "wf" / "input.txt"
    target.write_text("user data")
    link = layout["executions"] / "wf" / "call-a" / "linked-input.txt"
    link.symlink_to(target)

    assert await storage.delete(str(link)) is DeleteOutcome.DELETED

    assert not link.is_symlink()
    assert target.read_text() == "user data"


async def test_staging_refuses_to_write_through_a_planted_symlink(
    storage: LocalStorage, layout: dict[str, Path]
) -> None:
    folder = layout["staging"] / "run-2"
    folder.mkdir()
    (folder / "inputs").symlink_to(layout["outside"])

    async def chunks() -> AsyncIterator[bytes]:
        yield b"overwrite?"

    with pytest.raises(Exception, match="outside its folder"):
        await storage.stage("run-2", f"inputs/{SECRET}", chunks())

    assert (layout["outside"] / SECRET).read_text() == "top secret"


async def test_a_runs_view_follows_links_between_its_own_folders_only(
    storage: LocalStorage, layout: dict[str, Path]
) -> None:
    """Cromwell soft-links a run's staged input into its call directory: followed. A link a task
    made to another run's file, though inside the allowed roots, leads out of the run: refused."""
    own_input = layout["staging"] / "run-1" / "input.txt"
    own_input.parent.mkdir()
    own_input.write_text("staged input")
    other = layout["executions"] / "wf" / "other-run" / "stdout"
    other.parent.mkdir()
    other.write_text("another run's log")
    call = layout["executions"] / "wf" / "run-1" / "call-a"
    call.mkdir(parents=True)
    (call / "input.txt").symlink_to(own_input)
    (call / "stolen").symlink_to(other)
    (call / "up").symlink_to("../../other-run")
    view = storage.scoped([str(call.parent), str(layout["staging"] / "run-1")])

    assert await read_all(view, str(call / "input.txt")) == b"staged input"
    assert await read_all(storage, str(call / "stolen")) == b"another run's log"
    for path in (
        call / "stolen",
        call / "up" / "stdout",
        call / ".." / ".." / "other-run" / "stdout",
    ):
        assert not await view.existing([str(path)])
        with pytest.raises(NotFound):
            await view.stat(str(path))
        with pytest.raises(NotFound):
            await read_all(view, str(path))


async def test_a_runs_view_does_not_follow_its_root_if_it_is_a_symlink(
    storage: LocalStorage, layout: dict[str, Path]
) -> None:
    other = layout["executions"] / "wf" / "other-run"
    other.mkdir()
    (other / "stdout").write_text("another run's log")
    (layout["executions"] / "wf" / "run-1").symlink_to(other)
    view = storage.scoped([str(layout["executions"] / "wf" / "run-1")])

    with pytest.raises(NotFound):
        await read_all(view, str(layout["executions"] / "wf" / "run-1" / "stdout"))


async def test_a_runs_view_outside_the_allowed_roots_reads_nothing(
    storage: LocalStorage, layout: dict[str, Path]
) -> None:
    view = storage.scoped([str(layout["outside"])])

    assert not view.owns(str(layout["outside"] / SECRET))
    with pytest.raises(NotFound):
        await read_all(view, str(layout["outside"] / SECRET))


# A child process runs the refused reads under strace; the trace shows every path the process
# handed to the kernel, so "not touched" is observed rather than inferred.
TRACED_SCRIPT = """
import asyncio, json, sys
from cromwes.errors import NotFound
from cromwes.storage.local import LocalStorage

async def main() -> None:
    staging, executions, allowed, *refused = json.loads(sys.argv[1])
    storage = LocalStorage(staging, [executions])
    for path in refused:
        for attempt in (storage.stat(path), storage.delete(path)):
            try:
                await attempt
            except NotFound:
                pass
        try:
            async for _ in storage.read(path, 0, 100):
                raise SystemExit(f"read {path}")
        except NotFound:
            pass
    async for _ in storage.read(allowed, 0, 100):
        pass

asyncio.run(main())
"""


def test_refused_paths_are_never_stat_ed_or_opened(layout: dict[str, Path], tmp_path: Path) -> None:
    strace = shutil.which("strace")
    if strace is None:
        skip_or_fail("strace is not installed: run .ci/install-deps")
    allowed = layout["executions"] / "wf" / "call-a" / "stdout"
    refused = [path for case, path in refused_paths(layout).items() if case != "relative"]
    trace = tmp_path / "trace.txt"
    arguments = [str(layout["staging"]), str(layout["executions"]), str(allowed), *refused]

    tracer = [strace, "-f", "-qq", "-s", "4096", "-e", "trace=%file,%desc", "-o", str(trace)]
    result = subprocess.run(
        [*tracer, sys.executable, "-c", TRACED_SCRIPT, json.dumps(arguments)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0 and "ptrace" in result.stderr:
        skip_or_fail(f"strace cannot trace here: {result.stderr.strip()}")
    assert result.returncode == 0, result.stderr

    touched = [first_path_argument(line) for line in trace.read_text().splitlines()]
    assert str(allowed) in touched, "the trace must show the file that was read"
    assert [path for path in touched if path and SECRET in path] == []
    assert [path for path in touched if path and path.startswith(str(layout["outside"]))] == []


def first_path_argument(line: str) -> str | None:
    """The first quoted argument of a traced call: the path of open, stat, readlink and kin.

    A readlink's *result* (the link's target) comes later on the line and is rightly ignored:
    reading a link is looking at the link, which lies inside the root.
    """
    start = line.find('"')
    end = line.find('"', start + 1)
    return line[start + 1 : end] if start >= 0 and end > start else None
