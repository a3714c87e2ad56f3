"""Helpers of tests that start real servers as processes: free ports and waiting for them."""

import asyncio
import socket
import time
from pathlib import Path


def free_port() -> int:
    """A port nothing listens on now, for a program that must be told its port up front."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def wait_for_port(
    port: int,
    process: asyncio.subprocess.Process,
    *,
    what: str,
    within: float = 30.0,
    log: Path | None = None,
) -> None:
    """Return once 127.0.0.1:`port` accepts; fail saying why if the process exits or time is up."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.returncode is not None:
            raise AssertionError(f"{what} exited with {process.returncode}{_tail(log)}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise AssertionError(f"{what} never accepted connections on port {port}{_tail(log)}")


async def stop(process: asyncio.subprocess.Process, *, within: float = 10.0) -> None:
    """Terminate the process and reap it; kill it if it does not stop in time."""
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), within)
        except TimeoutError:
            process.kill()
            await process.wait()


def _tail(log: Path | None) -> str:
    if log is None or not log.exists():
        return ""
    return ":\n" + "\n".join(log.read_text(errors="replace").splitlines()[-30:])
