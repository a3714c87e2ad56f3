"""Open the storage backend the settings name, for the lifetime of the application."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from cromwes.settings import Settings, StorageName
from cromwes.storage.base import Storage
from cromwes.storage.local import LocalStorage


@asynccontextmanager
async def open_storage(settings: Settings) -> AsyncIterator[Storage]:
    storage_settings = settings.blob_storage_client
    if storage_settings.name is StorageName.LOCAL:
        local = storage_settings.local
        yield LocalStorage(local.staging_path, local.allowed_read_roots)
        return
    raise NotImplementedError(f"storage backend {storage_settings.name} is not available yet")
