"""The storage contract, checked against local disk, GCS and Azure alike (`backend` fixture)."""

import hashlib
import os
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta

import google_crc32c
import pytest

from cromwes.errors import InvalidRequest, NotFound
from cromwes.storage.base import DeleteOutcome, Storage
from tests.storage.conftest import Backend

FOLDER = "3f1c0e6a-0000-4000-8000-000000000001"
KIB = 1024
MIB = 1024 * KIB


async def chunks_of(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def read_all(backend: Backend, path: str, start: int, end: int) -> bytes:
    return await read_from(backend.storage, path, start, end)


async def read_from(storage: Storage, path: str, start: int, end: int) -> bytes:
    return b"".join([chunk async for chunk in storage.read(path, start, end)])


async def stage(backend: Backend, name: str, data: bytes, *, pieces: int = 1) -> str:
    step = max(1, -(-len(data) // pieces))
    return await backend.storage.stage(
        FOLDER, name, chunks_of(*(data[i : i + step] for i in range(0, len(data), step)))
    )


def sizes(chunks: Iterable[bytes]) -> list[int]:
    return [len(chunk) for chunk in chunks]


async def test_staged_bytes_read_back_exactly(backend: Backend) -> None:
    # 9 MiB + 17 in uneven pieces: more than two upload blocks and read chunks on every backend.
    data = os.urandom(9 * MIB + 17)
    location = await stage(backend, "reads.bin", data, pieces=7)

    assert await read_all(backend, location, 0, len(data) - 1) == data
    assert (await backend.storage.stat(location)).size == len(data)


async def test_reads_come_in_bounded_chunks(backend: Backend) -> None:
    data = os.urandom(9 * MIB)
    location = await stage(backend, "chunks.bin", data, pieces=3)

    chunks = [chunk async for chunk in backend.storage.read(location, 0, len(data) - 1)]

    assert len(chunks) > 1
    assert max(sizes(chunks)) <= 4 * MIB


async def test_nested_name_is_staged_under_the_folder(backend: Backend) -> None:
    location = await stage(backend, "inputs/sub dir/sample 1.txt", b"nested")

    assert location.endswith(f"{FOLDER}/inputs/sub dir/sample 1.txt") or location.endswith(
        f"{FOLDER}/inputs/sub%20dir/sample%201.txt"
    )
    assert backend.storage.owns(location)
    assert await read_all(backend, location, 0, 5) == b"nested"
    assert (await backend.storage.stat(location)).name == "sample 1.txt"
    assert f"{FOLDER}/inputs/sub dir/sample 1.txt" in await backend.everything()


@pytest.mark.parametrize("name", ["../escape.txt", "a/../../escape.txt", "a//b.txt", "./a.txt"])
async def test_name_that_leaves_the_folder_is_refused(backend: Backend, name: str) -> None:
    with pytest.raises(InvalidRequest):
        await stage(backend, name, b"x")

    assert await backend.everything() == []


async def test_overwrite_is_refused_and_the_first_file_kept(backend: Backend) -> None:
    location = await stage(backend, "twice.txt", b"first")

    with pytest.raises(InvalidRequest, match="twice"):
        await stage(backend, "twice.txt", b"second")

    assert await read_all(backend, location, 0, 99) == b"first"


async def test_failed_upload_leaves_nothing_behind(backend: Backend) -> None:
    class ClientWentAway(Exception):
        pass

    async def broken() -> AsyncIterator[bytes]:
        yield os.urandom(5 * MIB)
        raise ClientWentAway

    with pytest.raises(ClientWentAway):
        await backend.storage.stage(FOLDER, "deep/er/partial.bin", broken())

    assert await backend.everything() == [], "no file, and on disk no folder made for it"


async def test_remove_staged_leaves_nothing_behind(backend: Backend) -> None:
    locations = [
        await stage(backend, "a.txt", b"a"),
        await stage(backend, "deep/er/b.txt", b"b"),
    ]

    await backend.storage.remove_staged([*locations, backend.missing.replace("missing", "gone")])

    assert await backend.everything() == []
    for location in locations:
        with pytest.raises(NotFound):
            await backend.storage.stat(location)


async def test_remove_staged_keeps_what_it_was_not_asked_to_remove(backend: Backend) -> None:
    removed = await stage(backend, "sub/removed.txt", b"a")
    kept = await stage(backend, "sub/kept.txt", b"b")

    await backend.storage.remove_staged([removed])

    assert await read_all(backend, kept, 0, 0) == b"b"
    assert [name for name in await backend.everything() if name.endswith(".txt")] == [
        f"{FOLDER}/sub/kept.txt"
    ]


async def test_stat_describes_the_file(backend: Backend) -> None:
    data = b"hello, stat\n" * 100
    before = datetime.now(UTC) - timedelta(seconds=5)
    location = await stage(backend, "describe.txt", data, pieces=3)

    info = await backend.storage.stat(location)

    assert (info.path, info.name, info.size) == (location, "describe.txt", len(data))
    assert info.content_type == "text/plain"
    assert info.last_modified is not None
    assert before <= info.last_modified <= datetime.now(UTC) + timedelta(seconds=5)
    crc32c = f"{google_crc32c.value(data):08x}"
    expected = {
        "local": {},
        "gcs": {"crc32c": crc32c, "md5": hashlib.md5(data).hexdigest()},
        "azure": {"md5": hashlib.md5(data).hexdigest()},
    }[backend.name]
    assert dict(info.checksums) == expected


RANGES = [
    pytest.param(0, 0, id="first-byte"),
    pytest.param(999, 999, id="last-byte"),
    pytest.param(10, 19, id="middle"),
    pytest.param(0, 999, id="whole"),
    pytest.param(500, 500, id="start-equals-end"),
    pytest.param(990, 5000, id="end-past-the-file-is-clipped"),
    pytest.param(1000, 1999, id="start-past-the-file-is-empty"),
]


@pytest.mark.parametrize(("start", "end"), RANGES)
async def test_ranges_are_inclusive_and_exact(backend: Backend, start: int, end: int) -> None:
    data = bytes(range(256)) * 3 + os.urandom(232)  # 1000 bytes
    location = await stage(backend, "ranges.bin", data)

    assert await read_all(backend, location, start, end) == data[start : end + 1]


async def test_range_across_read_chunks(backend: Backend) -> None:
    data = os.urandom(9 * MIB)
    location = await stage(backend, "across.bin", data, pieces=2)
    start, end = 4 * MIB - 3, 8 * MIB + 2

    assert await read_all(backend, location, start, end) == data[start : end + 1]


async def test_empty_file_has_size_zero_and_reads_as_nothing(backend: Backend) -> None:
    location = await backend.storage.stage(FOLDER, "empty.txt", chunks_of())

    assert (await backend.storage.stat(location)).size == 0
    assert await read_all(backend, location, 0, -1) == b""
    assert await read_all(backend, location, 0, 0) == b""


async def test_missing_file_is_not_found(backend: Backend) -> None:
    with pytest.raises(NotFound):
        await backend.storage.stat(backend.missing)
    with pytest.raises(NotFound):
        await read_all(backend, backend.missing, 0, 10)


async def test_path_of_another_backend_is_not_found(backend: Backend) -> None:
    assert not backend.storage.owns(backend.foreign)
    with pytest.raises(NotFound):
        await backend.storage.stat(backend.foreign)
    with pytest.raises(NotFound):
        await read_all(backend, backend.foreign, 0, 10)
    assert await backend.storage.delete(backend.foreign) is DeleteOutcome.NOT_FOUND


async def test_delete_then_delete_again(backend: Backend) -> None:
    location = await stage(backend, "doomed.txt", b"doomed")

    assert await backend.storage.delete(location) is DeleteOutcome.DELETED
    assert await backend.storage.delete(location) is DeleteOutcome.NOT_FOUND
    with pytest.raises(NotFound):
        await backend.storage.stat(location)


async def test_owns_its_own_paths(backend: Backend) -> None:
    location = await stage(backend, "mine.txt", b"mine")

    assert backend.storage.owns(location)
    assert backend.storage.owns(backend.missing)
    assert not backend.storage.owns(backend.foreign)


# --- A run's view: `scoped` to its own folders (issue 18 item 1) --------------------------------

RUN = "0190c8a0-0000-7000-8000-00000000000a"
OTHER_RUN = "0190c8a0-0000-7000-8000-00000000000b"


async def test_staged_folder_is_where_stage_puts_a_folders_files(backend: Backend) -> None:
    location = await backend.storage.stage(RUN, "in/put.txt", chunks_of(b"x"))

    folder = backend.storage.staged_folder(RUN)
    assert location.startswith(folder + "/")
    assert location.removeprefix(folder + "/") in ("in/put.txt", "in/put.txt".replace(" ", "%20"))
    attempt = await backend.storage.stage(f"{RUN}/attempt-2", "put.txt", chunks_of(b"y"))
    assert attempt.startswith(folder + "/attempt-2/")


async def test_a_scoped_view_serves_only_below_its_roots(backend: Backend) -> None:
    mine = await backend.storage.stage(RUN, "mine.txt", chunks_of(b"mine"))
    theirs = await backend.storage.stage(OTHER_RUN, "theirs.txt", chunks_of(b"theirs"))
    sibling = await backend.storage.stage(f"{RUN}-evil", "x.txt", chunks_of(b"x"))
    view = backend.storage.scoped([backend.storage.staged_folder(RUN)])

    assert view.owns(mine)
    assert await read_from(view, mine, 0, 9) == b"mine"
    assert (await view.stat(mine)).size == 4
    assert await view.existing([mine, theirs, sibling, backend.missing]) == {mine}
    for path in (theirs, sibling, backend.foreign):
        assert not view.owns(path)
        with pytest.raises(NotFound):
            await view.stat(path)
        with pytest.raises(NotFound):
            await read_from(view, path, 0, 9)
        assert await view.delete(path) is DeleteOutcome.NOT_FOUND
    assert await read_all(backend, theirs, 0, 9) == b"theirs", "nothing outside was deleted"
    assert await view.delete(mine) is DeleteOutcome.DELETED
    assert await view.existing([mine]) == set()


@pytest.mark.parametrize(
    "escape", ["{root}/../{other}/theirs.txt", "{root}/./../{other}/theirs.txt"]
)
async def test_a_scoped_view_is_not_left_by_dot_segments(backend: Backend, escape: str) -> None:
    await backend.storage.stage(OTHER_RUN, "theirs.txt", chunks_of(b"theirs"))
    root = backend.storage.staged_folder(RUN)
    view = backend.storage.scoped([root])
    path = escape.format(root=root, other=OTHER_RUN)

    assert not view.owns(path)
    assert await view.existing([path]) == set()
    with pytest.raises(NotFound):
        await view.stat(path)


async def test_existing_answers_only_for_files_that_are_there(backend: Backend) -> None:
    location = await stage(backend, "here.txt", b"here")

    assert await backend.storage.existing([location, backend.missing, backend.foreign]) == {
        location
    }
