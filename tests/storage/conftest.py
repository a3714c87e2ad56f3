"""Storage fixtures: one emulator per session, one bucket or container per test.

`backend` is parametrized over local disk, GCS (gcp-storage-emulator, in-process) and Azure
(Azurite, a child process), so one suite runs against all three.
"""

import asyncio
import contextlib
import json
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from azure.storage.blob.aio import BlobServiceClient
from gcp_storage_emulator.server import create_server
from google.api_core import exceptions as api_exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage as gcs

from cromwes.config.settings import (
    AbsStorageSettings,
    BlobStorageSettings,
    GcpStorageSettings,
    LocalStorageSettings,
    Settings,
    StorageName,
)
from cromwes.storage.azure import API_VERSION
from cromwes.storage.base import Storage
from cromwes.storage.select import open_storage
from tests.conftest import skip_or_fail
from tests.storage.emulators import Azurite, running_azurite, service_account_info

AZURITE_BIN = (
    Path(__file__).resolve().parents[1] / "azurite" / "node_modules" / ".bin" / "azurite-blob"
)
STAGING = "staging"
"""The staging prefix every backend is configured with (a folder for local disk)."""


@dataclass(frozen=True)
class Backend:
    """A storage backend under test, plus what a test needs to look behind its back."""

    name: str
    storage: Storage
    missing: str
    """A path this backend owns, where nothing exists."""
    foreign: str
    """A path of another backend's kind."""
    everything: Callable[[], Awaitable[list[str]]]
    """Every file (and, on disk, folder) left under the staging prefix, relative to it."""


def unique_name() -> str:
    """`t-<12 hex>`: a valid bucket and container name (3-63 characters)."""
    return f"t-{uuid.uuid4().hex[:12]}"


# --- Google Cloud Storage -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def gcs_endpoint() -> Iterator[str]:
    # In-process, on a port the OS picks; the address is only reachable through a private
    # attribute, so setup.py pins the emulator's version (emulator-recipes.md §4).
    server = create_server("127.0.0.1", 0, in_memory=True)
    server.start()
    host, port = server._api._httpd.server_address
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def service_account() -> dict[str, str]:
    return service_account_info()


@pytest.fixture(scope="session")
def gcs_admin(gcs_endpoint: str) -> Iterator[gcs.Client]:
    """The test's own client, to make buckets and look at what the backend wrote."""
    client = gcs.Client(
        project="cromwes-test",
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options={"api_endpoint": gcs_endpoint},
    )
    yield client
    client.close()


@pytest.fixture
def gcs_bucket(gcs_admin: gcs.Client) -> Iterator[str]:
    bucket = gcs_admin.create_bucket(unique_name())
    yield bucket.name
    # The emulator cannot cancel a resumable upload (no DELETE on the session URL), so a test
    # that abandons one leaves the bucket undeletable; it lives in memory until the session ends.
    with contextlib.suppress(api_exceptions.Conflict):
        bucket.delete(force=True)


@pytest.fixture
def gcs_settings(
    gcs_endpoint: str, gcs_bucket: str, service_account: dict[str, str]
) -> GcpStorageSettings:
    return GcpStorageSettings(
        project="cromwes-test",
        staging_location=f"gs://{gcs_bucket}/{STAGING}",
        service_account_json=json.dumps(service_account),
        endpoint=gcs_endpoint,
    )


@pytest.fixture
async def gcs_backend(
    gcs_settings: GcpStorageSettings, gcs_admin: gcs.Client, gcs_bucket: str
) -> AsyncIterator[Backend]:
    async def everything() -> list[str]:
        blobs = await asyncio.to_thread(
            lambda: list(gcs_admin.list_blobs(gcs_bucket, prefix=f"{STAGING}/"))
        )
        return sorted(blob.name.removeprefix(f"{STAGING}/") for blob in blobs)

    settings = Settings(
        blob_storage_client=BlobStorageSettings(name=StorageName.GCP, gcp=gcs_settings)
    )
    async with open_storage(settings) as storage:
        yield Backend(
            name="gcs",
            storage=storage,
            missing=f"gs://{gcs_bucket}/{STAGING}/missing.txt",
            foreign="/var/log/missing.txt",
            everything=everything,
        )


# --- Azure Blob Storage -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    if not os.access(AZURITE_BIN, os.X_OK) or shutil.which("node") is None:
        skip_or_fail("Azurite is not installed: run .ci/install-deps")
    with running_azurite(AZURITE_BIN, tmp_path_factory.mktemp("azurite")) as server:
        yield server


@pytest.fixture
async def azure_container(azurite: Azurite) -> AsyncIterator[str]:
    name = unique_name()
    async with BlobServiceClient.from_connection_string(
        azurite.connection_string, api_version=API_VERSION
    ) as service:
        await service.create_container(name)
        yield name
        await service.delete_container(name)


@pytest.fixture
def azure_settings(azurite: Azurite, azure_container: str) -> AbsStorageSettings:
    return AbsStorageSettings(
        connection_string=azurite.connection_string,
        container=azure_container,
        staging_path=f"/{STAGING}/",  # slashes on both sides: no blob name may start with one
    )


@pytest.fixture
async def azure_backend(
    azurite: Azurite, azure_settings: AbsStorageSettings, azure_container: str
) -> AsyncIterator[Backend]:
    async def everything() -> list[str]:
        async with BlobServiceClient.from_connection_string(
            azurite.connection_string, api_version=API_VERSION
        ) as service:
            container = service.get_container_client(azure_container)
            names = [blob.name async for blob in container.list_blobs()]
        return sorted(name.removeprefix(f"{STAGING}/") for name in names)

    settings = Settings(
        blob_storage_client=BlobStorageSettings(name=StorageName.ABS, abs=azure_settings)
    )
    async with open_storage(settings) as storage:
        yield Backend(
            name="azure",
            storage=storage,
            missing=f"{azurite.account_url}/{azure_container}/{STAGING}/missing.txt",
            foreign="gs://bucket/missing.txt",
            everything=everything,
        )


# --- Local disk ---------------------------------------------------------------------------------


@pytest.fixture
def local_roots(tmp_path: Path) -> tuple[Path, Path]:
    """(staging root, Cromwell execution root), both empty."""
    staging, executions = tmp_path / STAGING, tmp_path / "cromwell-executions"
    staging.mkdir()
    executions.mkdir()
    return staging, executions


@pytest.fixture
async def local_backend(local_roots: tuple[Path, Path]) -> AsyncIterator[Backend]:
    staging, executions = local_roots

    async def everything() -> list[str]:
        return sorted(str(path.relative_to(staging)) for path in staging.rglob("*"))

    settings = Settings(
        blob_storage_client=BlobStorageSettings(
            name=StorageName.LOCAL,
            local=LocalStorageSettings(
                staging_path=str(staging), allowed_read_roots=(str(executions),)
            ),
        )
    )
    async with open_storage(settings) as storage:
        yield Backend(
            name="local",
            storage=storage,
            missing=str(executions / "missing.txt"),
            foreign="gs://bucket/missing.txt",
            everything=everything,
        )


@pytest.fixture(
    params=[
        pytest.param("local"),
        pytest.param("gcs"),
        pytest.param("azure", marks=pytest.mark.external),
    ]
)
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each backend in turn, so that one test states the contract for all three."""
    value = request.getfixturevalue(f"{request.param}_backend")
    assert isinstance(value, Backend)
    return value
