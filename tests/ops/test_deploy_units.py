"""The systemd units of examples/deploy/: valid for systemd, and their commands, run as written
(paths moved into the test's directory), give a demo host whose gateway is ready."""

import asyncio
import configparser
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import skip_or_fail
from tests.servers import free_port, stop, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "examples" / "deploy"
UNITS = ("cromwes.service", "cromwes-emulator.service")
INSTALLED_BIN = "/opt/cromwes/venv/bin/"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(DEPLOY / name, encoding="utf-8")
    return parser


def command(line: str, moves: dict[str, str]) -> list[str]:
    for old, new in moves.items():
        line = line.replace(old, new)
    return shlex.split(line)


@pytest.mark.parametrize("name", UNITS)
def test_the_unit_is_valid_for_systemd(name: str, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        skip_or_fail("systemd-analyze is not installed: run .ci/install-deps")
    text = (DEPLOY / name).read_text(encoding="utf-8")
    # systemd checks that the programs exist: point at this environment's cromwes.
    (tmp_path / name).write_text(text.replace(INSTALLED_BIN, f"{Path(sys.executable).parent}/"))
    result = subprocess.run(
        [analyze, "verify", str(tmp_path / name)], capture_output=True, text=True, timeout=60
    )
    problems = [line for line in result.stderr.splitlines() if name in line]
    assert result.returncode == 0, result.stderr
    assert not problems, result.stderr


@pytest.mark.parametrize("name", UNITS)
def test_the_unit_runs_as_an_unprivileged_user(name: str) -> None:
    service = unit(name)["Service"]
    assert service["User"] == "cromwes"
    assert service["ExecStart"].startswith(INSTALLED_BIN)
    assert unit(name)["Install"]["WantedBy"] == "multi-user.target"


async def test_the_demo_host_commands_give_a_ready_gateway(tmp_path: Path) -> None:
    gateway_port, emulator_port = free_port(), free_port()
    emulator_data = tmp_path / "cromwes-emulator"
    config = tmp_path / "config.yaml"
    config.write_text(
        f"server: {{address: 127.0.0.1, port: {gateway_port}}}\n"
        "auth: {method: NO_AUTH}\n"
        f"cromwell: {{url: 'http://127.0.0.1:{emulator_port}'}}\n"
        f"blob_storage_client: {{local: {{staging_path: '{tmp_path / 'uploads'}',"
        f" allowed_read_roots: ['{emulator_data}']}}}}\n",
        encoding="utf-8",
    )
    moves = {
        INSTALLED_BIN: f"{Path(sys.executable).parent}/",
        "/var/lib/cromwes-emulator": str(emulator_data),
        "--port 8000": f"--port {emulator_port}",
        "/etc/cromwes/config.yaml": str(config),
    }
    emulator_unit, gateway_unit = unit("cromwes-emulator.service"), unit("cromwes.service")
    environment = dict(
        command(line, moves)[0].split("=", 1)
        for line in gateway_unit["Service"]["Environment"].splitlines()
    )
    processes = []
    try:
        emulator = await asyncio.create_subprocess_exec(
            *command(emulator_unit["Service"]["ExecStart"], moves),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        processes.append(emulator)
        await wait_for_port(emulator_port, emulator, what="cromwes-emulator.service")
        check = await asyncio.create_subprocess_exec(
            *command(gateway_unit["Service"]["ExecStartPre"], moves),
            env={"PATH": "/usr/bin:/bin", **environment},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output, _ = await check.communicate()
        assert check.returncode == 0, output.decode()
        log = tmp_path / "gateway.log"
        with log.open("wb") as sink:
            gateway = await asyncio.create_subprocess_exec(
                *command(gateway_unit["Service"]["ExecStart"], moves),
                env={"PATH": "/usr/bin:/bin", **environment}, cwd=tmp_path,
                stdout=sink, stderr=sink,
            )  # fmt: skip
        processes.append(gateway)
        await wait_for_port(gateway_port, gateway, what="cromwes.service", log=log)
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{gateway_port}/health/ready") as response,
        ):
            assert response.status == 200, await response.text()
    finally:
        for process in reversed(processes):
            await stop(process)
