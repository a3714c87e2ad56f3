"""Signed URLs: GCS V4 made offline with a service-account key, Azure read-only SAS."""

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import aiohttp
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from tests.storage.conftest import Backend
from tests.storage.test_contract import FOLDER, chunks_of

DATA = b"signed bytes\n" * 1000


async def fetch(
    url: str, method: str = "GET", *, headers: dict[str, str] | None = None, data: bytes = b""
) -> tuple[int, bytes]:
    timeout = aiohttp.ClientTimeout(total=30)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.request(method, url, headers=headers, data=data or None) as response,
    ):
        return response.status, await response.read()


async def test_local_disk_has_no_signed_urls(local_backend: Backend) -> None:
    location = await local_backend.storage.stage(FOLDER, "log.txt", chunks_of(DATA))

    assert await local_backend.storage.signed_url(location, 60) is None


async def test_gcs_signed_url_is_v4_signed_by_the_key_and_fetches_the_bytes(
    gcs_backend: Backend, service_account: dict[str, str]
) -> None:
    location = await gcs_backend.storage.stage(FOLDER, "log.txt", chunks_of(DATA))

    url = await gcs_backend.storage.signed_url(location, 600)

    assert url is not None
    query = parse_qs(urlsplit(url).query)
    assert query["X-Goog-Algorithm"] == ["GOOG4-RSA-SHA256"]
    assert query["X-Goog-Credential"][0].startswith(f"{service_account['client_email']}/")
    assert query["X-Goog-Expires"] == ["600"]
    assert query["X-Goog-SignedHeaders"] == ["host"]
    assert query["userProject"] == ["cromwes-test"], "billed to the project (requester pays)"
    # The emulator does not check signatures (emulator-recipes.md §2), so check it here, and
    # check that the check can fail: a URL whose lifetime was stretched must not verify.
    assert v4_signature_verifies(url, service_account["private_key"])
    stretched = url.replace("X-Goog-Expires=600", "X-Goog-Expires=6000")
    assert not v4_signature_verifies(stretched, service_account["private_key"])
    assert await fetch(url) == (200, DATA)


async def test_gcs_signed_url_ttl_defaults_to_the_setting_and_is_capped_at_seven_days(
    gcs_backend: Backend,
) -> None:
    location = f"gs://any-bucket/{FOLDER}/log.txt"

    default = await gcs_backend.storage.signed_url(location)
    capped = await gcs_backend.storage.signed_url(location, 30 * 86400)

    assert default is not None
    assert capped is not None
    assert parse_qs(urlsplit(default).query)["X-Goog-Expires"] == ["86400"]
    assert parse_qs(urlsplit(capped).query)["X-Goog-Expires"] == ["604800"]


async def test_azure_sas_fetches_the_bytes_and_only_reads(azure_backend: Backend) -> None:
    location = await azure_backend.storage.stage(FOLDER, "log.txt", chunks_of(DATA))

    url = await azure_backend.storage.signed_url(location, 600)

    assert url is not None
    assert await fetch(url) == (200, DATA)
    assert (await fetch(url, headers={"Range": "bytes=0-5"})) == (206, DATA[:6])
    status, _ = await fetch(url, "PUT", data=b"x", headers={"x-ms-blob-type": "BlockBlob"})
    assert status == 403


async def test_azure_tampered_or_expired_sas_is_refused(azure_backend: Backend) -> None:
    location = await azure_backend.storage.stage(FOLDER, "log.txt", chunks_of(DATA))
    url = await azure_backend.storage.signed_url(location, 600)
    expired = await azure_backend.storage.signed_url(location, -60)
    assert url is not None
    assert expired is not None

    tampered = url.replace("sig=", "sig=A", 1)

    assert (await fetch(tampered))[0] == 403
    assert (await fetch(expired))[0] == 403


async def test_azure_sas_ttl_defaults_to_the_setting_in_milliseconds(
    azure_backend: Backend,
) -> None:
    location = await azure_backend.storage.stage(FOLDER, "log.txt", chunks_of(DATA))

    url = await azure_backend.storage.signed_url(location)

    assert url is not None
    expiry = datetime.fromisoformat(parse_qs(urlsplit(url).query)["se"][0])
    # abs.signed_url_ttl defaults to 86 400 000 ms, the reference's one day.
    assert abs(expiry - (datetime.now(UTC) + timedelta(days=1))) < timedelta(minutes=1)


def v4_signature_verifies(url: str, private_key_pem: str) -> bool:
    """Rebuild the V4 string-to-sign (GCS "Signed URL process") and check it with the public key."""
    parts = urlsplit(url)
    pairs = [pair.split("=", 1) for pair in parts.query.split("&")]
    signature = next(value for key, value in pairs if key == "X-Goog-Signature")
    canonical_query = "&".join(
        f"{key}={value}" for key, value in sorted(pairs) if key != "X-Goog-Signature"
    )
    canonical_request = "\n".join(
        ["GET", parts.path, canonical_query, f"host:{parts.netloc}\n", "host", "UNSIGNED-PAYLOAD"]
    )
    query = parse_qs(parts.query)
    scope = query["X-Goog-Credential"][0].split("/", 1)[1]
    string_to_sign = "\n".join(
        [
            "GOOG4-RSA-SHA256",
            query["X-Goog-Date"][0],
            scope,
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    key = load_pem_private_key(private_key_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    try:
        key.public_key().verify(
            bytes.fromhex(signature), string_to_sign.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except InvalidSignature:
        return False
    return True
