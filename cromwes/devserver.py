"""`cromwes dev`: the Cromwell emulator as a child process, and the gateway in front of it.

The emulator (`python -m cromwes.emulator`) runs every submitted WDL command on this host, so it
runs in a process of its own with a minimal, explicit environment: nothing of the gateway's
settings, secrets or memory is reachable from a submission, and the embedded default performs
and fails like a real deployment (a Cromwell behind a socket). The gateway points at the
emulator it started, whatever the flags: `cromwell.url` is the child's real URL (it reports its
port, so `--emulator-port 0` works), and the local read roots are the child's execution root,
never its whole data directory (its SQLite file and submitted sources stay unreadable).

Without a configured `secret`, the gateway keys its page tokens, idempotent run ids and run
owners with one kept in the data directory (`gateway.secret`, mode 0600), so a restarted `cromwes
dev` still knows what it handed out.

Neither outlives the other. Ctrl-C or SIGTERM stops the gateway, then the emulator (its runs are
stopped, its state kept for the next start). If the emulator exits, `cromwes dev` stops and
exits 1 saying so. If `cromwes dev` dies, even by SIGKILL, the pipe the emulator watches
(`--parent-fd`) closes and the emulator stops.
"""

import asyncio
import contextlib
import json
import logging
import os
import secrets
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from aiohttp import web

from cromwes import runtime
from cromwes.app import create_app
from cromwes.config.settings import Settings
from cromwes.observability.loglines import LogLines

logger = logging.getLogger("cromwes")
T = TypeVar("T")

POST_SUBMIT_404 = 1.0
"""Like real Cromwell, the emulator does not know a run for a moment after its submit; the
gateway must (and does) cope with that, so `cromwes dev` shows it rather than hides it."""
SECRET_FILE = "gateway.secret"
READY_TIMEOUT = 120.0
STOP_TIMEOUT = 30.0
"""The emulator's own stop waits at most about 10 s for its runs; then it is killed."""
INHERITED_VARIABLES = frozenset(
    {"PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TMPDIR",
     "PYTHONPATH", "SSL_CERT_FILE", "SSL_CERT_DIR"}
)  # fmt: skip
"""What the emulator (and so every task it runs) inherits: where programs and the home are, the
locale and time zone, temporary files, Python's path and TLS trust. Never WES_*, SERVER_*,
credentials or proxies (a proxy URL may carry a password)."""


class DevError(Exception):
    """`cromwes dev` cannot go on; the message says why."""


@dataclass(frozen=True, slots=True)
class DevOptions:
    data_dir: Path
    emulator_port: int
    port: int | None
    """The gateway's port; None: `server.port` of the settings."""


@dataclass(frozen=True, slots=True)
class EmulatorEndpoints:
    """What the emulator child reports once it listens (`--ready-fd`)."""

    url: str
    data_dir: Path
    executions_dir: Path


def run_dev(
    settings: Settings,
    options: DevOptions,
    environ: Mapping[str, str],
    *,
    log_lines: LogLines | None = None,
) -> int:
    # Paths are compared with the emulator's, which resolves its data directory.
    options = replace(options, data_dir=options.data_dir.resolve())
    local = settings.blob_storage_client.local
    roots = tuple(str(Path(root).resolve()) for root in local.allowed_read_roots)
    settings = replace(
        settings,
        blob_storage_client=replace(
            settings.blob_storage_client, local=replace(local, allowed_read_roots=roots)
        ),
    )
    try:
        return runtime.run(_serve(settings, options, environ, log_lines))
    except DevError as exn:
        print(f"cromwes dev: {exn}", file=sys.stderr, flush=True)
        return 1


def emulator_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The emulator child's environment: the allow-listed variables of `environ`, and LC_*."""
    return {
        name: value
        for name, value in environ.items()
        if name in INHERITED_VARIABLES or name.startswith("LC_")
    }


def dev_settings(settings: Settings, emulator: EmulatorEndpoints, port: int) -> Settings:
    """The gateway's settings in front of `emulator`: its URL, and its execution root as a local
    read root, in place of any configured root that would expose the rest of its data directory.
    `settings`' roots must be absolute and resolved."""
    local = settings.blob_storage_client.local
    kept = tuple(root for root in local.allowed_read_roots if not _exposes(Path(root), emulator))
    for root in sorted(set(local.allowed_read_roots) - set(kept)):
        logger.warning(
            "cromwes dev does not read under %s: it holds the emulator's database and"
            " submissions; it reads the emulator's execution root %s instead",
            root,
            emulator.executions_dir,
        )
    executions = str(emulator.executions_dir)
    roots = kept if executions in kept else (*kept, executions)
    storage = replace(settings.blob_storage_client, local=replace(local, allowed_read_roots=roots))
    return replace(
        settings,
        server=replace(settings.server, port=port),
        cromwell=replace(settings.cromwell, url=emulator.url),
        blob_storage_client=storage,
    )


async def _serve(
    settings: Settings,
    options: DevOptions,
    environ: Mapping[str, str],
    log_lines: LogLines | None,
) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    async with _emulator_child(options, environ) as child:
        endpoints = await _until(stop, child.ready())
        if endpoints is None:
            return 0
        listener = _listen(
            settings.bind_address,
            settings.server.port if options.port is None else options.port,
        )
        gateway_settings = dev_settings(settings, endpoints, listener.getsockname()[1])
        if gateway_settings.server_secret is None:
            gateway_settings = replace(gateway_settings, secret=kept_secret(options.data_dir))
        runner = web.AppRunner(create_app(gateway_settings, log_lines=log_lines), access_log=None)
        runtime.tune_collector()
        try:
            await runner.setup()
            await web.SockSite(runner, listener).start()
            print(_banner(gateway_settings, endpoints), flush=True)
            code = await _until(stop, child.wait())
        finally:
            await runner.cleanup()
        if code is not None:
            raise DevError(f"the Cromwell emulator exited (code {code}); the gateway stopped too")
    return 0


def kept_secret(data_dir: Path) -> str:
    """The secret kept in `data_dir`, made on first use (readable by its owner only)."""
    path = data_dir / SECRET_FILE
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    secret = secrets.token_hex(32)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(secret + "\n")
    return secret


def _banner(settings: Settings, emulator: EmulatorEndpoints) -> str:
    host = settings.bind_address
    gateway = f"http://{f'[{host}]' if ':' in host else host}:{settings.server.port}"
    return (
        f"cromwes dev: WES API {gateway}/ga4gh/wes/v1 in front of the Cromwell emulator"
        f" {emulator.url} (data {emulator.data_dir}); Ctrl-C stops both"
    )


class _EmulatorChild:
    """The running `python -m cromwes.emulator` child and our ends of its two pipes."""

    def __init__(self, process: asyncio.subprocess.Process, ready_fd: int, parent_fd: int):
        self.process = process
        self._ready_fd = ready_fd
        self._parent_fd = parent_fd

    async def ready(self) -> EmulatorEndpoints:
        """Wait until the child listens; fail if it exits first or takes too long."""
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(self._ready_fd, "rb")
        )
        try:
            line = await asyncio.wait_for(reader.readline(), READY_TIMEOUT)
        except TimeoutError as exn:
            late = f"the Cromwell emulator was not ready within {READY_TIMEOUT:.0f} s"
            raise DevError(late) from exn
        finally:
            transport.close()
        if not line:
            code = await self.process.wait()
            raise DevError(f"the Cromwell emulator did not start (code {code}); see above")
        report = json.loads(line)
        return EmulatorEndpoints(
            url=report["url"],
            data_dir=Path(report["data_dir"]),
            executions_dir=Path(report["executions_dir"]),
        )

    async def wait(self) -> int:
        return await self.process.wait()

    async def stop(self) -> None:
        os.close(self._parent_fd)
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                logger.error("the Cromwell emulator did not stop in %.0f s: killed", STOP_TIMEOUT)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                await self.process.wait()


@contextlib.asynccontextmanager
async def _emulator_child(
    options: DevOptions, environ: Mapping[str, str]
) -> AsyncIterator[_EmulatorChild]:
    ready_read, ready_write = os.pipe()
    parent_read, parent_write = os.pipe()
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cromwes.emulator",
            "--host", "127.0.0.1",
            "--port", str(options.emulator_port),
            "--data-dir", str(options.data_dir),
            "--post-submit-404", str(POST_SUBMIT_404),
            "--ready-fd", str(ready_write),
            "--parent-fd", str(parent_read),
            stdin=asyncio.subprocess.DEVNULL,
            env=emulator_environment(environ),
            pass_fds=(ready_write, parent_read),
            # Its own session: Ctrl-C reaches `cromwes dev` only, which stops the gateway first.
            start_new_session=True,
        )  # fmt: skip
    except BaseException:
        for fd in (ready_read, parent_write):
            os.close(fd)
        raise
    finally:
        os.close(ready_write)
        os.close(parent_read)
    child = _EmulatorChild(process, ready_read, parent_write)
    try:
        yield child
    finally:
        await child.stop()


async def _until(stop: asyncio.Event, work: Awaitable[T]) -> T | None:
    """The result of `work`, or None (`work` cancelled) once `stop` is set."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pending in (task, stopping):
            pending.cancel()
        await asyncio.gather(task, stopping, return_exceptions=True)
    if task.cancelled():
        return None
    return task.result()


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as exn:
        raise DevError(f"the gateway cannot listen on {host}:{port}: {exn.strerror}") from exn


def _exposes(root: Path, emulator: EmulatorEndpoints) -> bool:
    """Whether reading under `root` could read the emulator's database or submitted sources."""
    data_dir, executions = emulator.data_dir, emulator.executions_dir
    if root == data_dir or root in data_dir.parents:
        return True
    return data_dir in root.parents and not (root == executions or executions in root.parents)
