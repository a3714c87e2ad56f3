"""Two cromwes replicas behind one nginx (round-robin) in front of one Cromwell: a client paging
through GET /runs sees one consistent list, whichever replica answers each page."""

from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from pytest_aiohttp import AiohttpClient, AiohttpServer

from cromwes.app import create_app
from cromwes.config.loading import settings_from_tree
from cromwes.emulator.config import EmulatorConfig
from tests.emulated import emulated_cromwell
from tests.ops.conftest import WES, Certs, StartNginx

pytestmark = pytest.mark.external
SHARED_SECRET = "replicas-share-this-page-token-secret"
PAGE_SIZE = 4


async def test_paging_across_two_replicas_neither_repeats_nor_skips(
    aiohttp_server: AiohttpServer,
    aiohttp_client: AiohttpClient,
    start_nginx: StartNginx,
    certs: Certs,
    tmp_path: Path,
) -> None:
    cromwell = await emulated_cromwell(
        aiohttp_server, EmulatorConfig(data_dir=tmp_path / "emulator", mode="controlled")
    )
    control: TestClient[Any, Any] = await aiohttp_client(cromwell.admin)
    settings = settings_from_tree(
        {
            "cromwell": {"url": cromwell.url},
            "secret": SHARED_SECRET,
            "blob_storage_client": {"local": {"staging_path": str(tmp_path / "uploads")}},
        }
    )
    replicas = [await aiohttp_server(create_app(settings)) for _ in range(2)]
    proxy = await start_nginx(upstreams=[f"127.0.0.1:{replica.port}" for replica in replicas])
    existing = await _synthetic(control, 13)

    seen: list[str] = []
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=certs.client_context())
    ) as client:
        token = ""
        while True:
            async with client.get(
                f"{proxy.url}{WES}/runs", params={"page_size": PAGE_SIZE, "page_token": token}
            ) as response:
                assert response.status == 200, await response.text()
                page = await response.json()
            seen += [run["run_id"] for run in page["runs"]]
            token = page["next_page_token"]
            if not token:
                break
            # New submissions while paging: they are newer than the first page, so a stable
            # listing never shows them, and they must not shift what comes next.
            await _synthetic(control, 2)

    assert len(seen) == len(set(seen)), "a run was listed twice"
    assert seen == list(reversed(existing)), "the pages are not the runs, newest first"
    for replica in replicas:
        assert await _list_requests(aiohttp_client, replica) >= 1, "a replica served no page"


async def _synthetic(control: TestClient[Any, Any], count: int) -> list[str]:
    async with control.post(
        "/_emulator/workflows", json={"count": count, "status": "Succeeded"}
    ) as response:
        assert response.status == 201, await response.text()
        ids: list[str] = (await response.json())["ids"]
        return ids


async def _list_requests(aiohttp_client: AiohttpClient, replica: TestServer) -> float:
    """How many `GET /runs` this replica answered, from its own /metrics."""
    client: TestClient[Any, Any] = await aiohttp_client(replica)
    async with client.get("/metrics") as response:
        text = await response.text()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "cromwes_http_requests_total"
        and sample.labels["route"] == f"{WES}/runs"
        and sample.labels["method"] == "GET"
    )
