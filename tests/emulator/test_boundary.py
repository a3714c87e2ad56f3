"""The emulator's security boundary: the control API and its request log are never served on the
Cromwell port, the log keeps no credentials, and the emulator (which runs every submitted command
on this host) listens only on loopback unless told otherwise."""

import asyncio
import base64
import json
import sys
from pathlib import Path

import aiohttp
import pytest

from cromwes.emulator.__main__ import main
from cromwes.emulator.config import EmulatorConfig
from cromwes.emulator.server import EmulatorServer
from tests.emulator.helpers import API, HELLO_DRAFT2, get_json, submit, wait_status

NOT_FOUND_TEXT = "The requested resource could not be found."
CONTROL_ROUTES = [
    ("GET", "/_emulator/health"),
    ("GET", "/_emulator/requests"),
    ("DELETE", "/_emulator/requests"),
    ("GET", "/_emulator/stats"),
    ("POST", "/_emulator/workflows"),
    ("GET", "/_emulator/workflows/00000000-0000-0000-0000-000000000000"),
    ("GET", "/_emulator/faults"),
    ("PUT", "/_emulator/faults"),
    ("DELETE", "/_emulator/faults"),
    ("POST", "/_emulator/reset"),
]
SECRET = "cromwell-password-in-the-journal"
BASIC = "Basic " + base64.b64encode(f"gateway:{SECRET}".encode()).decode()


@pytest.mark.parametrize("admin_port", [0, None], ids=["with-admin", "without-admin"])
async def test_the_cromwell_port_does_not_serve_the_control_api(
    tmp_path: Path, admin_port: int | None
) -> None:
    config = EmulatorConfig(data_dir=tmp_path / "emulator", mode="controlled")
    async with (
        EmulatorServer(config, port=0, admin_port=admin_port) as server,
        aiohttp.ClientSession(base_url=server.url) as cromwell,
    ):
        await submit(cromwell, HELLO_DRAFT2, labels={"marker": "only-in-the-request-log"})
        for method, path in CONTROL_ROUTES:
            async with cromwell.request(method, path, json={}) as response:
                body = await response.text()
            assert (response.status, body) == (404, NOT_FOUND_TEXT), (method, path)
        listing = await get_json(cromwell, f"{API}/query")
        assert listing["totalResultsCount"] == 1, "POST /_emulator/workflows made a workflow"
        if server.admin_url is not None:
            async with aiohttp.ClientSession(base_url=server.admin_url) as admin:
                log = await get_json(admin, "/_emulator/requests")
                [entry] = [e for e in log if (e["method"], e["path"]) == ("POST", API)]
                assert "only-in-the-request-log" in entry["form"]["labels"]


async def test_the_request_log_keeps_no_credentials(tmp_path: Path) -> None:
    config = EmulatorConfig(data_dir=tmp_path / "emulator", mode="controlled")
    async with (
        EmulatorServer(config, port=0, admin_port=0) as server,
        aiohttp.ClientSession(base_url=server.url, headers={"Authorization": BASIC}) as cromwell,
    ):
        assert server.admin_url is not None
        await submit(cromwell, HELLO_DRAFT2)
        await get_json(cromwell, f"{API}/query")
        async with aiohttp.ClientSession(base_url=server.admin_url) as admin:
            entries = await get_json(admin, "/_emulator/requests")
    assert [entry["headers"]["Authorization"] for entry in entries] == ["Basic <redacted>"] * 2
    text = json.dumps(entries)
    assert SECRET not in text
    assert BASIC.split()[1] not in text


async def test_a_wdl_import_cannot_fetch_the_request_log(tmp_path: Path) -> None:
    config = EmulatorConfig(data_dir=tmp_path / "emulator")
    async with (
        EmulatorServer(config, port=0, admin_port=0) as server,
        aiohttp.ClientSession(base_url=server.url, headers={"Authorization": BASIC}) as cromwell,
    ):
        # Another submission (the victim's) and the gateway's credentials are in the log.
        await submit(cromwell, "# victims-own-source\n" + HELLO_DRAFT2)
        stealing = (
            f'version 1.0\nimport "{server.url}/_emulator/requests" as log\nworkflow steal {{ }}\n'
        )
        attack = await submit(cromwell, stealing)
        await wait_status(cromwell, attack["id"], "Failed")
        metadata = json.dumps(await get_json(cromwell, f"{API}/{attack['id']}/metadata"))
    assert "victims-own-source" not in metadata
    assert BASIC.split()[1] not in metadata


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "example.org", ""], ids=repr)
def test_a_non_loopback_host_is_refused_saying_why(
    host: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--host", host, "--port", "0", "--data-dir", str(tmp_path)]) == 2
    message = capsys.readouterr().err
    assert "runs every submitted WDL command on this host" in message
    assert "--allow-remote-command-execution" in message
    assert not (tmp_path / "emulator.sqlite").exists(), "it started before refusing"


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
async def test_loopback_hosts_are_accepted(host: str, tmp_path: Path) -> None:
    config = EmulatorConfig(data_dir=tmp_path / "emulator", mode="controlled")
    async with (
        EmulatorServer(config, host=host, port=0) as server,
        aiohttp.ClientSession(base_url=server.url) as cromwell,
    ):
        assert await get_json(cromwell, "/engine/v1/version") == {"cromwell": "87"}


async def test_the_opt_in_listens_everywhere_but_keeps_the_control_api_on_loopback(
    tmp_path: Path,
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cromwes.emulator", "--host", "0.0.0.0", "--port", "0",
        "--admin-port", "0", "--mode", "controlled", "--data-dir", str(tmp_path),
        "--allow-remote-command-execution",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        assert line.startswith("cromwes emulator listening on http://0.0.0.0:"), line
        assert "(admin http://127.0.0.1:" in line
    finally:
        process.terminate()
        await process.wait()
