"""Everything in examples/ works against a live gateway in front of the emulator."""

import asyncio
import os
import shutil
import sys
from pathlib import Path

import pytest
from pytest_aiohttp import AiohttpServer

from tests.conftest import skip_or_fail
from tests.live import live_stack

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture
async def wes_url(aiohttp_server: AiohttpServer, tmp_path: Path) -> str:
    return (await live_stack(aiohttp_server, tmp_path)).wes_url


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
