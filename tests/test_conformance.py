"""schemathesis against the official WES 1.1.0 spec, on a live gateway in front of the emulator.

The recipe is ../shared/reference/conformance.md §1; schemathesis.toml documents each override.
"""

import asyncio
import os
import sys
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from cromwes.app import create_app
from cromwes.config import settings_from_tree
from cromwes.emulator.app import create_emulator_app
from cromwes.emulator.config import EmulatorConfig
from tests.api.conftest import EXAMPLES
from tests.auth.issuer import AUDIENCE, Issuer, rsa_pair
from tests.wes_spec import BASE, SPEC_FILE

PROJECT = Path(__file__).resolve().parents[1]
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


async def seeded_run(gateway: str, emulator: str, headers: dict[str, str]) -> tuple[str, str]:
    """A run that is Running (so CancelRun on it is a 200), and one of its tasks."""
    form = aiohttp.FormData()
    for key, value in {
        "workflow_url": "hello-world.wdl",
        "workflow_type": "WDL",
        "workflow_type_version": "1.0",
    }.items():
        form.add_field(key, value)
    form.add_field(
        "workflow_attachment",
        (EXAMPLES / "hello-world.wdl").read_bytes(),
        filename="hello-world.wdl",
    )
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.post(f"{gateway}{BASE}/runs", data=form) as response:
            assert response.status == 200, await response.text()
            run_id: str = (await response.json())["run_id"]
        async with session.post(
            f"{emulator}/_emulator/workflows/{run_id}/status", json={"status": "Running"}
        ) as response:
            assert response.status == 200, await response.text()
        async with session.get(f"{gateway}{BASE}/runs/{run_id}/tasks") as response:
            task_id: str = (await response.json())["task_logs"][0]["id"]
    return run_id, task_id


async def run_schemathesis(url: str, run_id: str, task_id: str, headers: dict[str, str]) -> None:
    header_args = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
    process = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS), "run", str(SPEC_FILE), "--url", f"{url}{BASE}",
        "--max-examples", "50", "--workers", "1", "--continue-on-failure", "--seed", "1",
        "--no-color", *header_args,
        cwd=PROJECT,
        env={**os.environ, "WES_RUN_ID": run_id, "WES_TASK_ID": task_id},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    report = output.decode(errors="replace")
    assert process.returncode == 0, f"schemathesis found failures:\n{report[-8000:]}"


@pytest.mark.parametrize("mode", ["NO_AUTH", "OAUTH"])
async def test_schemathesis_finds_no_failures(
    aiohttp_server: AiohttpServer, tmp_path: Path, mode: str
) -> None:
    emulator: TestServer = await aiohttp_server(
        create_emulator_app(EmulatorConfig(data_dir=tmp_path / "emulator", mode="controlled"))
    )
    tree: dict[str, object] = {
        "url": AUDIENCE,
        "cromwell": {"url": str(emulator.make_url("")).rstrip("/")},
        "blob_storage_client": {
            "local": {
                "staging_path": str(tmp_path / "uploads"),
                "allowed_read_roots": [str(tmp_path / "emulator")],
            }
        },
    }
    headers: dict[str, str] = {}
    if mode == "OAUTH":
        key = rsa_pair("conformance")
        issuer = Issuer(keys=[key])
        issuer_server = await aiohttp_server(issuer.app())
        issuer.url = str(issuer_server.make_url("")).rstrip("/")
        tree["auth"] = {"method": "OAUTH", "issuer_uri": issuer.url}
        headers = {"Authorization": f"Bearer {issuer.token(key)}"}
    gateway: TestServer = await aiohttp_server(create_app(settings_from_tree(tree)))
    gateway_url = str(gateway.make_url("")).rstrip("/")
    run_id, task_id = await seeded_run(gateway_url, str(emulator.make_url("")).rstrip("/"), headers)
    await run_schemathesis(gateway_url, run_id, task_id, headers)
