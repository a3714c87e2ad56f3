"""`python -m cromwes.emulator`: the Cromwell emulator on 127.0.0.1:8000 (Cromwell's port).

`main(argv)` parses the command line; `serve(server)` runs an `EmulatorServer` until Ctrl-C,
SIGTERM or the end of its parent (`--parent-fd`). `cromwes emulator` is this command, and
`cromwes dev` runs it as a child process.
"""

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from cromwes import runtime
from cromwes.emulator.config import EmulatorConfig
from cromwes.emulator.server import REMOTE_OPT_IN, EmulatorServer, faults_document

logger = logging.getLogger("cromwes.emulator")


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="python -m cromwes.emulator",
        description="A local Cromwell REST server that runs WDL through miniwdl on the host. A"
        " development tool: it runs every submitted command on this host as its user.",
    )
    cli.add_argument(
        "--host", default="127.0.0.1",
        help="interface of the Cromwell API; anything but loopback is refused unless"
        f" {REMOTE_OPT_IN} is given (default: %(default)s)",
    )  # fmt: skip
    cli.add_argument(
        REMOTE_OPT_IN, action="store_true",
        help="allow a non-loopback --host, i.e. let whoever reaches the port run commands on"
        " this host as this user",
    )  # fmt: skip
    cli.add_argument("--port", type=int, default=8000, help="Cromwell API port; 0 picks a free one")
    cli.add_argument(
        "--admin-port", type=int, default=None,
        help="loopback listener serving the /_emulator control API (never served on --port);"
        " 0 picks a free one (default: no control API)",
    )  # fmt: skip
    cli.add_argument(
        "--data-dir", type=Path, default=Path(".data/emulator"),
        help="SQLite file, submissions and cromwell-executions/ (default: %(default)s)",
    )  # fmt: skip
    cli.add_argument(
        "--mode", choices=("execute", "controlled"), default="execute",
        help="execute runs WDL; controlled never runs anything (default: %(default)s)",
    )  # fmt: skip
    cli.add_argument("--cromwell-version", default="87", help="default: %(default)s")
    cli.add_argument(
        "--pickup-delay", type=float, default=0.0, metavar="SECONDS",
        help="time a workflow stays Submitted before pickup",
    )  # fmt: skip
    cli.add_argument("--max-running-workflows", type=int, default=4, help="default: %(default)s")
    cli.add_argument(
        "--task-concurrency", type=int, default=8, help="task threads per workflow run"
    )
    cli.add_argument(
        "--post-submit-404", type=float, default=0.0, metavar="SECONDS",
        help="Cromwell's post-submit 404 quirk (0 = off)",
    )  # fmt: skip
    cli.add_argument(
        "--abort-grace", type=float, default=10.0, metavar="SECONDS",
        help="time between SIGTERM and SIGKILL when aborting (default: %(default)s)",
    )  # fmt: skip
    cli.add_argument(
        "--preload-runs", type=int, default=0, metavar="N",
        help="create N synthetic workflows of mixed statuses at start",
    )  # fmt: skip
    cli.add_argument(
        "--scale-run", type=int, action="append", default=[], metavar="SHARDS",
        help="create a finished synthetic run with SHARDS shards (repeatable)",
    )  # fmt: skip
    cli.add_argument(
        "--faults", default=None, metavar="JSON", help='{"rules": [...], "down": false}'
    )
    cli.add_argument(
        "--ready-fd", type=int, default=None, metavar="FD",
        help="once listening, write the endpoints as one JSON line to this inherited"
        " descriptor and close it (how `cromwes dev` learns the real ports)",
    )  # fmt: skip
    cli.add_argument(
        "--parent-fd", type=int, default=None, metavar="FD",
        help="stop, as on SIGTERM, when this inherited descriptor reaches end of file: the"
        " parent holding its other end has exited, however it died",
    )  # fmt: skip
    cli.add_argument("--log-level", default="INFO")
    return cli


def config_from(args: argparse.Namespace) -> EmulatorConfig:
    return EmulatorConfig(
        data_dir=args.data_dir,
        mode=args.mode,
        cromwell_version=args.cromwell_version,
        pickup_delay=args.pickup_delay,
        max_running_workflows=args.max_running_workflows,
        task_concurrency=args.task_concurrency,
        post_submit_404=args.post_submit_404,
        abort_grace=args.abort_grace,
    )


async def serve(
    server: EmulatorServer,
    *,
    preload_runs: int = 0,
    scale_runs: Sequence[int] = (),
    ready_fd: int | None = None,
    parent_fd: int | None = None,
) -> None:
    """Start `server`, announce it (on stdout, and to `ready_fd`), create the requested synthetic
    workflows, then serve until cancelled, signalled or `parent_fd` reaches end of file; always
    stop it (and its runs) on the way out."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    if parent_fd is not None:
        loop.add_reader(parent_fd, _stop_at_end_of_file, parent_fd, stop)
    try:
        await server.start()
        print(server.describe(), flush=True)
        if ready_fd is not None:
            with os.fdopen(ready_fd, "w", encoding="utf-8") as ready:
                ready.write(json.dumps(server.endpoints()) + "\n")
        if preload_runs:
            created = await server.preload(preload_runs)
            logger.info("preloaded %d synthetic workflows", created)
        for shards in scale_runs:
            workflow_id = await server.scale_run(shards)
            logger.info("synthetic run %s has %d shards", workflow_id, shards)
        await stop.wait()
    finally:
        await server.stop()
        if parent_fd is not None:
            loop.remove_reader(parent_fd)
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)


def _stop_at_end_of_file(fd: int, stop: asyncio.Event) -> None:
    # Nothing is ever written to the parent's end: readable means end of file (or an error),
    # i.e. the parent is gone.
    try:
        data = os.read(fd, 1)
    except OSError:
        data = b""
    if not data:
        stop.set()


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        config = config_from(args)
        server = EmulatorServer(
            config,
            host=args.host,
            port=args.port,
            admin_port=args.admin_port,
            faults=faults_document(args.faults),
            allow_remote_commands=args.allow_remote_command_execution,
        )
    except ValueError as exn:
        print(f"cromwes emulator: {exn}", file=sys.stderr)
        return 2
    try:
        runtime.tune_collector()
        runtime.run(
            serve(
                server,
                preload_runs=args.preload_runs,
                scale_runs=args.scale_run,
                ready_fd=args.ready_fd,
                parent_fd=args.parent_fd,
            )
        )
    except ValueError as exn:
        print(f"cromwes emulator: {exn}", file=sys.stderr)
        return 2
    except OSError as exn:
        print(f"cromwes emulator: cannot serve: {exn}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
