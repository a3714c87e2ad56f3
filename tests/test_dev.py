"""`cromwes dev` and `make dev`, started as the README says: the gateway points at the emulator it
started and reads its task logs whatever the flags; the emulator is a child process without the
gateway's environment; Ctrl-C stops both, and neither outlives the other."""

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
import yaml

from tests.conftest import skip_or_fail
from tests.devstack import (
    PROJECT,
    clean_environment,
    dev_command,
    environment_of,
    hello_run,
    read,
    refuses_connections,
    start_dev,
    wait_gone,
)
from tests.servers import free_port


@pytest.mark.wdl
async def test_dev_without_config_serves_runs_and_their_task_logs(tmp_path: Path) -> None:
    dev = await start_dev(
        dev_command("--port", "0", "--emulator-port", "0"), cwd=tmp_path, log=tmp_path / "log"
    )
    try:
        assert dev.data_dir == tmp_path / ".data" / "emulator"
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{dev.gateway_url}/health/ready") as response:
                assert response.status == 200, await response.text()
            run_log = await hello_run(session, dev.wes_url, "no config")
            [task] = run_log["task_logs"]
            assert await read(session, task["stdout"]) == (200, b"Hello no config!\n")
            assert await read(session, task["stderr"]) == (200, b"Goodbye no config!\n")
    finally:
        await dev.close()


@pytest.mark.wdl
async def test_a_restarted_dev_keeps_its_secret_and_an_idempotent_submit_its_run(
    tmp_path: Path,
) -> None:
    run_ids = []
    for start in ("first", "second"):
        dev = await start_dev(
            dev_command("--port", "0", "--emulator-port", "0"),
            cwd=tmp_path, log=tmp_path / f"log-{start}",
        )  # fmt: skip
        try:
            async with aiohttp.ClientSession() as session:
                headers = {"Idempotency-Key": "nightly-2026-12-07"}
                run_ids.append((await hello_run(session, dev.wes_url, "kept", headers))["run_id"])
            assert "secret is not set" not in dev.output()
        finally:
            await dev.close()
    assert run_ids[0] == run_ids[1]
    assert (tmp_path / ".data" / "emulator" / "gateway.secret").stat().st_mode & 0o777 == 0o600


@pytest.mark.wdl
async def test_dev_follows_its_data_dir_and_emulator_port_not_the_config(tmp_path: Path) -> None:
    data_dir, emulator_port = tmp_path / "elsewhere", free_port()
    config = tmp_path / "config.yaml"
    # What a stale config says: another Cromwell, and the emulator's whole data directory.
    config.write_text(
        yaml.safe_dump(
            {
                "cromwell": {"url": "http://127.0.0.1:9"},
                "blob_storage_client": {
                    "local": {
                        "staging_path": str(tmp_path / "uploads"),
                        "allowed_read_roots": [str(data_dir)],
                    }
                },
            }
        )
    )
    dev = await start_dev(
        dev_command("--config", str(config), "--port", "0",
                    "--data-dir", str(data_dir), "--emulator-port", str(emulator_port)),
        cwd=tmp_path, log=tmp_path / "log",
    )  # fmt: skip
    try:
        assert dev.emulator_url == f"http://127.0.0.1:{emulator_port}"
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{dev.gateway_url}/health/ready") as response:
                assert response.status == 200, await response.text()
            database = data_dir / "emulator.sqlite"
            run_log = await hello_run(session, dev.wes_url, str(database))
            [task] = run_log["task_logs"]
            assert await read(session, task["stdout"]) == (200, f"Hello {database}!\n".encode())
            run_dir = Path(run_log["outputs"]["hello_world.greeting"]).parent
            assert data_dir / "cromwell-executions" in run_dir.parents
            # The run names the database as an input: still not a file the gateway may read.
            status, body = await read(
                session, f"{dev.wes_url}/runs/{run_log['run_id']}/file?path={database}"
            )
            assert status == 404, body
        assert "does not read under" in dev.output()
    finally:
        await dev.close()


async def test_make_dev_takes_ports_and_data_dir_as_variables(tmp_path: Path) -> None:
    venv = Path(sys.prefix)
    if not (venv / ".installed").exists():
        skip_or_fail(f"{venv} was not set up by make ({venv / '.installed'} is missing)")
    data_dir, emulator_port = tmp_path / "make-data", free_port()
    dev = await start_dev(
        ["make", "--no-print-directory", "dev", f"VENV={venv}", "WES_PORT=0",
         f"EMULATOR_PORT={emulator_port}", f"DATA_DIR={data_dir}"],
        cwd=PROJECT, log=tmp_path / "log",
    )  # fmt: skip
    try:
        assert dev.emulator_url == f"http://127.0.0.1:{emulator_port}"
        assert dev.data_dir == data_dir
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{dev.gateway_url}/health/ready") as response,
        ):
            assert response.status == 200, await response.text()
        assert "does not name a setting" not in dev.output()
        # Ctrl-C in the terminal: SIGINT to the foreground process group.
        os.killpg(dev.process.pid, signal.SIGINT)
        await asyncio.wait_for(dev.process.wait(), 60)
        await wait_gone(dev.emulator_pid, "the emulator after Ctrl-C")
        assert await refuses_connections(f"{dev.gateway_url}/health/live")
        assert await refuses_connections(f"{dev.emulator_url}/engine/v1/version")
    finally:
        await dev.close()


@pytest.mark.parametrize(
    ("signum", "whom"),
    [
        pytest.param(signal.SIGINT, "group", id="ctrl-c"),
        pytest.param(signal.SIGINT, "parent", id="sigint"),
        pytest.param(signal.SIGTERM, "parent", id="sigterm"),
    ],
)
async def test_a_signal_stops_both_and_exits_0(tmp_path: Path, signum: int, whom: str) -> None:
    dev = await start_dev(
        dev_command("--port", "0", "--emulator-port", "0"), cwd=tmp_path, log=tmp_path / "log"
    )
    try:
        if whom == "group":
            os.killpg(dev.process.pid, signum)
        else:
            dev.process.send_signal(signum)
        assert await asyncio.wait_for(dev.process.wait(), 60) == 0, dev.output()
        await wait_gone(dev.emulator_pid, "the emulator")
        assert await refuses_connections(f"{dev.emulator_url}/engine/v1/version")
    finally:
        await dev.close()


async def test_kill_9_of_dev_leaves_no_emulator_behind(tmp_path: Path) -> None:
    dev = await start_dev(
        dev_command("--port", "0", "--emulator-port", "0"), cwd=tmp_path, log=tmp_path / "log"
    )
    try:
        dev.process.kill()
        await dev.process.wait()
        await wait_gone(dev.emulator_pid, "the emulator after kill -9 of cromwes dev")
        assert await refuses_connections(f"{dev.emulator_url}/engine/v1/version")
    finally:
        await dev.close()


async def test_dev_exits_1_saying_so_when_the_emulator_dies(tmp_path: Path) -> None:
    dev = await start_dev(
        dev_command("--port", "0", "--emulator-port", "0"), cwd=tmp_path, log=tmp_path / "log"
    )
    try:
        os.kill(dev.emulator_pid, signal.SIGKILL)
        assert await asyncio.wait_for(dev.process.wait(), 60) == 1
        assert "the Cromwell emulator exited" in dev.output()
        assert await refuses_connections(f"{dev.gateway_url}/health/live")
    finally:
        await dev.close()


@pytest.mark.wdl
async def test_the_emulator_and_its_tasks_never_see_the_gateways_environment(
    tmp_path: Path,
) -> None:
    page_token_secret = "gateway-secret-3-" + "x" * 40
    secrets = {
        "WES_CROMWELL_USERNAME": "gateway-secret-0",
        "WES_CROMWELL_PASSWORD": "gateway-secret-1",
        "SERVER_SSL_KEY_PASSWORD": "gateway-secret-2",
        "SPRING_APPLICATION_JSON": f'{{"runs": {{"page_token_secret": "{page_token_secret}"}}}}',
        "AWS_SECRET_ACCESS_KEY": "gateway-secret-4",
    }
    dev = await start_dev(
        dev_command("--port", "0", "--emulator-port", "0"),
        cwd=tmp_path, log=tmp_path / "log", env=clean_environment(secrets),
    )  # fmt: skip
    try:
        environ = environment_of(dev.emulator_pid)
        names = {entry.split("=", 1)[0] for entry in environ}
        assert not names & set(secrets), names
        assert f"PATH={os.environ['PATH']}" in environ, "tasks run with the PATH of cromwes dev"
        async with aiohttp.ClientSession() as session:
            run_id = await _env_printing_run(session, dev.wes_url)
            async with session.get(f"{dev.wes_url}/runs/{run_id}") as response:
                [task] = (await response.json())["task_logs"]
            status, printed = await read(session, task["stdout"])
        assert status == 200
        assert b"PATH=" in printed
        for secret in secrets.values():
            assert b"gateway-secret" not in printed, secret
    finally:
        await dev.close()


ENV_WDL = b"""version 1.0
workflow show_env {
  call env_of_task
}
task env_of_task {
  command <<<
    env
  >>>
}
"""


async def _env_printing_run(session: aiohttp.ClientSession, wes_url: str) -> str:
    form = aiohttp.FormData()
    form.add_field("workflow_url", "env.wdl")
    form.add_field("workflow_type", "WDL")
    form.add_field("workflow_type_version", "1.0")
    form.add_field("workflow_attachment", ENV_WDL, filename="env.wdl")
    async with session.post(f"{wes_url}/runs", data=form) as response:
        assert response.status == 200, await response.text()
        run_id: str = (await response.json())["run_id"]
    for _ in range(600):
        async with session.get(f"{wes_url}/runs/{run_id}/status") as response:
            if (await response.json())["state"] in ("COMPLETE", "EXECUTOR_ERROR", "SYSTEM_ERROR"):
                return run_id
        await asyncio.sleep(0.2)
    raise AssertionError(f"run {run_id} never finished")


def test_dev_help_describes_every_flag() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cromwes", "dev", "--help"],
        capture_output=True, text=True, timeout=60, cwd=PROJECT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    options = result.stdout.split("options:", 1)[1]
    entries = {entry.split()[0].rstrip(","): entry for entry in _entries(options)}
    for flag in ("--config", "--port", "--emulator-port", "--data-dir"):
        words = entries[flag].split()[1:]
        description = words[1:] if words and words[0].isupper() else words
        assert len(description) >= 3, f"{flag} is not described: {entries[flag]!r}"


def _entries(options: str) -> list[str]:
    """The option entries of argparse's help: each starts on a line indented by two spaces."""
    entries: list[str] = []
    for line in options.splitlines():
        if line.startswith("  -"):
            entries.append(line.strip())
        elif line.startswith("   ") and entries:
            entries[-1] += " " + line.strip()
    return entries
