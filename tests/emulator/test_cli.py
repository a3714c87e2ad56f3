"""`python -m cromwes.emulator`: listens, announces itself, preloads, stops on SIGTERM."""

import asyncio
import json
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from cromwes.emulator.__main__ import main
from tests.emulated import control_api_on
from tests.emulator.helpers import get_json, wait_until

ANNOUNCEMENT = "cromwes emulator listening on "


async def test_the_command_serves_until_sigterm(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cromwes.emulator", "--port", "0", "--admin-port", "0",
        "--data-dir", str(tmp_path / "data"), "--preload-runs", "5", "--scale-run", "10",
        "--faults", json.dumps({"rules": [{"route": "backends", "kind": "error"}]}),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        assert line.startswith(ANNOUNCEMENT), line
        url = line[len(ANNOUNCEMENT) :].split()[0]
        admin = line.split("(admin ", 1)[1].split(",")[0]
        assert f"data {tmp_path / 'data'})" in line
        async with aiohttp.ClientSession(
            base_url=url, middlewares=(control_api_on(admin),)
        ) as session:
            assert await get_json(session, "/engine/v1/version") == {"cromwell": "87"}
            await get_json(session, "/api/workflows/v1/backends", expect=500)

            async def preloaded() -> bool:
                stats = await get_json(session, "/_emulator/stats")
                return bool(stats["root_workflows"] == 6)

            await wait_until(preloaded, "5 preloaded workflows and one scale run")
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def test_starting_down_needs_an_admin_port(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--port", "0", "--data-dir", str(tmp_path), "--faults", '{"down": true}'])
    assert code == 2
    assert "admin port" in capsys.readouterr().err


def test_bad_settings_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(tmp_path), "--max-running-workflows", "0"]) == 2
    assert "max_running_workflows" in capsys.readouterr().err
