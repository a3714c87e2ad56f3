"""Executes submitted workflows: picks them up, runs each in a runner child, watches, aborts.

Like Cromwell's workflow store and manager: at most `max_running_workflows` run at once, the
others wait as `Submitted` in submission order; a workflow becomes eligible `pickup_delay`
seconds after its submission. Pickup loads and typechecks the WDL and checks the inputs;
anything wrong fails the workflow with "Workflow input processing failed" (Cromwell accepted it
with 201 already). While a workflow runs, its run directory is read every `monitor_interval`
seconds so its sub-workflows get records of their own (listed by query, with parent/root ids).

Shutdown stops every child (SIGTERM, then SIGKILL of the process groups) and leaves the records
`Running`; the next start runs such workflows again from scratch, as Cromwell resumes workflows
after a restart (README: "State across restarts").
"""

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cromwes.emulator.calls import failure, workflow_failures
from cromwes.emulator.config import EmulatorConfig
from cromwes.emulator.documents import Documents
from cromwes.emulator.processes import kill_group, kill_leftovers, kill_task_groups, send_signal
from cromwes.emulator.records import WorkflowRecord
from cromwes.emulator.runfiles import error_failures, read_result, write_run_files
from cromwes.emulator.runner import EXIT_SUCCEEDED, EXIT_TERMINATED
from cromwes.emulator.store import WorkflowStore
from cromwes.emulator.subworkflows import register_executed_children
from cromwes.emulator.timestamps import now_ms
from cromwes.emulator.wdlsource import (
    Fetch,
    SubmissionSources,
    WorkflowUnusable,
    input_problems,
    load_workflow,
)

logger = logging.getLogger(__name__)
SHUTDOWN_GRACE = 5.0


@dataclass(slots=True)
class RunHandle:
    """A runner child and the workflow it runs."""

    record: WorkflowRecord
    process: asyncio.subprocess.Process
    result_path: Path
    killer: asyncio.Task[None] | None = None
    monitor: asyncio.Task[None] | None = None
    aborting: bool = False


@dataclass(slots=True)
class Pending:
    eligible_at: float
    restart: bool = False


@dataclass(slots=True)
class RunStats:
    started: int = 0
    finished: int = 0
    by_result: dict[str, int] = field(default_factory=dict)


class RunManager:
    """The execute-mode scheduler of one emulator."""

    def __init__(
        self, store: WorkflowStore, documents: Documents, config: EmulatorConfig, fetch: Fetch
    ) -> None:
        self._store = store
        self._documents = documents
        self._config = config
        self._fetch = fetch
        self._pending: dict[str, Pending] = {}
        self._active: dict[str, asyncio.Task[None]] = {}
        self._handles: dict[str, RunHandle] = {}
        self._wake = asyncio.Event()
        self._dispatcher: asyncio.Task[None] | None = None
        self._stopping = False
        self.stats = RunStats()

    # lifecycle

    async def start(self) -> None:
        await self._recover()
        self._dispatcher = asyncio.create_task(self._dispatch(), name="emulator-dispatcher")

    async def stop(self) -> None:
        self._stopping = True
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher
        for handle in list(self._handles.values()):
            send_signal(handle.process, signal.SIGTERM)
        if self._active:
            _, late = await asyncio.wait(list(self._active.values()), timeout=SHUTDOWN_GRACE)
            for handle in list(self._handles.values()):
                await self._kill_everything(handle)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    # requests

    def enqueue(self, record: WorkflowRecord, *, restart: bool = False) -> None:
        delay = 0.0 if restart else self._config.pickup_delay
        self._pending[record.id] = Pending(time.monotonic() + delay, restart)
        self._wake.set()

    def stopping(self) -> bool:
        """Whether `stop` began (it changes across awaits, hence a method)."""
        return self._stopping

    async def abort(self, record: WorkflowRecord) -> None:
        """Abort a `Running` workflow: SIGTERM to its runner (miniwdl stops each task's process
        group), SIGKILL to every group after `abort_grace`; `Aborted` once the runner is gone."""
        handle = self._handles.get(record.id)
        if handle is None and record.id not in self._active:
            # Still queued to run again after a restart: nothing to stop.
            self._pending.pop(record.id, None)
            record.end = now_ms()
            await self._store.set_status(record, "Aborted")
            return
        await self._store.set_status(record, "Aborting")
        if handle is None:
            return  # between pickup steps: `_run` sees `Aborting` and stops there
        handle.aborting = True
        send_signal(handle.process, signal.SIGTERM)
        handle.killer = asyncio.create_task(self._kill_after_grace(handle))

    # dispatching

    async def _dispatch(self) -> None:
        while True:
            self._wake.clear()
            now = time.monotonic()
            next_at: float | None = None
            for workflow_id, pending in list(self._pending.items()):
                if len(self._active) >= self._config.max_running_workflows:
                    break
                record = self._store.get(workflow_id)
                expected = "Running" if pending.restart else "Submitted"
                if record is None or record.status != expected:
                    del self._pending[workflow_id]
                    continue
                if pending.eligible_at > now:
                    next_at = min(next_at or pending.eligible_at, pending.eligible_at)
                    continue
                del self._pending[workflow_id]
                self._active[workflow_id] = asyncio.create_task(
                    self._run(record, pending.restart), name=f"run-{workflow_id}"
                )
            timeout = None if next_at is None else max(0.0, next_at - now)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def _run(self, record: WorkflowRecord, restart: bool) -> None:
        try:
            if await self._pick_up(record, restart):
                await self._execute(record)
        except Exception:
            logger.exception("the run of workflow %s failed inside the emulator", record.id)
            record.end = now_ms()
            record.failures = [failure("Workflow failed", [failure("internal emulator error")])]
            await self._store.set_status(record, "Failed")
        finally:
            self._active.pop(record.id, None)
            self._handles.pop(record.id, None)
            self._wake.set()

    async def _pick_up(self, record: WorkflowRecord, restart: bool) -> bool:
        """Load the WDL and check the inputs; False when the workflow failed or was aborted."""
        assert record.files is not None
        files = record.files
        sources = SubmissionSources.of(self._config.submissions_dir / record.id, files, self._fetch)
        picked_up = record.start if restart and record.start is not None else now_ms()
        inputs: dict[str, Any] = json.loads(files.inputs)
        try:
            loaded = await load_workflow(sources)
            problems = input_problems(loaded.workflow, inputs)
            if problems:
                raise WorkflowUnusable(problems, loaded.language_version)
        except WorkflowUnusable as unusable:
            if record.status not in ("Submitted", "Running"):
                await self._abort_settled(record)
                return False
            record.start, record.end = picked_up, now_ms()
            record.language_version = unusable.language_version
            record.failures = [failure("Workflow input processing failed", unusable.failures)]
            await self._store.set_status(record, "Failed")
            return False
        if record.status not in ("Submitted", "Running"):
            await self._abort_settled(record)  # aborted while loading
            return False
        root = self._config.executions_dir / loaded.workflow.name / record.id
        record.name = loaded.workflow.name
        record.shape = loaded.shape
        record.language_version = loaded.language_version
        record.start = picked_up
        record.inputs = inputs
        record.workflow_root = str(root)
        if files.workflow is None:
            fetched = sources.bundle.files.get(sources.main_uri)
            record.files = replace(files, workflow=fetched)
        await asyncio.to_thread(
            write_run_files,
            self._config.submissions_dir / record.id,
            root,
            sources,
            inputs,
            files.options,
        )
        await self._store.set_status(record, "Running")
        return True

    async def _abort_settled(self, record: WorkflowRecord) -> None:
        if record.status == "Aborting":
            record.end = now_ms()
            await self._store.set_status(record, "Aborted")

    async def _execute(self, record: WorkflowRecord) -> None:
        if self.stopping():
            return  # picked up as the emulator stops: the next start runs it
        folder = self._config.submissions_dir / record.id
        result = folder / "result.json"
        log = await asyncio.to_thread(open, folder / "runner.log", "ab")
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "cromwes.emulator.runner",
                "--bundle",
                str(folder / "sources.json"),
                "--inputs",
                str(folder / "inputs.json"),
                "--run-dir",
                str(record.workflow_root),
                "--result",
                str(result),
                "--options",
                str(folder / "options.json"),
                "--task-concurrency",
                str(self._config.task_concurrency),
                "--task-timeout",
                str(self._config.task_timeout),
                "--kill-grace",
                str(min(self._config.abort_grace, 5.0)),
                "--parent-pid",
                str(os.getpid()),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        finally:
            await asyncio.to_thread(log.close)
        handle = RunHandle(record, process, result)
        self._handles[record.id] = handle
        self.stats.started += 1
        record.runner_pid = process.pid
        await self._store.save(record)
        if record.status == "Aborting":
            await self.abort(record)
        handle.monitor = asyncio.create_task(self._monitor(handle))
        code = await process.wait()
        handle.monitor.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await handle.monitor
        if handle.killer is not None:
            handle.killer.cancel()
        if self.stopping():
            return  # the record stays Running: the next start runs it again
        await self._finish(handle, code)

    async def _finish(self, handle: RunHandle, code: int) -> None:
        record = handle.record
        run = await self._documents.read_run(record)
        if run is not None:
            await register_executed_children(self._store, record, run)
        result = await asyncio.to_thread(read_result, handle.result_path)
        record.end = now_ms()
        record.runner_pid = None
        if (
            handle.aborting
            or record.status == "Aborting"
            or code in (EXIT_TERMINATED, -signal.SIGTERM, -signal.SIGKILL)
        ):
            status = "Aborted"
        elif code == EXIT_SUCCEEDED:
            status = "Succeeded"
            record.outputs = dict(result.get("outputs") or {})
        elif "finalization_failures" in result:
            # The outputs could not be copied (final_workflow_outputs_dir): Cromwell lists the
            # finalization failures as they are, the workflow's outputs already published.
            status = "Failed"
            record.outputs = dict(result.get("outputs") or {})
            record.failures = [failure(str(m)) for m in result["finalization_failures"]]
        else:
            status = "Failed"
            elements = list(run.elements) if run is not None else []
            record.failures = workflow_failures(elements)
            if not record.failures[0]["causedBy"]:
                record.failures = [failure("Workflow failed", error_failures(result))]
        self.stats.finished += 1
        self.stats.by_result[status] = self.stats.by_result.get(status, 0) + 1
        await self._store.set_status(record, status)

    async def _monitor(self, handle: RunHandle) -> None:
        while True:
            await asyncio.sleep(self._config.monitor_interval)  # a polling interval, not a wait
            run = await self._documents.read_run(handle.record)
            if run is not None:
                await register_executed_children(self._store, handle.record, run)

    # stopping processes

    async def _kill_after_grace(self, handle: RunHandle) -> None:
        await asyncio.sleep(self._config.abort_grace)  # the grace period itself
        if handle.process.returncode is None:
            await self._kill_everything(handle)

    async def _kill_everything(self, handle: RunHandle) -> None:
        # The runner's group, then each task's (tasks run in sessions of their own).
        kill_group(handle.process.pid)
        if handle.record.workflow_root:
            await asyncio.to_thread(kill_task_groups, handle.record.workflow_root)

    async def _recover(self) -> None:
        """After a restart: stop what an earlier emulator left running, finish aborts, and run
        interrupted workflows again from scratch."""
        for record in list(self._store.in_seq_order(roots_only=True)):
            if record.kind != "submitted" or record.controlled:
                continue
            if record.status == "Submitted":
                self.enqueue(record)
            elif record.status in ("Running", "Aborting"):
                await asyncio.to_thread(kill_leftovers, record)
                if record.status == "Aborting" or record.start is None:
                    record.end = now_ms()
                    await self._store.set_status(record, "Aborted")
                else:
                    self.enqueue(record, restart=True)
