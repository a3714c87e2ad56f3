"""Google Cloud Storage: attachments staged under gs://bucket/prefix, files read by ranged GETs.

google-cloud-storage is a blocking SDK (requests underneath), so every call that may touch the
network runs in a worker thread through `asyncio.to_thread`.
"""

import asyncio
import base64
import logging
import mimetypes
import posixpath
import re
from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta

import google.auth
import google.auth.credentials
import google.auth.exceptions
from google.api_core import exceptions as api_exceptions
from google.cloud import storage
from google.cloud.storage import exceptions as storage_exceptions
from google.cloud.storage.fileio import BlobWriter
from google.cloud.storage.retry import DEFAULT_RETRY

from cromwes.errors import InvalidRequest, NotFound, RangeNotSatisfiable, StorageError
from cromwes.storage.base import DeleteOutcome, FileInfo, Storage, remove_each
from cromwes.storage.names import staged_folder_name, staged_name
from cromwes.storage.scoped import PrefixScope, object_key

GS_BUCKET = re.compile(r"[0-9A-Za-z_.-]+")
GS_PATH = re.compile(r"gs://(?P<bucket>[0-9A-Za-z_.-]+)/(?P<name>.+)")
"""The reference's own pattern for a GCS path (reference-service.md §5.3)."""

UPLOAD_CHUNK = 4 * 1024 * 1024
"""Resumable-upload chunk; must be a multiple of 256 KiB (GCS resumable upload protocol)."""
READ_CHUNK = 4 * 1024 * 1024
"""One ranged GET per chunk: memory stays at one chunk whatever the object's size."""
TIMEOUT = (10.0, 60.0)
"""(connect, read) seconds per HTTP request."""
RETRY = DEFAULT_RETRY.with_timeout(60.0)
"""The SDK retries transient errors for 120 s by default; a log reader should hear sooner."""
EXISTS_CONCURRENCY = 16
"""Existence checks (one metadata GET each) in flight at once while a run's files are listed."""
MAX_SIGNED_URL_TTL = 7 * 24 * 3600.0
"""V4 signed URLs live at most seven days (GCS signed-URL docs); longer TTLs are capped."""

logger = logging.getLogger(__name__)

GOOGLE_ERRORS: tuple[type[BaseException], ...] = (
    api_exceptions.GoogleAPIError,
    storage_exceptions.InvalidResponse,
    storage_exceptions.DataCorruption,
    google.auth.exceptions.GoogleAuthError,
    OSError,  # requests' errors are OSErrors
)


class GcsStorage:
    """Stages under `staging_location` (gs://bucket[/prefix]); reads any gs:// object.

    `user_project` is billed for requests, which requester-pays buckets require.
    """

    def __init__(
        self,
        client: storage.Client,
        *,
        credentials: google.auth.credentials.Credentials,
        staging_location: str,
        user_project: str | None,
        signed_url_ttl: float,
    ) -> None:
        bucket, _, prefix = staging_location.removeprefix("gs://").partition("/")
        if not staging_location.startswith("gs://") or not GS_BUCKET.fullmatch(bucket):
            raise StorageError("blob_storage_client.gcp.staging_location must be gs://bucket/...")
        self._client = client
        self._credentials = credentials
        self._staging_bucket = bucket
        self._staging_prefix = prefix.strip("/")
        self._user_project = user_project
        self._signed_url_ttl = signed_url_ttl

    async def stage(self, folder: str, name: str, chunks: AsyncIterator[bytes]) -> str:
        object_name = staged_name(self._staging_prefix, folder, name)
        location = f"gs://{self._staging_bucket}/{object_name}"
        blob = self._bucket(self._staging_bucket).blob(object_name)
        with _google_errors("stage", location):
            # The precondition below makes the refusal atomic; this check refuses before the
            # whole body is uploaded (and is what the emulator can show: it ignores preconditions).
            if await asyncio.to_thread(blob.exists, timeout=TIMEOUT, retry=RETRY):
                raise InvalidRequest(f"attachment {name} was sent twice.")
            writer = await asyncio.to_thread(self._writer, blob, name)
        try:
            with _google_errors("stage", location):
                async for chunk in chunks:
                    await asyncio.to_thread(writer.write, chunk)
                await asyncio.to_thread(writer.close)
        except BaseException:
            # Cancel the resumable session, so that a failed upload never becomes an object.
            await asyncio.to_thread(_terminate, writer)
            raise
        return location

    def _writer(self, blob: storage.Blob, name: str) -> BlobWriter:
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        writer: BlobWriter = blob.open(
            "wb",
            chunk_size=UPLOAD_CHUNK,
            ignore_flush=True,
            content_type=content_type,
            if_generation_match=0,
            timeout=TIMEOUT,
            retry=RETRY,
        )
        return writer

    async def remove_staged(self, locations: Sequence[str]) -> None:
        prefix = f"{self._staging_prefix}/" if self._staging_prefix else ""

        def staged(location: str) -> bool:
            match = GS_PATH.fullmatch(location)
            return (
                match is not None
                and match["bucket"] == self._staging_bucket
                and match["name"].startswith(prefix)
            )

        await remove_each(self, locations, staged=staged)

    def staged_folder(self, folder: str) -> str:
        return f"gs://{self._staging_bucket}/{staged_folder_name(self._staging_prefix, folder)}"

    def scoped(self, roots: Sequence[str]) -> Storage:
        return PrefixScope(self, _object_key, roots)

    def owns(self, path: str) -> bool:
        return GS_PATH.fullmatch(path) is not None

    async def existing(self, paths: Sequence[str]) -> set[str]:
        slots = asyncio.Semaphore(EXISTS_CONCURRENCY)

        async def exists(path: str) -> bool:
            async with slots:
                with _google_errors("read", path):
                    found: bool = await asyncio.to_thread(
                        self._blob(path).exists, timeout=TIMEOUT, retry=RETRY
                    )
                    return found

        owned = [path for path in paths if self.owns(path)]
        found = await asyncio.gather(*(exists(path) for path in owned))
        return {path for path, present in zip(owned, found, strict=True) if present}

    async def stat(self, path: str) -> FileInfo:
        blob = self._blob(path)
        with _google_errors("read", path):
            await asyncio.to_thread(blob.reload, timeout=TIMEOUT, retry=RETRY)
        return FileInfo(
            path=path,
            name=posixpath.basename(blob.name),
            size=int(blob.size or 0),
            last_modified=blob.updated,
            created=blob.time_created,
            content_type=blob.content_type,
            content_encoding=blob.content_encoding,
            checksums=_checksums(blob),
        )

    async def read(self, path: str, start: int, end: int) -> AsyncGenerator[bytes, None]:
        if start < 0:
            raise RangeNotSatisfiable(f"a byte range cannot start at {start}.", size=None)
        blob = self._blob(path)
        with _google_errors("read", path):
            await asyncio.to_thread(blob.reload, timeout=TIMEOUT, retry=RETRY)
        last = min(end, int(blob.size or 0) - 1)
        # Pin the generation seen above, so that an object replaced mid-read fails rather than
        # splicing two versions together.
        pinned = blob.bucket.blob(blob.name, generation=blob.generation)
        position = start
        while position <= last:
            chunk_end = min(last, position + READ_CHUNK - 1)
            with _google_errors("read", path):
                # raw_download: the stored bytes, which `size` and the ranges count, rather than
                # a decompressed view of a gzip-encoded object.
                chunk: bytes = await asyncio.to_thread(
                    pinned.download_as_bytes,
                    start=position,
                    end=chunk_end,
                    raw_download=True,
                    checksum=None,
                    timeout=TIMEOUT,
                    retry=RETRY,
                )
            if not chunk:
                return
            position += len(chunk)
            yield chunk

    async def delete(self, path: str) -> DeleteOutcome:
        if not self.owns(path):
            return DeleteOutcome.NOT_FOUND
        try:
            await asyncio.to_thread(self._blob(path).delete, timeout=TIMEOUT)
        except api_exceptions.NotFound:
            return DeleteOutcome.NOT_FOUND
        except GOOGLE_ERRORS:
            logger.exception("deleting %s failed", path)
            return DeleteOutcome.FAILED
        return DeleteOutcome.DELETED

    async def signed_url(self, path: str, ttl_seconds: float | None = None) -> str | None:
        blob = self._blob(path)
        if not isinstance(self._credentials, google.auth.credentials.Signing):
            return None
        ttl = min(
            ttl_seconds if ttl_seconds is not None else self._signed_url_ttl, MAX_SIGNED_URL_TTL
        )
        query = {"userProject": self._user_project} if self._user_project else None
        with _google_errors("sign a URL for", path):
            url: str = await asyncio.to_thread(
                blob.generate_signed_url,
                version="v4",
                expiration=timedelta(seconds=ttl),
                method="GET",
                credentials=self._credentials,
                query_parameters=query,
            )
        return url

    def _bucket(self, name: str) -> storage.Bucket:
        return self._client.bucket(name, user_project=self._user_project)

    def _blob(self, path: str) -> storage.Blob:
        match = GS_PATH.fullmatch(path)
        if match is None:
            raise NotFound(f"{path} is not a gs:// object.")
        return self._bucket(match["bucket"]).blob(match["name"])


def _object_key(path: str) -> tuple[str, ...] | None:
    match = GS_PATH.fullmatch(path)
    return None if match is None else object_key([match["bucket"], *match["name"].split("/")])


def _checksums(blob: storage.Blob) -> tuple[tuple[str, str], ...]:
    """GCS reports base64 CRC32C (and MD5 unless the object is composite); we give hex.

    The reference labelled the CRC32C as "CRC32" (reference-service.md §10 item 25).
    """
    checksums = []
    if blob.crc32c:
        checksums.append(("crc32c", base64.b64decode(blob.crc32c).hex()))
    if blob.md5_hash:
        checksums.append(("md5", base64.b64decode(blob.md5_hash).hex()))
    return tuple(checksums)


def _terminate(writer: BlobWriter) -> None:
    try:
        writer.terminate()
    except GOOGLE_ERRORS:
        logger.warning("could not cancel an unfinished upload", exc_info=True)


@contextmanager
def _google_errors(action: str, path: str) -> Iterator[None]:
    """Turn the SDK's exceptions into ours, like httpx's `map_httpcore_exceptions`."""
    try:
        yield
    except api_exceptions.NotFound as exc:
        raise NotFound(f"{path} does not exist.") from exc
    except api_exceptions.PreconditionFailed as exc:
        raise InvalidRequest(f"{path} already exists.") from exc
    except storage_exceptions.InvalidResponse as exc:
        if getattr(exc.response, "status_code", None) == 412:
            raise InvalidRequest(f"{path} already exists.") from exc
        logger.warning("Google Cloud Storage failed to %s %s", action, path, exc_info=True)
        raise StorageError(f"Google Cloud Storage could not {action} {path}.") from exc
    except GOOGLE_ERRORS as exc:
        logger.warning("Google Cloud Storage failed to %s %s", action, path, exc_info=True)
        raise StorageError(f"Google Cloud Storage could not {action} {path}.") from exc
