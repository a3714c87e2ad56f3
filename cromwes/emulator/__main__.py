"""`python -m cromwes.emulator`: the Cromwell emulator on 127.0.0.1:8000 (Cromwell's port).

`main(argv)` parses the command line; `serve(server)` runs an `EmulatorServer` until Ctrl-C or
SIGTERM, so `cromwes emulator` and `cromwes dev` can reuse both.
"""

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from cromwes import runtime
from cromwes.emulator.config import EmulatorConfig
from cromwes.emulator.server import EmulatorServer, faults_document

logger = logging.getLogger("cromwes.emulator")


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="python -m cromwes.emulator",
        description="A local Cromwell REST server that runs WDL through miniwdl on the host.",
    )
    cli.add_argument("--host", default="127.0.0.1")
    cli.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    cli.add_argument("--admin-port", type=int, default=None, help="listener for /_emulator only")
    cli.add_argument("--data-dir", type=Path, default=Path(".data/emulator"))
    cli.add_argument("--mode", choices=("execute", "controlled"), default="execute")
    cli.add_argument("--cromwell-version", default="87")
    cli.add_argument("--pickup-delay", type=float, default=0.0)
    cli.add_argument("--max-running-workflows", type=int, default=4)
    cli.add_argument("--task-concurrency", type=int, default=8)
    cli.add_argument("--post-submit-404", type=float, default=0.0, metavar="SECONDS")
    cli.add_argument("--abort-grace", type=float, default=10.0)
    cli.add_argument("--preload-runs", type=int, default=0, metavar="N")
    cli.add_argument(
        "--scale-run", type=int, action="append", default=[], metavar="SHARDS",
        help="create a finished synthetic run with SHARDS shards (repeatable)",
    )  # fmt: skip
    cli.add_argument(
        "--faults", default=None, metavar="JSON", help='{"rules": [...], "down": false}'
    )
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
    server: EmulatorServer, *, preload_runs: int = 0, scale_runs: Sequence[int] = ()
) -> None:
    """Start `server`, announce it, create the requested synthetic workflows, then serve until
    cancelled or signalled; always stop it (and its runs) on the way out."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await server.start()
    try:
        print(server.describe(), flush=True)
        if preload_runs:
            created = await server.preload(preload_runs)
            logger.info("preloaded %d synthetic workflows", created)
        for shards in scale_runs:
            workflow_id = await server.scale_run(shards)
            logger.info("synthetic run %s has %d shards", workflow_id, shards)
        await stop.wait()
    finally:
        await server.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)


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
        )
    except ValueError as exn:
        print(f"cromwes emulator: {exn}", file=sys.stderr)
        return 2
    try:
        runtime.tune_collector()
        runtime.run(serve(server, preload_runs=args.preload_runs, scale_runs=args.scale_run))
    except ValueError as exn:
        print(f"cromwes emulator: {exn}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
