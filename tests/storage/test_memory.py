"""Memory stays flat: big attachments and big logs pass through in chunks, never whole.

Growth is the kernel's peak resident size (VmHWM, reset through /proc/self/clear_refs) above the
resident size at the start, so a brief spike counts as much as a leak.
"""

import asyncio
import hashlib
import json
import os
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage as gcs

from cromwes.config.settings import BlobStorageSettings, GcpStorageSettings, Settings, StorageName
from cromwes.storage.base import Storage
from cromwes.storage.select import open_storage
from tests.storage.conftest import Backend, unique_name
from tests.storage.emulators import gcs_emulator_process, service_account_info
from tests.storage.test_contract import FOLDER

MIB = 1024 * 1024
LIMIT = 64 * MIB
ATTACHMENT = 100 * 1000 * 1000
"""The issue's 100 MB attachment."""
LOCAL_LOG = 1024 * MIB
"""The issue's 1 GiB log, on local disk (a sparse file)."""
CLOUD_LOG = 100 * 1000 * 1000
"""On the emulators a 1 GiB object would need 1 GiB of their memory (gcp-storage-emulator keeps
every object in a dict, Azurite's --inMemoryPersistence in its heap) and about a minute on two
cores; 100 MB already spans 24 chunks, so per-chunk memory would show as clearly."""
PIECE = 256 * 1024
"""What the multipart reader hands over per part read (api/forms.py CHUNK)."""


@dataclass
class Growth:
    bytes: int = 0


def status_kib(field: str) -> int:
    text = Path("/proc/self/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    assert match is not None, f"/proc/self/status has no {field}"
    return int(match[1])


@contextmanager
def peak_rss_growth() -> Iterator[Growth]:
    growth = Growth()
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current VmRSS (proc(5))
    start = status_kib("VmRSS")
    yield growth
    growth.bytes = (status_kib("VmHWM") - start) * 1024


async def random_stream(total: int) -> AsyncIterator[bytes]:
    """`total` bytes of one random piece, repeated: the source itself holds only one piece."""
    piece = os.urandom(PIECE)
    sent = 0
    while sent < total:
        size = min(PIECE, total - sent)
        yield piece if size == PIECE else piece[:size]
        sent += size


async def stage_and_read_back(storage: Storage, size: int) -> tuple[int, int]:
    """Stage `size` bytes, read them back; return the peak growth of each step, and check bytes."""
    stream = random_stream(size)
    piece_md5: list[str] = []

    async def recorded() -> AsyncIterator[bytes]:
        md5 = hashlib.md5()
        async for chunk in stream:
            md5.update(chunk)
            yield chunk
        piece_md5.append(md5.hexdigest())

    with peak_rss_growth() as upload:
        location = await storage.stage(FOLDER, "big.bin", recorded())
    md5 = hashlib.md5()
    with peak_rss_growth() as download:
        async for chunk in storage.read(location, 0, size - 1):
            md5.update(chunk)
    assert md5.hexdigest() == piece_md5[0], "the bytes read back differ from those staged"
    return upload.bytes, download.bytes


@pytest.fixture
async def gcs_out_of_process(tmp_path: Path) -> AsyncIterator[Storage]:
    """GCS on an emulator in a child process: the in-process one would hold the object in *our*
    memory and make the measurement meaningless."""
    with gcs_emulator_process() as endpoint:
        admin = gcs.Client(
            project="cromwes-test",
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            client_options={"api_endpoint": endpoint},
        )
        bucket = await asyncio.to_thread(admin.create_bucket, unique_name())
        admin.close()
        settings = GcpStorageSettings(
            project="cromwes-test",
            staging_location=f"gs://{bucket.name}/staging",
            service_account_json=json.dumps(service_account_info()),
            endpoint=endpoint,
        )
        blob_storage = BlobStorageSettings(name=StorageName.GCP, gcp=settings)
        async with open_storage(Settings(blob_storage_client=blob_storage)) as storage:
            yield storage


async def test_local_100_mb_attachment_in_and_1_gib_log_out(
    local_backend: Backend, local_roots: tuple[Path, Path]
) -> None:
    upload, _ = await stage_and_read_back(local_backend.storage, ATTACHMENT)
    log = local_roots[1] / "call-big" / "stdout"
    log.parent.mkdir()
    with log.open("wb") as handle:
        handle.truncate(LOCAL_LOG)  # sparse: a 1 GiB file that takes no disk

    read = 0
    with peak_rss_growth() as download:
        async for chunk in local_backend.storage.read(str(log), 0, LOCAL_LOG - 1):
            read += len(chunk)

    assert read == LOCAL_LOG
    print(f"local: upload +{upload / MIB:.1f} MiB, 1 GiB read +{download.bytes / MIB:.1f} MiB")
    assert upload < LIMIT
    assert download.bytes < LIMIT


async def test_gcs_100_mb_attachment_in_and_out(gcs_out_of_process: Storage) -> None:
    upload, download = await stage_and_read_back(gcs_out_of_process, CLOUD_LOG)

    print(f"gcs: upload +{upload / MIB:.1f} MiB, read +{download / MIB:.1f} MiB")
    assert upload < LIMIT
    assert download < LIMIT


@pytest.mark.external
async def test_azure_100_mb_attachment_in_and_out(azure_backend: Backend) -> None:
    upload, download = await stage_and_read_back(azure_backend.storage, CLOUD_LOG)

    print(f"azure: upload +{upload / MIB:.1f} MiB, read +{download / MIB:.1f} MiB")
    assert upload < LIMIT
    assert download < LIMIT


async def test_the_meter_sees_a_file_held_whole(local_backend: Backend) -> None:
    """The control: buffering the file whole, as a naive gateway would, must fail the limit."""
    location = await local_backend.storage.stage(FOLDER, "whole.bin", random_stream(ATTACHMENT))

    with peak_rss_growth() as growth:
        whole = b"".join(
            [chunk async for chunk in local_backend.storage.read(location, 0, ATTACHMENT - 1)]
        )

    assert len(whole) == ATTACHMENT
    assert growth.bytes > LIMIT
