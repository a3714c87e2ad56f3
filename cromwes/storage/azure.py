"""Azure Blob Storage: attachments staged as block blobs in one container, files read by range.

The async client (`azure.storage.blob.aio`, on aiohttp) runs on the event loop; it is opened and
closed by `azure_storage`, which `open_storage` enters for the application's lifetime.
"""

import asyncio
import hashlib
import io
import logging
import mimetypes
import posixpath
from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote, urlsplit

from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.storage.blob import (
    BlobBlock,
    BlobProperties,
    BlobSasPermissions,
    ContentSettings,
    generate_blob_sas,
)
from azure.storage.blob.aio import BlobClient, BlobServiceClient, ContainerClient

from cromwes.config.settings import AbsStorageSettings
from cromwes.errors import InvalidRequest, NotFound, RangeNotSatisfiable, StorageError
from cromwes.storage.base import DeleteOutcome, FileInfo, Storage, remove_each
from cromwes.storage.names import staged_folder_name, staged_name
from cromwes.storage.scoped import PrefixScope, object_key

API_VERSION = "2025-11-05"
"""The newest Blob API version Azurite 3.35.0 speaks (the SDK's default, 2026-10-06, is refused
with 400); Azure serves older versions too, so production runs what the tests run
(emulator-recipes.md §3)."""
BLOCK_SIZE = 4 * 1024 * 1024
"""Bytes per staged block while uploading: the memory one upload holds."""
READ_CHUNK = 4 * 1024 * 1024
"""Bytes per ranged GET while reading: the memory one read holds."""
EXISTS_CONCURRENCY = 16
"""Existence checks (one HEAD each) in flight at once while a run's files are listed."""
SAS_CLOCK_SKEW = timedelta(minutes=5)
"""A SAS starts this far in the past, so a storage clock slightly behind ours still accepts it."""

logger = logging.getLogger(__name__)


class AzureStorage:
    """Stages into `<container>/<staging_prefix>/...`; reads blobs of that one container.

    A path is either a blob URL of the configured account and container, or a bare blob name in
    the container. Any other account or container is refused: the service never reads a URL it
    was merely handed.
    """

    def __init__(
        self,
        service: BlobServiceClient,
        *,
        container: str,
        staging_prefix: str = "",
        signed_url_ttl_ms: int = 86_400_000,
    ) -> None:
        if not service.account_name:
            raise StorageError("blob_storage_client.abs.connection_string names no account")
        self._service = service
        self._account_name: str = service.account_name
        self._container: ContainerClient = service.get_container_client(container)
        self._staging_prefix = staging_prefix.strip("/")
        self._signed_url_ttl = signed_url_ttl_ms / 1000
        account = urlsplit(service.url)
        self._account_origin = (account.scheme.lower(), account.netloc.lower())
        # Path-style endpoints (Azurite, private endpoints) carry the account as the first path
        # segment: http://127.0.0.1:10000/devstoreaccount1/<container>/<blob>.
        self._account_path = account.path.rstrip("/") + "/"

    async def stage(self, folder: str, name: str, chunks: AsyncIterator[bytes]) -> str:
        blob = self._container.get_blob_client(staged_name(self._staging_prefix, folder, name))
        with _azure_errors("stage", blob.blob_name):
            # The If-None-Match on the commit is the atomic refusal; this one refuses before the
            # whole body has been sent.
            if await blob.exists():
                raise InvalidRequest(f"attachment {name} was sent twice.")
            # Blocks staged by a failed upload are never committed, so no blob appears; Azure
            # discards uncommitted blocks after seven days (Put Block docs).
            md5 = hashlib.md5(usedforsecurity=False)
            block_ids: list[BlobBlock] = []
            buffer = bytearray()
            async for chunk in chunks:
                md5.update(chunk)
                buffer += chunk
                while len(buffer) >= BLOCK_SIZE:
                    await self._stage_block(blob, block_ids, bytes(buffer[:BLOCK_SIZE]))
                    del buffer[:BLOCK_SIZE]
            if buffer:
                await self._stage_block(blob, block_ids, bytes(buffer))
            # Azure computes no MD5 for a blob committed from blocks, so set the one we counted.
            settings = ContentSettings(
                content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
                content_md5=bytearray(md5.digest()),
            )
            await blob.commit_block_list(block_ids, content_settings=settings, if_none_match="*")
        return str(blob.url)

    @staticmethod
    async def _stage_block(blob: BlobClient, block_ids: list[BlobBlock], data: bytes) -> None:
        block_id = f"{len(block_ids):08d}"  # every id of a blob must have the same length
        # aiohttp warns (an error under our filterwarnings) that a raw bytes body over 1 MiB
        # "might lock the event loop"; as a file object it is sent in pieces.
        await blob.stage_block(block_id, io.BytesIO(data), length=len(data))
        block_ids.append(BlobBlock(block_id=block_id))

    async def remove_staged(self, locations: Sequence[str]) -> None:
        prefix = f"{self._staging_prefix}/" if self._staging_prefix else ""

        def staged(location: str) -> bool:
            blob_name = self._blob_name(location)
            return blob_name is not None and blob_name.startswith(prefix)

        await remove_each(self, locations, staged=staged)

    def staged_folder(self, folder: str) -> str:
        name = staged_folder_name(self._staging_prefix, folder)
        return str(self._container.get_blob_client(name).url)

    def scoped(self, roots: Sequence[str]) -> Storage:
        return PrefixScope(self, self._object_key, roots)

    def _object_key(self, path: str) -> tuple[str, ...] | None:
        name = self._blob_name(path)
        return None if name is None else object_key(name.split("/"))

    def owns(self, path: str) -> bool:
        return self._blob_name(path) is not None

    async def existing(self, paths: Sequence[str]) -> set[str]:
        slots = asyncio.Semaphore(EXISTS_CONCURRENCY)

        async def exists(path: str) -> bool:
            async with slots:
                with _azure_errors("read", path):
                    found: bool = await self._blob(path).exists()
                    return found

        owned = [path for path in paths if self.owns(path)]
        found = await asyncio.gather(*(exists(path) for path in owned))
        return {path for path, present in zip(owned, found, strict=True) if present}

    async def stat(self, path: str) -> FileInfo:
        blob = self._blob(path)
        with _azure_errors("read", path):
            properties = await blob.get_blob_properties()
        content = properties.content_settings
        md5 = content.content_md5
        return FileInfo(
            path=path,
            name=posixpath.basename(blob.blob_name),
            size=properties.size,
            last_modified=properties.last_modified,
            created=properties.creation_time,
            content_type=content.content_type,
            content_encoding=content.content_encoding,
            # The reference crashed on a blob without an MD5 (its §10 item 25); omit it instead.
            checksums=(("md5", bytes(md5).hex()),) if md5 else (),
        )

    async def read(self, path: str, start: int, end: int) -> AsyncGenerator[bytes, None]:
        if start < 0:
            raise RangeNotSatisfiable(f"a byte range cannot start at {start}.", size=None)
        blob = self._blob(path)
        with _azure_errors("read", path):
            properties: BlobProperties = await blob.get_blob_properties()
            last = min(end, properties.size - 1)
            if last < start:
                return
            # Inclusive range: length is end - start + 1 (the reference's `end - start` lost the
            # last byte, its §10 item 22). The ETag pins the version just seen.
            downloader = await blob.download_blob(
                offset=start,
                length=last - start + 1,
                etag=properties.etag,
                match_condition=MatchConditions.IfNotModified,
            )
            async for chunk in downloader.chunks():
                yield chunk

    async def delete(self, path: str) -> DeleteOutcome:
        if not self.owns(path):
            return DeleteOutcome.NOT_FOUND
        try:
            await self._blob(path).delete_blob(delete_snapshots="include")
        except ResourceNotFoundError:
            return DeleteOutcome.NOT_FOUND
        except AzureError:
            logger.exception("deleting %s failed", path)
            return DeleteOutcome.FAILED
        return DeleteOutcome.DELETED

    async def signed_url(self, path: str, ttl_seconds: float | None = None) -> str | None:
        blob = self._blob(path)
        account_key = getattr(self._service.credential, "account_key", None)
        if not isinstance(account_key, str):
            return None  # a SAS- or token-based connection string cannot sign
        now = datetime.now(UTC)
        ttl = ttl_seconds if ttl_seconds is not None else self._signed_url_ttl
        sas = generate_blob_sas(
            account_name=self._account_name,
            container_name=blob.container_name,
            blob_name=blob.blob_name,
            account_key=account_key,
            permission=BlobSasPermissions(read=True),
            start=now - SAS_CLOCK_SKEW,
            expiry=now + timedelta(seconds=ttl),
        )
        return f"{blob.url}?{sas}"

    def _blob(self, path: str) -> BlobClient:
        blob_name = self._blob_name(path)
        if blob_name is None:
            # Drop any query: a SAS handed to us must not be echoed into a response or a log.
            shown = path.split("?", 1)[0]
            raise NotFound(f"{shown} is not a blob of this service's container.")
        return self._container.get_blob_client(blob_name)

    def _blob_name(self, path: str) -> str | None:
        """The blob a URL of our account and container, or a bare blob name, designates."""
        if "://" in path:
            url = urlsplit(path)
            if (url.scheme.lower(), url.netloc.lower()) != self._account_origin:
                return None
            if url.query or url.fragment or not url.path.startswith(self._account_path):
                return None
            container, _, quoted = url.path.removeprefix(self._account_path).partition("/")
            if container != self._container.container_name:
                return None
            path = unquote(quoted)
        # `.` and `..` segments would be collapsed by the HTTP client once the name is in a URL,
        # so `x/../../other/blob` could reach another container of the account.
        if not path or path.startswith("/") or {".", ".."} & set(path.split("/")):
            return None
        return path


@asynccontextmanager
async def azure_storage(settings: AbsStorageSettings) -> AsyncIterator[AzureStorage]:
    """An AzureStorage for the settings; its client (and aiohttp session) closes on exit."""
    if not settings.connection_string or not settings.container:
        raise StorageError("blob_storage_client.abs: connection_string and container are required")
    try:
        service = BlobServiceClient.from_connection_string(
            settings.connection_string,
            api_version=API_VERSION,
            max_block_size=BLOCK_SIZE,
            max_single_get_size=READ_CHUNK,
            max_chunk_get_size=READ_CHUNK,
        )
    except ValueError as exc:
        # Never repeat the connection string: it holds the account key.
        raise StorageError("blob_storage_client.abs.connection_string is malformed") from exc
    async with service:
        yield AzureStorage(
            service,
            container=settings.container,
            staging_prefix=settings.staging_path,
            signed_url_ttl_ms=settings.signed_url_ttl,
        )


@contextmanager
def _azure_errors(action: str, path: str) -> Iterator[None]:
    """Turn the SDK's exceptions into ours, like httpx's `map_httpcore_exceptions`."""
    try:
        yield
    except ResourceNotFoundError as exc:
        raise NotFound(f"{path} does not exist.") from exc
    except ResourceExistsError as exc:
        raise InvalidRequest(f"{path} already exists.") from exc
    except ResourceModifiedError as exc:
        raise StorageError(f"{path} changed while it was being read.") from exc
    except AzureError as exc:
        logger.warning("Azure Blob Storage failed to %s %s", action, path, exc_info=True)
        raise StorageError(f"Azure Blob Storage could not {action} {path}.") from exc
