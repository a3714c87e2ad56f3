"""Event streams and the dashboard through the real nginx of nginx/, under a path prefix and
mutual TLS: events arrive while the stream is open (nothing buffers them), keep-alives pass,
and the dashboard works in Chromium with the client's certificate."""

from pathlib import Path

import aiohttp
import pytest

from tests.api.conftest import hello_form
from tests.api.sse import open_stream
from tests.browser.conftest import MakeBrowser, browser, chromium, screenshot
from tests.emulated import EmulatedCromwell
from tests.ops.conftest import (
    WES,
    Certs,
    GatewayProcess,
    Nginx,
    StartGateway,
    move,
    proxied_gateway_settings,
)

pytestmark = pytest.mark.external
__all__ = ["browser", "chromium"]
"""The browser fixtures, shared with tests/browser."""


@pytest.fixture
async def gateway(
    start_gateway: StartGateway, emulator: EmulatedCromwell, tmp_path: Path
) -> GatewayProcess:
    return await start_gateway(
        proxied_gateway_settings(emulator, tmp_path, events={"keepalive_interval": "0.5s"})
    )


async def test_events_reach_the_client_through_nginx_as_they_happen(
    proxy: Nginx, certs: Certs, emulator: EmulatedCromwell
) -> None:
    connector = aiohttp.TCPConnector(ssl=certs.client_context())
    async with aiohttp.ClientSession(connector=connector) as client:
        async with client.post(f"{proxy.url}{WES}/runs", data=hello_form(controlled=True)) as r:
            assert r.status == 200, await r.text()
            run_id = (await r.json())["run_id"]
        url = f"{proxy.url}{WES}/runs/{run_id}/events"
        async with open_stream(client, url) as stream:
            assert (await stream.next()).data["state"] == "QUEUED"
            assert await stream.comment(within=10) == "ping"
            await move(emulator, run_id, "Running")
            running = await stream.next()
            assert (running.event, running.data["state"]) == ("state", "RUNNING")
            await move(emulator, run_id, "Succeeded")
            rest = await stream.rest()
        assert rest[-1].data["state"] == "COMPLETE"


async def test_the_dashboard_works_under_the_prefix_with_the_client_certificate(
    proxy: Nginx, certs: Certs, emulator: EmulatedCromwell, browser: MakeBrowser
) -> None:
    connector = aiohttp.TCPConnector(ssl=certs.client_context())
    async with (
        aiohttp.ClientSession(connector=connector) as client,
        client.post(f"{proxy.url}{WES}/runs", data=hello_form(controlled=True)) as response,
    ):
        run_id = (await response.json())["run_id"]
    await move(emulator, run_id, "Succeeded")
    chromium = await browser(
        client_certificates=[
            {
                "origin": f"https://127.0.0.1:{proxy.port}",
                "certPath": str(certs.dir / "client.crt"),
                "keyPath": str(certs.dir / "client.key"),
            }
        ],
        # The test CA is not one Chromium trusts; the client certificate is what is tested.
        ignore_https_errors=True,
    )
    page = await chromium.page()
    await page.goto(f"{proxy.url}/ui")
    assert page.url == f"{proxy.url}/ui/"
    await page.locator(f'#runs tr[data-run-id="{run_id}"] .state-complete').wait_for()
    await page.locator("#live.on").wait_for()
    await page.locator(f'#runs a:text-is("{run_id}")').click()
    await page.locator("#tasks tbody tr").first.wait_for()
    await page.locator("#timeline rect.bar-complete").first.wait_for()
    stdout = page.locator("#tasks tbody tr a", has_text="stdout").first
    assert (await stdout.get_attribute("href") or "").startswith(f"{proxy.url}{WES}/runs/")
    await screenshot(page, "run-through-nginx")
    assert chromium.errors == []
