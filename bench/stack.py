"""A benchmark stack: the emulator and the gateway, each its own process, on loopback ports."""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

WES = "/ga4gh/wes/v1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def http_json(method: str, url: str, body: Any = None, timeout: float = 600) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def wait_until_up(url: str, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} never answered") from None
            time.sleep(0.1)


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    """A memory figure of a process from /proc (VmRSS now, VmHWM its peak), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not found for {pid}")


def children(pid: int) -> list[int]:
    """The process ids of a process's children (the gateway's: its line sink)."""
    return [
        int(child)
        for listing in Path(f"/proc/{pid}/task").glob("*/children")
        for child in listing.read_text().split()
    ]


def reset_peak(pid: int) -> None:
    """Reset the kernel's peak-RSS mark of a process (Linux clear_refs 5)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


@dataclass
class Stack:
    emulator_url: str
    admin_url: str
    gateway_url: str
    gateway_pid: int
    emulator_pid: int
    gateway_log: Path
    """Where the gateway's stderr (its log lines) goes."""

    @property
    def wes(self) -> str:
        return self.gateway_url + WES

    def synthetic(self, **request: Any) -> list[str]:
        ids: list[str] = http_json("POST", f"{self.admin_url}/_emulator/workflows", request)["ids"]
        return ids


@contextmanager
def stack(
    gateway_env: Mapping[str, str] | None = None,
    *,
    mode: str = "controlled",
    emulator_args: Sequence[str] = (),
) -> Iterator[Stack]:
    """Start the emulator and a gateway in front of it; stop both after.

    `controlled` (synthetic runs, for figures) or `execute` (real WDL, as `make dev` runs it).
    """
    with tempfile.TemporaryDirectory(prefix="cromwes-bench-") as tmp:
        port, admin = free_port(), free_port()
        emulator = subprocess.Popen(
            [sys.executable, "-m", "cromwes.emulator", "--port", str(port), "--admin-port",
             str(admin), "--data-dir", f"{tmp}/emulator", "--mode", mode,
             "--log-level", "WARNING", *emulator_args],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        try:
            wait_until_up(f"http://127.0.0.1:{admin}/_emulator/health")
            emulator_url = f"http://127.0.0.1:{port}"
            with gateway(emulator_url, Path(tmp), gateway_env) as (gateway_url, server, log):
                yield Stack(
                    emulator_url=emulator_url,
                    admin_url=f"http://127.0.0.1:{admin}",
                    gateway_url=gateway_url,
                    gateway_pid=server.pid,
                    emulator_pid=emulator.pid,
                    gateway_log=log,
                )
        finally:
            _stop(emulator)


@contextmanager
def gateway(
    cromwell_url: str, folder: Path, env: Mapping[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    """`cromwes serve` in front of `cromwell_url`: (its URL, its process, its log file).

    The shipped defaults: JSON access and audit lines at INFO on stderr, which a deployment
    sends to a file (systemd's `StandardError=append:`, a container runtime's log file); so
    here too. `env` adds or overrides settings (`WES_*`).
    """
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="gateway-", dir=folder))
    # The caller's own WES_*/SERVER_*/SPRING_* settings would replace the shipped defaults.
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("WES_", "SERVER_", "SPRING_"))
    }
    settings = {
        **inherited,
        "WES_CROMWELL_URL": cromwell_url,
        "SERVER_PORT": str(port),
        "WES_BLOB_STORAGE_CLIENT_LOCAL_STAGING_PATH": str(folder / "uploads"),
        "WES_BLOB_STORAGE_CLIENT_LOCAL_ALLOWED_READ_ROOTS": str(folder.parent / "emulator"),
        **(env or {}),
    }
    settings.pop("CROMWES_CONFIG", None)
    log = folder / "gateway.log"
    with log.open("ab") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "cromwes", "serve"],
            env=settings,
            stderr=log_file,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until_up(f"{url}{WES}/service-info")
        except RuntimeError:
            tail = log.read_text(errors="replace").splitlines()[-20:]
            raise RuntimeError("the gateway did not start:\n" + "\n".join(tail)) from None
        yield url, server, log
    finally:
        # Before the emulator, so that nothing it still handles meets a Cromwell that is gone.
        _stop(server)


def _stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def metrics(gateway_url: str) -> list[tuple[str, dict[str, str], float]]:
    """Every sample of the gateway's /metrics: (name, labels, value)."""
    with urllib.request.urlopen(f"{gateway_url}/metrics", timeout=60) as response:
        text = response.read().decode()
    return [
        (sample.name, sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


def total(samples: list[tuple[str, dict[str, str], float]], name: str, **labels: str) -> float:
    """The sum of the samples called `name` whose labels include `labels`."""
    return sum(
        value
        for sample, sample_labels, value in samples
        if sample == name and labels.items() <= sample_labels.items()
    )
