"""The end-to-end suite, run as an outside client would run it: against E2E_BASE_URI, here
cromwes (NO_AUTH) behind the mTLS nginx under a path prefix, with the client certificate."""

import asyncio
import os
import sys
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from cromwes.emulator.app import create_emulator_app
from cromwes.emulator.config import EmulatorConfig
from tests.ops.conftest import Certs, StartGateway, StartNginx

pytestmark = [pytest.mark.external, pytest.mark.wdl]
ROOT = Path(__file__).resolve().parents[2]


async def test_the_e2e_suite_passes_through_the_mtls_proxy(
    aiohttp_server: AiohttpServer,
    start_gateway: StartGateway,
    start_nginx: StartNginx,
    certs: Certs,
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "emulator"
    cromwell: TestServer = await aiohttp_server(
        create_emulator_app(EmulatorConfig(data_dir=data_dir))
    )
    gateway = await start_gateway(
        {
            "cromwell": {"url": str(cromwell.make_url("")).rstrip("/")},
            "blob_storage_client": {
                "local": {
                    "staging_path": str(tmp_path / "uploads"),
                    "allowed_read_roots": [str(data_dir)],
                }
            },
        }
    )
    proxy = await start_nginx(upstreams=[gateway.address], prefix="/wes")
    environment = {
        **os.environ,
        "E2E_BASE_URI": proxy.url,
        "E2E_CA_CERT": str(certs.dir / "ca.crt"),
        "E2E_CLIENT_CERT": str(certs.dir / "client.crt"),
        "E2E_CLIENT_KEY": str(certs.dir / "client.key"),
        "E2E_MAX_WORKFLOW_WAIT_TIME": "PT2M",
    }
    for name in ("E2E_TOKEN", "E2E_BASIC_AUTH"):
        environment.pop(name, None)
    suite = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs", "tests/e2e",
        cwd=ROOT, env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(suite.communicate(), timeout=300)
    report = output.decode(errors="replace")
    assert suite.returncode == 0, report
    assert " passed" in report, report
    # Without auth, only the tests of refusals and of anonymous answers are skipped.
    skips = [line for line in report.splitlines() if line.startswith("SKIPPED")]
    assert all("runs without auth" in line for line in skips), report
