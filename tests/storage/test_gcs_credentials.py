"""GCS credentials: the service-account JSON content, Application Default Credentials, billing.

Application Default Credentials are only ever found here through GOOGLE_APPLICATION_CREDENTIALS:
without it, google-auth would go on to ask a cloud metadata server, which tests must never do.
"""

import dataclasses
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from cromwes.config.settings import BlobStorageSettings, GcpStorageSettings, Settings, StorageName
from cromwes.errors import StorageError
from cromwes.storage.select import open_storage
from tests.storage.emulators import TEST_UNIVERSE, UNREACHABLE_TOKEN_URI, service_account_info
from tests.storage.test_contract import FOLDER, chunks_of


def gcp(settings: GcpStorageSettings) -> Settings:
    return Settings(blob_storage_client=BlobStorageSettings(name=StorageName.GCP, gcp=settings))


async def signer_and_bytes(settings: GcpStorageSettings) -> tuple[str, bytes]:
    """Who signs this backend's URLs, and what a file staged through it reads back as."""
    async with open_storage(gcp(settings)) as storage:
        location = await storage.stage(FOLDER, "cred.txt", chunks_of(b"through the emulator"))
        data = b"".join([chunk async for chunk in storage.read(location, 0, 99)])
        url = await storage.signed_url(location, 60)
    assert url is not None
    credential = parse_qs(urlsplit(url).query)["X-Goog-Credential"][0]
    return credential.split("/")[0], data


async def test_service_account_json_content_is_the_identity(
    gcs_settings: GcpStorageSettings, service_account: dict[str, str]
) -> None:
    signer, data = await signer_and_bytes(gcs_settings)

    assert signer == service_account["client_email"]
    assert data == b"through the emulator"


async def test_application_default_credentials_are_used_without_json(
    gcs_settings: GcpStorageSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    adc = service_account_info("found-by-adc")
    key_file = tmp_path / "adc.json"
    key_file.write_text(json.dumps(adc))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))

    signer, data = await signer_and_bytes(
        dataclasses.replace(gcs_settings, service_account_json=None)
    )

    assert signer == adc["client_email"]
    assert data == b"through the emulator"


async def test_credentials_that_cannot_sign_give_no_signed_url(
    gcs_settings: GcpStorageSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = {
        "type": "authorized_user",
        "client_id": "id",
        "client_secret": "secret",
        "refresh_token": "refresh",
        "token_uri": UNREACHABLE_TOKEN_URI,
        "universe_domain": TEST_UNIVERSE,
    }
    key_file = tmp_path / "user.json"
    key_file.write_text(json.dumps(user))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    settings = dataclasses.replace(gcs_settings, service_account_json=None)

    async with open_storage(gcp(settings)) as storage:
        assert await storage.signed_url(f"gs://bucket/{FOLDER}/log.txt", 60) is None


async def test_billing_project_pays_for_requester_pays_buckets(
    gcs_settings: GcpStorageSettings,
) -> None:
    settings = dataclasses.replace(gcs_settings, billing_project="lab-billing")

    async with open_storage(gcp(settings)) as storage:
        url = await storage.signed_url(f"gs://requester-pays/{FOLDER}/log.txt", 60)

    assert url is not None
    assert "userProject=lab-billing" in url


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"service_account_json": '{"private_key": "KEY-MARKER", '}, "JSONDecode"),
        pytest.param({"service_account_json": '{"private_key": "KEY-MARKER"}'}, "Malformed"),
        pytest.param({"project": None}, "project"),
        pytest.param({"staging_location": "s3://bucket"}, "staging_location"),
    ],
)
async def test_unusable_settings_stop_startup_without_echoing_secrets(
    gcs_settings: GcpStorageSettings, change: dict[str, Any], message: str
) -> None:
    settings = dataclasses.replace(gcs_settings, **change)

    with pytest.raises(StorageError, match=message) as raised:
        async with open_storage(gcp(settings)):
            pass

    assert "KEY-MARKER" not in raised.value.msg
