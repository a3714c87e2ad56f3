"""Fixtures of the auth tests: keys made per session, a live issuer, and a gateway factory."""

import dataclasses
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient, AiohttpServer

from cromwes.app import create_app
from cromwes.appkeys import CLOCK
from cromwes.config.settings import (
    AuthMethod,
    AuthSettings,
    BlobStorageSettings,
    CromwellSettings,
    LocalStorageSettings,
    Settings,
    TokenIssuerSettings,
)
from tests.auth.issuer import AUDIENCE, FakeClock, Issuer, KeyPair, ec_pair, rsa_pair

Client = TestClient[web.Request, web.Application]
Gateway = Callable[..., Awaitable[Client]]
"""`await gateway(auth, **settings_changes)`: a client of a started gateway."""


@pytest.fixture(scope="session")
def rsa_key() -> KeyPair:
    return rsa_pair("rsa-1")


@pytest.fixture(scope="session")
def rotated_key() -> KeyPair:
    return rsa_pair("rsa-2")


@pytest.fixture(scope="session")
def ec_key() -> KeyPair:
    return ec_pair("ec-1")


@pytest.fixture
async def issuer(aiohttp_server: AiohttpServer, rsa_key: KeyPair, ec_key: KeyPair) -> Issuer:
    issuer = Issuer(keys=[rsa_key, ec_key])
    server = await aiohttp_server(issuer.app())
    issuer.url = str(server.make_url("")).rstrip("/")
    return issuer


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def cromwell_url(unused_tcp_port: int) -> str:
    """A Cromwell nobody listens at: the outcomes tested with it are decided before any call."""
    return f"http://127.0.0.1:{unused_tcp_port}"


@pytest.fixture
def gateway(
    aiohttp_client: AiohttpClient, clock: FakeClock, cromwell_url: str, tmp_path: Path
) -> Gateway:
    """Start `create_app` with these auth settings on a real socket, on the test's clock."""

    async def start(auth: AuthSettings, **changes: Any) -> Client:
        settings = Settings(
            **changes,
            url=AUDIENCE,
            auth=auth,
            cromwell=CromwellSettings(url=cromwell_url),
            blob_storage_client=BlobStorageSettings(
                local=LocalStorageSettings(staging_path=str(tmp_path / "uploads"))
            ),
        )
        app = create_app(settings)
        tick: Callable[[], float] = clock
        app[CLOCK] = tick
        return await aiohttp_client(app)

    return start


def token_auth(method: AuthMethod, issuer: Issuer, **token_issuer: Any) -> AuthSettings:
    """OAUTH or PASSPORT settings trusting `issuer`, with `token_issuer` fields changed."""
    return AuthSettings(
        method=method,
        issuer_uri=issuer.url,
        token_issuer=dataclasses.replace(TokenIssuerSettings(), **token_issuer),
    )


async def error_body(response: Any, status: int) -> dict[str, Any]:
    """The body of a WES ErrorResponse with this status (asserted)."""
    assert response.status == status, await response.text()
    assert response.content_type == "application/json"
    body: dict[str, Any] = await response.json()
    assert body["status_code"] == status
    assert isinstance(body["msg"], str)
    assert body["msg"]
    return body
