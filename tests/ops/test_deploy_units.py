"""The systemd units of examples/deploy/: valid for systemd, and their commands, run as written
(paths moved into the test's directory), give a demo host whose gateway is ready."""

import asyncio
import configparser
import json
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import skip_or_fail
from tests.ops.conftest import WES
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


def demo_config(moves: dict[str, str]) -> str:
    """The demo `config.yaml` the README of examples/deploy/ shows, with its paths moved."""
    text = (DEPLOY / "README.md").read_text(encoding="utf-8")
    config = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    for old, new in moves.items():
        config = config.replace(old, new)
    return config


async def test_the_demo_host_commands_give_a_ready_gateway(tmp_path: Path) -> None:
    """Its read roots are the emulator's execution root only, and that is enough to read a task's
    log; the emulator's own files beside it are no run's to serve."""
    gateway_port, emulator_port = free_port(), free_port()
    emulator_data = tmp_path / "cromwes-emulator"
    config = tmp_path / "config.yaml"
    config.write_text(
        demo_config(
            {
                "/var/lib/cromwes-emulator": str(emulator_data),
                "/var/lib/cromwes/uploads": str(tmp_path / "uploads"),
                "port: 8090": f"port: {gateway_port}",
                "127.0.0.1:8000": f"127.0.0.1:{emulator_port}",
            }
        ),
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
        base = f"http://127.0.0.1:{gateway_port}"
        async with aiohttp.ClientSession(base) as session:
            async with session.get("/health/ready") as response:
                assert response.status == 200, await response.text()
            await said_hello_through(session, emulator_data)
    finally:
        for process in reversed(processes):
            await stop(process)


async def said_hello_through(session: aiohttp.ClientSession, emulator_data: Path) -> None:
    """Run hello-world through the demo gateway and read its task's stdout back."""
    form = aiohttp.FormData()
    for name, value in (("workflow_url", "hello-world.wdl"), ("workflow_type", "WDL"),
                        ("workflow_type_version", "1.0")):  # fmt: skip
        form.add_field(name, value)
    form.add_field("workflow_params", json.dumps({"hello_world.name": "demo"}))
    hello = (ROOT / "examples" / "hello-world.wdl").read_bytes()
    form.add_field("workflow_attachment", hello, filename="hello-world.wdl")
    async with session.post(f"{WES}/runs", data=form) as response:
        assert response.status == 200, await response.text()
        run_id = (await response.json())["run_id"]
    deadline = time.monotonic() + 60
    state = "?"
    while state != "COMPLETE":
        assert time.monotonic() < deadline, f"the demo run never completed (last: {state})"
        async with session.get(f"{WES}/runs/{run_id}/status") as response:
            state = (await response.json())["state"]
        if state in ("EXECUTOR_ERROR", "SYSTEM_ERROR", "CANCELED"):
            raise AssertionError(f"the demo run ended {state}")
        await asyncio.sleep(0.2)
    async with session.get(f"{WES}/runs/{run_id}/logs/task/hello_world.say_hello@1/stdout") as log:
        assert (log.status, await log.read()) == (200, b"Hello demo!\n")
    async with session.get(f"{WES}/runs/{run_id}/files") as response:
        listed = [f["path"] for f in (await response.json())["runFiles"]]
    assert listed, "the run's own files are listed"
    assert all(path.startswith(str(emulator_data / "cromwell-executions")) for path in listed)
