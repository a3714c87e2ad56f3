"""State survives a restart: a new emulator on the same data directory has every workflow."""

import os
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from cromwes.emulator.config import EmulatorConfig
from cromwes.emulator.server import EmulatorServer
from tests.emulated import emulator_session
from tests.emulator.helpers import (
    API,
    HELLO_DRAFT2,
    LONG,
    get_json,
    move,
    post_json,
    process_group_alive,
    submit,
    wait_status,
    wait_until,
)


async def listing(session: aiohttp.ClientSession) -> list[dict[str, Any]]:
    body = await get_json(session, f"{API}/query?additionalQueryResultFields=labels")
    return list(body["results"])


async def test_workflows_survive_a_restart(tmp_path: Path) -> None:
    config = EmulatorConfig(data_dir=tmp_path / "emulator", mode="controlled")
    async with (
        EmulatorServer(config, port=0, admin_port=0) as first,
        emulator_session(first) as api,
    ):
        done = await submit(api, HELLO_DRAFT2, labels={"keep": "me"})
        await move(api, done["id"], status="Succeeded")
        await submit(api, HELLO_DRAFT2, parts={"workflowOnHold": "true"})
        await post_json(api, "/_emulator/workflows", {"count": 3, "subworkflows": 1}, expect=201)
        before = await listing(api)
        metadata_before = await get_json(api, f"{API}/{done['id']}/metadata")
        seq_before = (await get_json(api, f"/_emulator/workflows/{before[0]['id']}"))["seq"]
    async with (
        EmulatorServer(config, port=0, admin_port=0) as second,
        emulator_session(second) as api,
    ):
        assert await listing(api) == before
        assert await get_json(api, f"{API}/{done['id']}/metadata") == metadata_before
        newer = await submit(api, HELLO_DRAFT2)
        after = await listing(api)
        assert after[0]["id"] == newer["id"]
        assert after[1:] == before
        assert (await get_json(api, f"/_emulator/workflows/{newer['id']}"))["seq"] > seq_before


@pytest.mark.wdl
async def test_a_running_workflow_runs_again_after_a_restart(tmp_path: Path) -> None:
    config = EmulatorConfig(data_dir=tmp_path / "emulator", abort_grace=5, monitor_interval=0.2)
    job_ids: list[str] = []

    async def running_job(api: aiohttp.ClientSession, workflow_id: str, other_than: str) -> None:
        async def started() -> bool:
            body = await get_json(api, f"{API}/{workflow_id}/metadata?includeKey=jobId")
            elements = body["calls"].get("long_running.long", [])
            job_ids[:] = [e["jobId"] for e in elements if e.get("jobId", other_than) != other_than]
            return bool(job_ids)

        await wait_until(started, f"a task of {workflow_id} running (not job {other_than})")

    async with (
        EmulatorServer(config, port=0, admin_port=0) as first,
        emulator_session(first) as api,
    ):
        submitted = await submit(api, LONG)
        workflow_id = submitted["id"]
        await running_job(api, workflow_id, other_than="")
        old_job = job_ids[0]
        root = (await get_json(api, f"/_emulator/workflows/{workflow_id}"))["workflowRoot"]
    assert not process_group_alive(int(old_job)), "stopping the emulator left the task running"
    async with (
        EmulatorServer(config, port=0, admin_port=0) as second,
        emulator_session(second) as api,
    ):
        assert (await get_json(api, f"{API}/{workflow_id}/status"))["status"] == "Running"
        await running_job(api, workflow_id, other_than=old_job)
        interrupted = [p for p in os.listdir(Path(root).parent) if ".interrupted-" in p]
        assert len(interrupted) == 1
        await post_json(api, f"{API}/{workflow_id}/abort")
        await wait_status(api, workflow_id, "Aborted")
