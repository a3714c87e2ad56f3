"""The WES clients people already use, against a live gateway in front of the emulator.

Installed by .ci/install-deps into .venv-clients; their quirks are in
../shared/reference/conformance.md §2 (wes-client) and §4 (gxy-wes).
"""

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from pytest_aiohttp import AiohttpServer

from tests.conftest import skip_or_fail
from tests.live import live_stack

PROJECT = Path(__file__).resolve().parents[2]
CLIENTS = PROJECT / ".venv-clients" / "bin"
pytestmark = pytest.mark.wdl


@pytest.fixture
async def gateway(aiohttp_server: AiohttpServer, tmp_path: Path) -> str:
    """host:port of a gateway in front of an executing emulator."""
    return f"127.0.0.1:{(await live_stack(aiohttp_server, tmp_path)).gateway.port}"


async def run(*command: str, cwd: Path) -> tuple[int, str]:
    program = CLIENTS / command[0]
    if not program.exists():
        skip_or_fail(f"{command[0]} is not installed: run .ci/install-deps")
    process = await asyncio.create_subprocess_exec(
        str(program), *command[1:], cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), timeout=300)
    assert process.returncode is not None
    return process.returncode, output.decode(errors="replace")


async def test_wes_client_submits_a_wdl_with_an_attachment(gateway: str, tmp_path: Path) -> None:
    work = tmp_path / "work"
    await asyncio.to_thread(work.mkdir)
    wdl = (PROJECT / "examples" / "hello-world.wdl").read_text()
    (work / "hello-world.wdl").write_text(wdl)
    (work / "name.txt").write_text("Frank")
    (work / "inputs.json").write_text(json.dumps({"hello_world.name": "name.txt"}))
    code, output = await run(
        "wes-client", "--proto", "http", "--host", gateway, "--attachments=name.txt",
        "hello-world.wdl", "inputs.json", cwd=work,
    )  # fmt: skip
    assert code == 0, output
    assert "State is COMPLETE" in output
    run_id = output.split("Workflow run id is ")[1].split()[0]
    code, output = await run("wes-client", "--proto", "http", "--host", gateway,
                             "--get", run_id, cwd=work)  # fmt: skip
    assert code == 0, output
    log: dict[str, Any] = json.loads(output[output.index("{") :])
    assert log["state"] == "COMPLETE"
    assert log["request"]["workflow_url"] == "hello-world.wdl"
    staged = log["outputs"]["hello_world.message"]
    assert staged.startswith("Hello "), staged
    assert staged.endswith("/name.txt!"), staged


async def test_gxy_wes_lists_tasks_and_reads_one(gateway: str, tmp_path: Path) -> None:
    work = tmp_path
    code, output = await run("wes-client", "--proto", "http", "--host", gateway,
                             str(PROJECT / "examples" / "hello-world.wdl"),
                             str(PROJECT / "examples" / "hello-world.inputs.json"),
                             cwd=work)  # fmt: skip
    assert code == 0, output
    run_id = output.split("Workflow run id is ")[1].split()[0]
    url = f"http://{gateway}"
    code, output = await run("gxy-wes", "tasks", run_id, "--galaxy-url", url, cwd=work)
    assert code == 0, output
    tasks = json.loads(output)["task_logs"]
    assert [task["id"] for task in tasks] == ["hello_world.say_hello@1"]
    code, output = await run("gxy-wes", "task", run_id, tasks[0]["id"], "--galaxy-url", url,
                             cwd=work)  # fmt: skip
    assert code == 0, output
    assert json.loads(output)["exit_code"] == 0
    code, output = await run("gxy-wes", "list", "--page-size", "1", "--galaxy-url", url, cwd=work)
    assert code == 0, output
    assert json.loads(output)["runs"][0]["run_id"] == run_id
