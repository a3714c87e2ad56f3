"""Open Google Cloud Storage from the settings: credentials, universe, endpoint, billing."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import google.auth
import google.auth.credentials
import google.auth.exceptions
from google.auth.credentials import DEFAULT_UNIVERSE_DOMAIN
from google.cloud import storage
from google.oauth2 import service_account

from cromwes.config.settings import GcpStorageSettings
from cromwes.errors import StorageError
from cromwes.storage.gcs import GcsStorage

SCOPES = ("https://www.googleapis.com/auth/devstorage.read_write",)
"""Read, write and delete objects; nothing on buckets or IAM."""


@asynccontextmanager
async def gcs_storage(settings: GcpStorageSettings) -> AsyncIterator[GcsStorage]:
    """A GcsStorage for the settings; its HTTP connections are closed on exit."""
    if not settings.project or not settings.staging_location:
        raise StorageError("blob_storage_client.gcp: project and staging_location are required")
    billing_project = settings.billing_project or settings.project
    client, credentials = await asyncio.to_thread(_client, settings, billing_project)
    try:
        yield GcsStorage(
            client,
            credentials=credentials,
            staging_location=settings.staging_location,
            user_project=billing_project,
            signed_url_ttl=float(settings.signed_url_ttl),
        )
    finally:
        await asyncio.to_thread(client.close)


def _client(
    settings: GcpStorageSettings, billing_project: str
) -> tuple[storage.Client, google.auth.credentials.Credentials]:
    """Blocking: ADC may ask a metadata server, and the client asks the credentials' universe."""
    credentials = _credentials(settings, billing_project)
    client_options: dict[str, str] = {}
    if settings.endpoint:
        client_options["api_endpoint"] = settings.endpoint
    # A key from a sovereign cloud names its universe; the client must be told the same one or it
    # refuses the credentials (and Google's own universe is the client's default).
    if credentials.universe_domain != DEFAULT_UNIVERSE_DOMAIN:
        client_options["universe_domain"] = credentials.universe_domain
    try:
        client = storage.Client(
            project=settings.project, credentials=credentials, client_options=client_options
        )
    except (ValueError, google.auth.exceptions.GoogleAuthError) as exc:
        raise StorageError(f"Google Cloud Storage client: {exc}") from exc
    return client, credentials


def _credentials(
    settings: GcpStorageSettings, quota_project: str
) -> google.auth.credentials.Credentials:
    """Blocking: the service account in the settings, else Application Default Credentials."""
    try:
        if settings.service_account_json:
            info = json.loads(settings.service_account_json)
            # google-auth leaves this classmethod unannotated; the result is narrowed below.
            account = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
                info, scopes=SCOPES
            )
            return _narrow(account.with_quota_project(quota_project))
        found, _ = google.auth.default(scopes=SCOPES, quota_project_id=quota_project)
        return _narrow(found)
    except (ValueError, google.auth.exceptions.GoogleAuthError) as exc:
        # The message names the problem (bad JSON, missing field, no ADC), never the key.
        raise StorageError(f"Google Cloud credentials are unusable: {type(exc).__name__}") from exc


def _narrow(credentials: Any) -> google.auth.credentials.Credentials:
    if not isinstance(credentials, google.auth.credentials.Credentials):
        raise StorageError("Google Cloud credentials are of an unknown kind")
    return credentials
