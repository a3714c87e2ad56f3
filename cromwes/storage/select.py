"""Open the storage backend the settings name, for the lifetime of the application."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from cromwes.config.settings import Settings, StorageName
from cromwes.storage.base import Storage
from cromwes.storage.local import LocalStorage


@asynccontextmanager
async def open_storage(settings: Settings) -> AsyncIterator[Storage]:
    """The configured backend (`blob_storage_client.name`), its clients closed on exit.

    Each SDK keeps its own HTTP connections: the application's ClientSession is tuned for
    Cromwell (its timeouts would cut a long log download short), and google-cloud-storage
    speaks requests, not aiohttp.
    """
    storage_settings = settings.blob_storage_client
    match storage_settings.name:
        case StorageName.LOCAL:
            local = storage_settings.local
            # Resolving the roots' symlinks touches the disk: off the event loop.
            yield await asyncio.to_thread(
                LocalStorage, local.staging_path, local.allowed_read_roots
            )
        # The cloud SDKs are imported only when chosen: together they add ~25 MB and half a
        # second to every start of a gateway that does not use them.
        case StorageName.GCP:
            from cromwes.storage.gcs_client import gcs_storage

            async with gcs_storage(storage_settings.gcp) as gcs:
                yield gcs
        case StorageName.ABS:
            from cromwes.storage.azure import azure_storage

            async with azure_storage(storage_settings.abs) as azure:
                yield azure
