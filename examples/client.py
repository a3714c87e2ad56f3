"""A small WES client in Python (aiohttp): submit examples/hello-world.wdl as an attachment, wait
for the run to finish, print its outputs and its task's stdout.

    python examples/client.py                                  # against `make dev`
    python examples/client.py --wes https://host/ga4gh/wes/v1 --token "$TOKEN" --name Ada
"""

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import aiohttp

HERE = Path(__file__).resolve().parent
TERMINAL = {"COMPLETE", "EXECUTOR_ERROR", "SYSTEM_ERROR", "CANCELED", "PREEMPTED"}


async def run_hello_world(
    wes: str, name: str, headers: dict[str, str], within: float, workflow: bytes
) -> int:
    async with aiohttp.ClientSession(headers=headers, raise_for_status=True) as session:
        form = aiohttp.FormData()
        form.add_field("workflow_url", "hello-world.wdl")
        form.add_field("workflow_type", "WDL")
        form.add_field("workflow_type_version", "1.0")
        form.add_field("workflow_params", json.dumps({"hello_world.name": name}))
        form.add_field("tags", json.dumps({"example": "client.py"}))
        form.add_field("workflow_attachment", workflow, filename="hello-world.wdl")
        async with session.post(f"{wes}/runs", data=form) as response:
            run_id = (await response.json())["run_id"]
        print(f"submitted run {run_id}")

        state = await wait_for_end(session, f"{wes}/runs/{run_id}/status", within)
        print(f"state: {state}")
        async with session.get(f"{wes}/runs/{run_id}") as response:
            run_log: dict[str, Any] = await response.json()
        print("outputs:", json.dumps(run_log.get("outputs", {}), indent=2))
        for task in run_log.get("task_logs") or []:
            async with session.get(task["stdout"]) as response:
                print(f"{task['name']} stdout: {(await response.text()).strip()}")
        return 0 if state == "COMPLETE" else 1


async def wait_for_end(session: aiohttp.ClientSession, status_url: str, within: float) -> str:
    """Poll the run's status once a second until it is terminal (or `within` seconds pass)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    state = "UNKNOWN"
    while loop.time() < deadline:
        async with session.get(status_url) as response:
            state = (await response.json())["state"]
        if state in TERMINAL:
            return state
        await asyncio.sleep(1)
    raise TimeoutError(f"the run is still {state} after {within:g} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wes", default="http://127.0.0.1:8090/ga4gh/wes/v1")
    parser.add_argument("--name", default="WES")
    parser.add_argument("--token", help="a bearer token, when the service wants one")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for the run")
    args = parser.parse_args()
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    workflow = (HERE / "hello-world.wdl").read_bytes()
    return asyncio.run(
        run_hello_world(args.wes.rstrip("/"), args.name, headers, args.timeout, workflow)
    )


if __name__ == "__main__":
    sys.exit(main())
