"""Stopping what a run started: the runner child, each task's process group, and whatever an
earlier emulator left behind. Tasks run in sessions of their own, so killing the runner's group
does not reach them; their `pid` files (written by `hostwdl.py`) do. Blocking: call the
file-reading ones through `asyncio.to_thread`.
"""

import asyncio
import contextlib
import os
import signal
from pathlib import Path

from cromwes.emulator.records import WorkflowRecord
from cromwes.emulator.timestamps import now_ms


def kill_task_groups(workflow_root: str) -> None:
    """SIGKILL the process group named by every task `pid` file under a run directory, if that
    process still works inside this run directory (so a reused pid is never hit)."""
    for folder, _, files in os.walk(workflow_root):
        if "pid" in files:
            with contextlib.suppress(OSError, ValueError):
                pid = int(Path(folder, "pid").read_text().strip())
                cwd = os.readlink(f"/proc/{pid}/cwd")
                if cwd.startswith(folder):
                    kill_group(pid)


def kill_leftovers(record: WorkflowRecord) -> None:
    """After a restart: kill the runner and tasks of an interrupted run (checking the pid is
    still ours), and move its run directory aside so the run can start from scratch."""
    if record.runner_pid:
        with contextlib.suppress(OSError):
            command = Path(f"/proc/{record.runner_pid}/cmdline").read_bytes()
            if b"cromwes.emulator.runner" in command and record.id.encode() in command:
                kill_group(record.runner_pid)
    if record.workflow_root and os.path.isdir(record.workflow_root):
        kill_task_groups(record.workflow_root)
        os.replace(record.workflow_root, f"{record.workflow_root}.interrupted-{now_ms()}")


def kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def send_signal(process: asyncio.subprocess.Process, sig: signal.Signals) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)
