"""`cromwes dev`: the Cromwell emulator and the gateway in front of it, in one process.

Ctrl-C (or SIGTERM) stops both; the emulator's runs are aborted on the way out and its state
(an SQLite file in the data directory) is kept for the next start.
"""

import asyncio
import contextlib
import logging
import signal
from pathlib import Path

from aiohttp import web

from cromwes import runtime
from cromwes.app import create_app
from cromwes.config.settings import Settings
from cromwes.emulator.config import EmulatorConfig
from cromwes.emulator.server import EmulatorServer

logger = logging.getLogger("cromwes")
POST_SUBMIT_404 = 1.0


def run_dev(settings: Settings, *, data_dir: str, emulator_port: int) -> int:
    runtime.run(_serve(settings, Path(data_dir), emulator_port))
    return 0


async def _serve(settings: Settings, data_dir: Path, emulator_port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    # Like real Cromwell, the emulator does not know a run for a moment after its submit; the
    # gateway must (and does) cope with that, so `make dev` shows it rather than hides it.
    config = EmulatorConfig(data_dir=data_dir, post_submit_404=POST_SUBMIT_404)
    emulator = EmulatorServer(config, port=emulator_port)
    await emulator.start()
    runner = web.AppRunner(create_app(settings), access_log=None)
    runtime.tune_collector()
    try:
        await runner.setup()
        site = web.TCPSite(runner, settings.bind_address, settings.server.port)
        await site.start()
        print(emulator.describe(), flush=True)
        print(
            f"cromwes gateway listening on http://{settings.bind_address}:{settings.server.port}"
            f"/ga4gh/wes/v1 in front of {settings.cromwell.url} (Ctrl-C stops both)",
            flush=True,
        )
        await stop.wait()
    finally:
        await runner.cleanup()
        await emulator.stop()
