"""schemathesis against the official WES 1.1.0 spec, on a live gateway in front of the emulator.

The recipe is ../shared/reference/conformance.md §1; schemathesis.toml documents each override.
"""

import asyncio
import os
import sys
from pathlib import Path

import aiohttp
import pytest
from pytest_aiohttp import AiohttpServer

from tests.api.conftest import example_form
from tests.auth.issuer import AUDIENCE, Issuer, rsa_pair
from tests.live import live_stack
from tests.wes_spec import BASE, SPEC_FILE

PROJECT = Path(__file__).resolve().parents[1]
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


async def seeded_run(gateway: str, emulator_admin: str, headers: dict[str, str]) -> tuple[str, str]:
    """A run that is Running (so CancelRun on it is a 200), and one of its tasks."""
    form = example_form("hello-world.wdl")
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.post(f"{gateway}{BASE}/runs", data=form) as response:
            assert response.status == 200, await response.text()
            run_id: str = (await response.json())["run_id"]
        async with session.post(
            f"{emulator_admin}/_emulator/workflows/{run_id}/status", json={"status": "Running"}
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
    settings: dict[str, object] = {"url": AUDIENCE}
    headers: dict[str, str] = {}
    if mode == "OAUTH":
        key = rsa_pair("conformance")
        issuer = Issuer(keys=[key])
        issuer_server = await aiohttp_server(issuer.app())
        issuer.url = str(issuer_server.make_url("")).rstrip("/")
        settings["auth"] = {"method": "OAUTH", "issuer_uri": issuer.url}
        headers = {"Authorization": f"Bearer {issuer.token(key)}"}
    live = await live_stack(aiohttp_server, tmp_path, mode="controlled", settings=settings)
    run_id, task_id = await seeded_run(live.gateway_url, live.admin_url, headers)
    await run_schemathesis(live.gateway_url, run_id, task_id, headers)
