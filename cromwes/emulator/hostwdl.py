"""A miniwdl task backend that runs task commands as host processes (no container engine).

Follows emulator-recipes.md §1: container paths equal host paths, inputs are linked into
`work/_miniwdl_inputs`, `work/` stays put across retries (failed attempts move to
`work.attemptN`), each attempt runs in its own process group, and termination sends SIGTERM, then
SIGKILL. A `docker` runtime attribute is ignored with a warning, as on a Cromwell Local backend
without Docker. Registered as the `cromwes_host` entry point of `miniwdl.plugin.container_backend`.

Besides miniwdl's own files each call directory gets `pid` (the running attempt's process id)
and `cromwes-attempts.jsonl`, one JSON line per attempt start and end, from which `rundir.py`
rebuilds Cromwell's per-attempt call elements.
"""

import contextlib
import json
import logging
import os
import shlex
import signal
import subprocess
import time
from collections.abc import Callable
from typing import Any

import WDL
from WDL.runtime.error import Terminated
from WDL.runtime.task_container import TaskContainer

ATTEMPTS_FILE = "cromwes-attempts.jsonl"
CALL_FILE = "cromwes-call.json"
POLL_SECONDS = 0.5


class HostTaskContainer(TaskContainer):
    """Runs each task command with the host's shell, in the call directory's `work/`."""

    @classmethod
    def global_init(cls, cfg: Any, logger: logging.Logger) -> None:
        logger.info("cromwes host backend: task commands run on the host, without containers")

    @classmethod
    def detect_resource_limits(cls, cfg: Any, logger: logging.Logger) -> dict[str, int]:
        pages = os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else 0
        page_size = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 0
        return {"cpu": os.cpu_count() or 1, "mem_bytes": max(pages * page_size, 1)}

    def __init__(self, cfg: Any, run_id: str, host_dir: str) -> None:
        super().__init__(cfg, run_id, host_dir)
        # Same paths inside and outside: the base class's path logic then works unchanged.
        self.container_dir = host_dir
        self.runtime_attributes: dict[str, str] = {}

    def host_work_dir(self) -> str:
        # A WDL 1.0 command is interpolated once, with `work/` paths in it: keep `work/` stable.
        return os.path.join(self.host_dir, "work")

    def reset(self, logger: logging.Logger) -> None:
        work = self.host_work_dir()
        if os.path.isdir(work):
            os.rename(work, f"{work}.attempt{self.try_counter}")
        self.try_counter += 1
        os.makedirs(work)

    def process_runtime(self, logger: logging.Logger, runtime_eval: dict[str, Any]) -> None:
        self.runtime_attributes = cromwell_runtime_attributes(runtime_eval)
        runtime_eval = dict(runtime_eval)
        if "continueOnReturnCode" in runtime_eval and "returnCodes" not in runtime_eval:
            runtime_eval["returnCodes"] = _return_codes(runtime_eval["continueOnReturnCode"])
        super().process_runtime(logger, runtime_eval)
        if "docker" in self.runtime_values:
            logger.warning(
                "runtime.docker %s ignored: tasks run on the host, as on a Cromwell Local "
                "backend without Docker",
                self.runtime_values["docker"],
            )

    def _run(self, logger: logging.Logger, terminating: Callable[[], bool], command: str) -> int:
        self._link_inputs()
        script = os.path.join(self.host_dir, "command")
        env = dict(self.runtime_values.get("env", {}))
        exports = "".join(f"export {k}={shlex.quote(str(v))}\n" for k, v in env.items())
        with open(script, "w", encoding="utf-8") as out:
            out.write(exports + command)
        self._write_call_file(command)
        timeout = float(self.cfg.get("host_backend", "timeout_s", "0") or 0)
        grace = float(self.cfg.get("host_backend", "kill_grace_s", "5") or 5)
        shell = self.cfg.get("task_runtime", "command_shell", "/bin/bash")
        with (
            open(self._stdout_path(), "ab") as stdout,
            open(self._stderr_path(), "ab") as stderr,
            self.poll_stderr_context(logger) as poll_stderr,
            self.task_running_context(),
        ):
            proc = subprocess.Popen(
                [shell, script],
                cwd=self.host_work_dir(),
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,
            )
            with open(os.path.join(self.host_dir, "pid"), "w", encoding="utf-8") as out:
                out.write(f"{proc.pid}\n")
            self._log_attempt({"event": "start", "pid": proc.pid})
            exit_code = self._wait(proc, terminating, poll_stderr, timeout, grace, logger)
        self._log_attempt({"event": "end", "exit": exit_code, "terminated": terminating()})
        if terminating():
            raise Terminated()
        return exit_code

    def _wait(
        self,
        proc: "subprocess.Popen[bytes]",
        terminating: Callable[[], bool],
        poll_stderr: Callable[[], None],
        timeout: float,
        grace: float,
        logger: logging.Logger,
    ) -> int:
        deadline = time.monotonic() + timeout if timeout > 0 else None
        sigterm_at: float | None = None
        while True:
            try:
                exit_code = proc.wait(POLL_SECONDS)
                break
            except subprocess.TimeoutExpired:
                poll_stderr()
            overdue = deadline is not None and time.monotonic() > deadline
            if (terminating() or overdue) and sigterm_at is None:
                logger.warning("stopping task process group %d", proc.pid)
                _kill_group(proc.pid, signal.SIGTERM)
                sigterm_at = time.monotonic()
            elif sigterm_at is not None and time.monotonic() - sigterm_at > grace:
                _kill_group(proc.pid, signal.SIGKILL)
        poll_stderr()
        # Background children (`cmd &`) would die with a container; here the group must go.
        _kill_group(proc.pid, signal.SIGKILL)
        return 128 - exit_code if exit_code < 0 else exit_code

    def _stdout_path(self) -> str:
        return str(self.host_stdout_txt())  # type: ignore[no-untyped-call]  # miniwdl: untyped

    def _stderr_path(self) -> str:
        return str(self.host_stderr_txt())  # type: ignore[no-untyped-call]  # miniwdl: untyped

    def _link_inputs(self) -> None:
        for host_path, container_path in self.input_path_map.items():
            link = self.host_work_path(container_path).rstrip("/")
            if os.path.lexists(link):
                continue  # copied already ([file_io] copy_input_files)
            os.makedirs(os.path.dirname(link), exist_ok=True)
            os.symlink(host_path.rstrip("/"), link)

    def _write_call_file(self, command: str) -> None:
        data = {"commandLine": command.strip(), "runtimeAttributes": self.runtime_attributes}
        with open(os.path.join(self.host_dir, CALL_FILE), "w", encoding="utf-8") as out:
            json.dump(data, out)

    def _log_attempt(self, event: dict[str, Any]) -> None:
        line = json.dumps(
            {"attempt": self.try_counter, "time": time.time_ns() // 1_000_000, **event}
        )
        with open(os.path.join(self.host_dir, ATTEMPTS_FILE), "a", encoding="utf-8") as out:
            out.write(line + "\n")


def cromwell_runtime_attributes(runtime_eval: dict[str, Any]) -> dict[str, str]:
    """The attributes a Cromwell Local backend reports, all as strings, with its defaults
    (metadata-succeeded.json: maxRetries, failOnStderr, continueOnReturnCode)."""
    attributes = {"maxRetries": "0", "failOnStderr": "false", "continueOnReturnCode": "0"}
    for key in ("docker", "maxRetries", "failOnStderr", "continueOnReturnCode"):
        if key in runtime_eval:
            attributes[key] = _runtime_string(runtime_eval[key])
    return attributes


def _runtime_string(value: Any) -> str:
    data = value.json if hasattr(value, "json") else value
    if isinstance(data, bool):
        return "true" if data else "false"
    if isinstance(data, str):
        return data
    return json.dumps(data)


def _return_codes(value: Any) -> Any:
    """Cromwell's `continueOnReturnCode` in miniwdl's `returnCodes` terms."""
    data = value.json if hasattr(value, "json") else value
    if data is True:
        return WDL.Value.String("*")
    if data is False:
        return WDL.Value.Int(0)
    return value


def _kill_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
