"""Everything in examples/ works against a live gateway in front of the emulator."""

import asyncio
import os
import shutil
import sys
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from cromwes.app import create_app
from cromwes.config import settings_from_tree
from cromwes.emulator.app import create_emulator_app
from cromwes.emulator.config import EmulatorConfig
from tests.conftest import skip_or_fail
from tests.wes_spec import BASE

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture
async def wes_url(aiohttp_server: AiohttpServer, tmp_path: Path) -> str:
    data_dir = tmp_path / "emulator"
    emulator: TestServer = await aiohttp_server(
        create_emulator_app(EmulatorConfig(data_dir=data_dir))
    )
    settings = settings_from_tree(
        {
            "cromwell": {"url": str(emulator.make_url("")).rstrip("/")},
            "blob_storage_client": {
                "local": {
                    "staging_path": str(tmp_path / "uploads"),
                    "allowed_read_roots": [str(data_dir)],
                }
            },
        }
    )
    gateway: TestServer = await aiohttp_server(create_app(settings))
    return str(gateway.make_url(BASE))


@pytest.mark.wdl
async def test_readme_walkthrough_runs_as_written(wes_url: str) -> None:
    if shutil.which("curl") is None:
        skip_or_fail("curl is not installed")
    process = await asyncio.create_subprocess_exec(
        str(EXAMPLES / "walkthrough.sh"),
        env={**os.environ, "WES": wes_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=180)
    text = output.decode()
    assert process.returncode == 0, text
    assert "COMPLETE" in text
    assert "Hello WES!" in text
    assert "CANCELED" in text


@pytest.mark.wdl
async def test_the_python_client_example_runs_hello_world(wes_url: str) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(EXAMPLES / "client.py"), "--wes", wes_url, "--name", "Client",
        "--timeout", "120",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), timeout=180)
    text = output.decode()
    assert process.returncode == 0, text
    assert "state: COMPLETE" in text
    assert '"hello_world.message": "Hello Client!"' in text
    assert "hello_world.say_hello stdout: Hello Client!" in text
