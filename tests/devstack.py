"""`cromwes dev` (or `make dev`) started as the README says, as a process with real sockets, and
what a test needs to see of it: its two URLs from the banner, the emulator child's pid, a WES
client for it."""

import asyncio
import json
import os
import re
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

PROJECT = Path(__file__).resolve().parents[1]
EXAMPLES = PROJECT / "examples"
WES = "/ga4gh/wes/v1"
BANNER = re.compile(
    r"cromwes dev: WES API (?P<gateway>http://\S+)/ga4gh/wes/v1 in front of the Cromwell"
    r" emulator (?P<emulator>http://\S+) \(data (?P<data>.+)\); Ctrl-C stops both"
)
POLL = 0.1


def clean_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This environment without the gateway settings a developer may have exported."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("WES_", "SERVER_", "SPRING_")) and name != "CROMWES_CONFIG"
    }
    return {**kept, **(extra or {})}


@dataclass
class Dev:
    process: asyncio.subprocess.Process
    log: Path
    gateway_url: str
    emulator_url: str
    data_dir: Path
    emulator_pid: int

    @property
    def wes_url(self) -> str:
        return self.gateway_url + WES

    def output(self) -> str:
        return text_of(self.log)

    async def close(self) -> None:
        """Leave nothing behind, whatever the test did: the emulator stops once its parent is
        gone; past a deadline it is killed."""
        await kill_group(self.process)
        try:
            await wait_gone(self.emulator_pid, "the emulator", within=30)
        except AssertionError:
            os.kill(self.emulator_pid, signal.SIGKILL)
            raise


def text_of(log: Path) -> str:
    return log.read_text(errors="replace")


def environment_of(pid: int) -> list[str]:
    """The environment `pid` was started with (`NAME=value` entries)."""
    return [e for e in Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0") if e]


async def start_dev(
    command: Sequence[str],
    *,
    cwd: Path,
    log: Path,
    env: Mapping[str, str] | None = None,
    within: float = 120.0,
) -> Dev:
    """Start `command` in a session of its own (as a terminal would: Ctrl-C is a SIGINT to its
    process group) and wait for the banner."""
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            *command, cwd=cwd, env=dict(env or clean_environment()),
            stdin=asyncio.subprocess.DEVNULL, stdout=sink, stderr=sink, start_new_session=True,
        )  # fmt: skip
    try:
        return await _dev_once_announced(process, log, within)
    except BaseException:
        await kill_group(process)
        raise


async def _dev_once_announced(process: asyncio.subprocess.Process, log: Path, within: float) -> Dev:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        banner = BANNER.search(text_of(log))
        if banner is not None:
            data_dir = Path(banner["data"])
            return Dev(
                process, log, banner["gateway"], banner["emulator"], data_dir,
                emulator_pid(data_dir),
            )  # fmt: skip
        if process.returncode is not None:
            break
        await asyncio.sleep(POLL)
    raise AssertionError(f"cromwes dev never printed its banner:\n{text_of(log)}")


def dev_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "cromwes", "dev", *args]


def emulator_pid(data_dir: Path) -> int:
    """The pid of the `python -m cromwes.emulator` serving `data_dir` (one per test)."""
    found = [
        pid
        for pid, argv in processes()
        if "cromwes.emulator" in argv and "--data-dir" in argv
        and Path(argv[argv.index("--data-dir") + 1]).resolve() == data_dir
    ]  # fmt: skip
    assert len(found) == 1, f"expected one emulator serving {data_dir}, found {found}"
    return found[0]


def processes() -> list[tuple[int, list[str]]]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                raw = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            found.append((int(entry), raw.decode(errors="replace").split("\0")))
    return found


def alive(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie nobody reaped yet counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


async def wait_gone(pid: int, what: str, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while alive(pid):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} (pid {pid}) still runs after {within:.0f} s")
        await asyncio.sleep(POLL)


async def refuses_connections(url: str) -> bool:
    async with aiohttp.ClientSession() as session:
        try:
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=5)):
                return False
        except aiohttp.ClientConnectionError:
            return True


async def kill_group(process: asyncio.subprocess.Process) -> None:
    """Leave nothing behind: SIGKILL to the process group of `process`, then reap it."""
    if process.returncode is None:
        os.killpg(process.pid, signal.SIGKILL)
    await process.wait()


async def hello_run(
    session: aiohttp.ClientSession,
    wes_url: str,
    name: str = "dev",
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Submit examples/hello-world.wdl as the README's curl does; return its finished RunLog."""
    form = aiohttp.FormData()
    form.add_field("workflow_url", "hello-world.wdl")
    form.add_field("workflow_type", "WDL")
    form.add_field("workflow_type_version", "1.0")
    form.add_field("workflow_params", json.dumps({"hello_world.name": name}))
    form.add_field(
        "workflow_attachment",
        (EXAMPLES / "hello-world.wdl").read_bytes(),
        filename="hello-world.wdl",
    )
    async with session.post(f"{wes_url}/runs", data=form, headers=headers) as response:
        assert response.status == 200, await response.text()
        run_id = (await response.json())["run_id"]
    deadline = time.monotonic() + 120
    state = "?"
    while time.monotonic() < deadline:
        async with session.get(f"{wes_url}/runs/{run_id}/status") as response:
            state = (await response.json())["state"]
        if state in ("COMPLETE", "EXECUTOR_ERROR", "SYSTEM_ERROR", "CANCELED"):
            break
        await asyncio.sleep(0.2)
    async with session.get(f"{wes_url}/runs/{run_id}") as response:
        run_log: dict[str, Any] = await response.json()
    assert state == "COMPLETE", run_log
    return run_log


async def read(session: aiohttp.ClientSession, url: str) -> tuple[int, bytes]:
    async with session.get(url, headers={"Accept": "application/octet-stream"}) as response:
        return response.status, await response.read()
