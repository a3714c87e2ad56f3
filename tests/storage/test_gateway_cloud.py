"""The gateway on cloud storage, end to end: attachments staged to GCS or Azure, task logs Cromwell
wrote there streamed back, or answered with a redirect to a signed URL."""

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from azure.storage.blob.aio import BlobServiceClient
from google.cloud import storage as gcs
from pytest_aiohttp import AiohttpClient, AiohttpServer

from cromwes.app import create_app
from cromwes.config.settings import (
    AbsStorageSettings,
    BlobStorageSettings,
    CromwellSettings,
    GcpStorageSettings,
    LogsSettings,
    PathLocation,
    PathTranslation,
    Settings,
    StorageName,
)
from cromwes.emulator.config import EmulatorConfig
from cromwes.storage.azure import API_VERSION
from tests.api.conftest import Wes, hello_form
from tests.emulated import emulated_cromwell
from tests.storage.emulators import Azurite

Upload = Callable[[str, bytes], Awaitable[None]]
"""Put bytes at a path under the cloud prefix (relative path, content)."""


@dataclasses.dataclass
class Cloud:
    storage: BlobStorageSettings
    prefix: str
    """Where Cromwell's execution root lives in this cloud."""
    upload: Upload


@pytest.fixture(params=["gcs", "azure"])
def cloud(request: pytest.FixtureRequest) -> Cloud:
    made: Cloud = request.getfixturevalue(f"{request.param}_cloud")
    return made


@pytest.fixture
def gcs_cloud(gcs_settings: GcpStorageSettings, gcs_admin: gcs.Client, gcs_bucket: str) -> Cloud:
    async def upload(name: str, content: bytes) -> None:
        blob = gcs_admin.bucket(gcs_bucket).blob(f"cromwell-executions/{name}")
        await asyncio.to_thread(blob.upload_from_string, content)

    return Cloud(
        BlobStorageSettings(name=StorageName.GCP, gcp=gcs_settings),
        f"gs://{gcs_bucket}/cromwell-executions/",
        upload,
    )


@pytest.fixture
def azure_cloud(
    azurite: Azurite, azure_settings: AbsStorageSettings, azure_container: str
) -> Cloud:
    async def upload(name: str, content: bytes) -> None:
        async with BlobServiceClient.from_connection_string(
            azurite.connection_string, api_version=API_VERSION
        ) as service:
            blob = service.get_blob_client(azure_container, f"cromwell-executions/{name}")
            await blob.upload_blob(content)

    return Cloud(
        BlobStorageSettings(name=StorageName.ABS, abs=azure_settings),
        f"{azurite.account_url}/{azure_container}/cromwell-executions/",
        upload,
    )


async def gateway(
    aiohttp_server: AiohttpServer,
    aiohttp_client: AiohttpClient,
    tmp_path: Path,
    cloud: Cloud,
    **changes: Any,
) -> tuple[Wes, Any]:
    executions = tmp_path / "emulator" / "cromwell-executions"
    emulator = await emulated_cromwell(
        aiohttp_server, EmulatorConfig(data_dir=tmp_path / "emulator", mode="controlled")
    )
    settings = Settings(
        cromwell=CromwellSettings(url=emulator.url),
        blob_storage_client=cloud.storage,
        # Cromwell's root as this cloud sees it: the log paths in metadata become cloud paths.
        path_translations=(
            PathTranslation(
                prefix=f"{executions}/", replacement=cloud.prefix, location=PathLocation.OUTPUTS
            ),
        ),
        **changes,
    )
    emulator_client: TestClient[Any, Any] = await aiohttp_client(
        emulator.api, middlewares=(emulator.routing(),)
    )
    return Wes(await aiohttp_client(create_app(settings))), emulator_client


async def test_attachments_are_staged_in_the_cloud(
    aiohttp_server: AiohttpServer, aiohttp_client: AiohttpClient, tmp_path: Path, cloud: Cloud
) -> None:
    wes, emulator = await gateway(aiohttp_server, aiohttp_client, tmp_path, cloud)
    form = hello_form(attachments={"data/names.txt": b"Frank\n"},
                      params={"hello_world.name": "data/names.txt"})  # fmt: skip
    run_id = await wes.submit(form)
    async with emulator.get(f"/_emulator/workflows/{run_id}") as response:
        staged = (await response.json())["submitted"]["inputs"]["hello_world.name"]
    assert staged.startswith(("gs://", "http://", "https://")), staged
    assert staged.endswith("/data/names.txt")


async def log_of_a_run(wes: Wes, emulator: Any, cloud: Cloud, tmp_path: Path) -> tuple[str, bytes]:
    """A finished run whose stdout Cromwell wrote to the cloud: (the log's API path, its bytes)."""
    async with emulator.post("/_emulator/workflows", json={"status": "Succeeded"}) as response:
        [run_id] = (await response.json())["ids"]
    async with emulator.get(f"/api/workflows/v1/{run_id}/metadata") as response:
        metadata = await response.json()
    [call] = next(iter(metadata["calls"].values()))
    relative = Path(call["stdout"]).relative_to(tmp_path / "emulator" / "cromwell-executions")
    content = b"written by a task in the cloud\n" * 100
    await cloud.upload(str(relative), content)
    task = (await wes.get(f"runs/{run_id}/tasks", expect=200)).json["task_logs"][0]
    return f"/ga4gh/wes/v1/runs/{run_id}/logs/task/{task['id']}/stdout", content


async def test_task_logs_stream_from_the_cloud_with_ranges(
    aiohttp_server: AiohttpServer, aiohttp_client: AiohttpClient, tmp_path: Path, cloud: Cloud
) -> None:
    wes, emulator = await gateway(aiohttp_server, aiohttp_client, tmp_path, cloud)
    path, content = await log_of_a_run(wes, emulator, cloud, tmp_path)
    assert (await wes.get(path, expect=200)).body == content
    tail = await wes.get(path, headers={"Range": "bytes=-10"}, expect=206)
    assert tail.body == content[-10:]
    assert (
        tail.headers["Content-Range"]
        == f"bytes {len(content) - 10}-{len(content) - 1}/{len(content)}"
    )


async def test_redirect_mode_answers_a_signed_url(
    aiohttp_server: AiohttpServer, aiohttp_client: AiohttpClient, tmp_path: Path, cloud: Cloud
) -> None:
    wes, emulator = await gateway(
        aiohttp_server, aiohttp_client, tmp_path, cloud, logs=LogsSettings(redirect=True)
    )
    path, content = await log_of_a_run(wes, emulator, cloud, tmp_path)
    reply = await wes.get(path, allow_redirects=False, expect=302)
    location = reply.headers["Location"]
    assert "Signature" in location or "sig=" in location
    async with aiohttp.ClientSession() as session, session.get(location) as signed:
        assert signed.status == 200
        assert await signed.read() == content
