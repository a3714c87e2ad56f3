"""Azure specifics: only blobs of the configured account and container, one version per read."""

from collections.abc import AsyncIterator

import pytest
from azure.storage.blob import BlobBlock
from azure.storage.blob.aio import BlobServiceClient, ContainerClient

from cromwes.errors import NotFound, StorageError
from cromwes.storage.azure import API_VERSION
from cromwes.storage.base import DeleteOutcome
from tests.storage.conftest import STAGING, Backend, unique_name
from tests.storage.emulators import AZURITE_ACCOUNT, Azurite
from tests.storage.test_contract import FOLDER, chunks_of

pytestmark = pytest.mark.external


@pytest.fixture
async def other_container(azurite: Azurite) -> AsyncIterator[ContainerClient]:
    """A second container of the same account, holding a blob the backend must not reach."""
    async with BlobServiceClient.from_connection_string(
        azurite.connection_string, api_version=API_VERSION
    ) as service:
        container = await service.create_container(unique_name())
        await container.upload_blob("secret.txt", b"top secret")
        yield container
        await container.delete_container()


def refused(azurite: Azurite, container: str, other: str) -> dict[str, str]:
    host = azurite.account_url.removesuffix(f"/{AZURITE_ACCOUNT}")
    return {
        "other-container-url": f"{azurite.account_url}/{other}/secret.txt",
        "other-account-url": f"{host}/otheraccount/{container}/{STAGING}/x.txt",
        "other-host-url": f"https://evil.blob.core.windows.net/{container}/{STAGING}/x.txt",
        "bare-name-with-dot-dot": f"{STAGING}/../../{other}/secret.txt",
        "url-with-encoded-dot-dot": f"{azurite.account_url}/{container}/%2e%2e/{other}/secret.txt",
        "url-with-a-sas": f"{azurite.account_url}/{container}/{STAGING}/x.txt?sv=1&sig=x",
        "leading-slash": f"/{other}/secret.txt",
    }


@pytest.mark.parametrize(
    "case",
    [
        "other-container-url",
        "other-account-url",
        "other-host-url",
        "bare-name-with-dot-dot",
        "url-with-encoded-dot-dot",
        "url-with-a-sas",
        "leading-slash",
    ],
)
async def test_blob_outside_the_container_is_not_found(
    azure_backend: Backend,
    azurite: Azurite,
    azure_container: str,
    other_container: ContainerClient,
    case: str,
) -> None:
    path = refused(azurite, azure_container, other_container.container_name)[case]

    assert not azure_backend.storage.owns(path)
    with pytest.raises(NotFound):
        await azure_backend.storage.stat(path)
    with pytest.raises(NotFound):
        _ = [chunk async for chunk in azure_backend.storage.read(path, 0, 99)]
    assert await azure_backend.storage.delete(path) is DeleteOutcome.NOT_FOUND
    with pytest.raises(NotFound):
        await azure_backend.storage.signed_url(path, 60)
    secret = await other_container.download_blob("secret.txt")
    assert await secret.readall() == b"top secret"


async def test_staged_blob_name_has_no_leading_slash_and_reads_by_bare_name(
    azure_backend: Backend, azurite: Azurite, azure_container: str
) -> None:
    location = await azure_backend.storage.stage(FOLDER, "in/put.txt", chunks_of(b"bare"))
    blob_name = f"{STAGING}/{FOLDER}/in/put.txt"

    assert location == f"{azurite.account_url}/{azure_container}/{blob_name}"
    assert await azure_backend.everything() == [f"{FOLDER}/in/put.txt"]
    assert (await azure_backend.storage.stat(blob_name)).size == 4
    assert b"".join([c async for c in azure_backend.storage.read(blob_name, 1, 2)]) == b"ar"


async def test_blob_without_md5_has_no_checksum_and_does_not_crash(
    azure_backend: Backend, azurite: Azurite, azure_container: str
) -> None:
    # Committed from blocks by someone else (as Cromwell's Azure backend may): Azure stores no MD5.
    async with BlobServiceClient.from_connection_string(
        azurite.connection_string, api_version=API_VERSION
    ) as service:
        blob = service.get_blob_client(azure_container, "cromwell/call-a/stdout")
        await blob.stage_block("00000000", b"task output\n")
        await blob.commit_block_list([BlobBlock(block_id="00000000")])

    info = await azure_backend.storage.stat("cromwell/call-a/stdout")

    assert (info.size, info.checksums) == (12, ())


async def test_refusal_does_not_echo_a_sas(azure_backend: Backend, azure_container: str) -> None:
    path = f"https://acct.blob.core.windows.net/{azure_container}/x.txt?sv=1&sig=SECRETSIG"

    with pytest.raises(NotFound) as raised:
        await azure_backend.storage.stat(path)

    assert "SECRETSIG" not in raised.value.msg


async def test_blob_replaced_during_a_read_fails_rather_than_splicing(
    azure_backend: Backend, azurite: Azurite, azure_container: str
) -> None:
    data = b"a" * (9 * 1024 * 1024)
    location = await azure_backend.storage.stage(FOLDER, "changing.log", chunks_of(data))
    reader = azure_backend.storage.read(location, 0, len(data) - 1)
    first = await anext(reader)

    async with BlobServiceClient.from_connection_string(
        azurite.connection_string, api_version=API_VERSION
    ) as service:
        blob = service.get_blob_client(azure_container, f"{STAGING}/{FOLDER}/changing.log")
        await blob.upload_blob(b"replaced", overwrite=True)

    with pytest.raises(StorageError, match="changed"):
        _ = [chunk async for chunk in reader]
    assert set(first) == {ord("a")}
