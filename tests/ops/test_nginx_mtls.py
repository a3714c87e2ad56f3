"""cromwes in NO_AUTH behind the real nginx of nginx/: only clients of the configured CA get in,
and the URLs in run logs point at nginx."""

import ssl
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.api.conftest import hello_form
from tests.emulated import EmulatedCromwell
from tests.ops.conftest import (
    CLIENT_SUBJECT,
    PREFIX,
    WES,
    Certs,
    GatewayProcess,
    Nginx,
    StartGateway,
    move,
    proxied_gateway_settings,
)

pytestmark = pytest.mark.external


@pytest.fixture
async def gateway(
    start_gateway: StartGateway, emulator: EmulatedCromwell, tmp_path: Path
) -> GatewayProcess:
    return await start_gateway(
        proxied_gateway_settings(emulator, tmp_path, observability={"log_format": "json"})
    )


async def test_a_client_of_the_ca_is_served_and_log_urls_point_at_nginx(
    proxy: Nginx, certs: Certs, emulator: EmulatedCromwell, gateway: GatewayProcess
) -> None:
    async with aiohttp.ClientSession(connector=_tls(certs.client_context())) as client:
        async with client.post(f"{proxy.url}{WES}/runs", data=hello_form(controlled=True)) as r:
            assert r.status == 200, await r.text()
            run_id = (await r.json())["run_id"]
        await move(emulator, run_id, "Succeeded")
        async with client.get(f"{proxy.url}{WES}/runs/{run_id}") as response:
            assert response.status == 200, await response.text()
            request_id = response.headers["X-Request-ID"]
            run_log = await response.json()
        stdout_url = run_log["task_logs"][0]["stdout"]
        run_url = f"https://127.0.0.1:{proxy.port}{PREFIX}{WES}/runs/{run_id}"
        assert stdout_url.startswith(f"{run_url}/logs/task/"), stdout_url
        assert run_log["run_log"]["stderr"] == f"{run_url}/logs/stderr"
        async with client.get(stdout_url) as response:
            assert response.status == 200, await response.text()
            assert await response.read()
        async with client.get(stdout_url, headers={"Range": "bytes=0-0"}) as response:
            assert response.status == 206
            assert len(await response.read()) == 1

    read = await _audit(gateway, "wes:run:read", run_id)
    assert read["client_subject"] == CLIENT_SUBJECT
    assert read["request_id"] == request_id
    access = [line for line in gateway.lines() if line.get("request_id") == request_id]
    assert any(line["logger"] == "cromwes.access" for line in access)
    assert f'subject="{CLIENT_SUBJECT}"' in proxy.access_log.read_text()


@pytest.mark.parametrize(
    ("certificate", "refusal"),
    [
        pytest.param(None, "No required SSL certificate was sent", id="no-certificate"),
        pytest.param("other-client", "The SSL certificate error", id="other-ca"),
    ],
)
async def test_nginx_refuses_clients_without_a_certificate_of_the_ca(
    proxy: Nginx, certs: Certs, gateway: GatewayProcess, certificate: str | None, refusal: str
) -> None:
    probe = f"{WES}/runs/{uuid.uuid4()}/status"
    connector = _tls(certs.client_context(certificate))
    async with (
        aiohttp.ClientSession(connector=connector) as client,
        client.get(f"{proxy.url}{probe}") as response,
    ):
        # With TLS 1.3 the handshake completes before nginx checks the certificate, and nginx
        # answers with its own 400 page instead of failing the handshake.
        assert response.status == 400
        assert refusal in await response.text()
    # Lines are written in order: once a later request's line is there, the probe's would be.
    marker = str(uuid.uuid4())
    async with (
        aiohttp.ClientSession() as direct,
        direct.get(f"http://{gateway.address}{WES}/service-info", headers={"X-Request-ID": marker}),
    ):
        pass
    lines = await gateway.lines_until(lambda line: line.get("request_id") == marker)
    assert not [line for line in lines if line.get("path", "").endswith(probe)]


async def _audit(gateway: GatewayProcess, action: str, run_id: str) -> dict[str, Any]:
    def wanted(line: dict[str, Any]) -> bool:
        return (
            line.get("logger") == "cromwes.audit"
            and line.get("action") == action
            and line.get("run_id") == run_id
        )

    return [line for line in await gateway.lines_until(wanted) if wanted(line)][-1]


def _tls(context: ssl.SSLContext) -> aiohttp.TCPConnector:
    return aiohttp.TCPConnector(ssl=context)
