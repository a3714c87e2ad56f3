"""Put load on one URL from a separate process: wrk when installed, else bench.loadgen.

Conditions as in ../shared/reference/peers.md §4.4: one server process, loopback, a 2 s warm-up,
then a fixed duration at a fixed concurrency (`wrk -t1 -cN -dS --latency`).
"""

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True, slots=True)
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    tool: str


def measure(url: str, *, concurrency: int = 16, seconds: float = 10, warmup: float = 2) -> Load:
    """The load `url` takes; an error if any answer was not a success, since fast errors
    would read as a good rate."""
    if shutil.which("wrk"):
        if warmup:
            _wrk(url, concurrency, warmup)
        load = _parse_wrk(_wrk(url, concurrency, seconds))
    else:
        if warmup:
            _loadgen(url, concurrency, warmup)
        load = _loadgen(url, concurrency, seconds)
    if load.non_2xx:
        raise RuntimeError(f"{load.non_2xx} answers of {url} were not 2xx or 3xx")
    return load


def _wrk(url: str, concurrency: int, seconds: float) -> str:
    command = ["wrk", "-t1", f"-c{concurrency}", f"-d{max(int(seconds), 1)}s", "--latency", url]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def _parse_wrk(output: str) -> Load:
    def latency(percent: str) -> float:
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        if match is None:
            raise RuntimeError(f"no {percent}% latency in wrk output:\n{output}")
        return float(match[1]) * _UNITS[match[2]]

    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if rate is None:
        raise RuntimeError(f"no rate in wrk output:\n{output}")
    return Load(
        requests_per_second=float(rate[1]),
        p50_ms=latency("50"),
        p99_ms=latency("99"),
        non_2xx=int(errors[1]) if errors else 0,
        tool="wrk",
    )


def _loadgen(url: str, concurrency: int, seconds: float) -> Load:
    command = [sys.executable, "-m", "bench.loadgen", url, str(concurrency), str(seconds)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate, p50, p99, errors = output.split()
    return Load(float(rate), float(p50), float(p99), int(errors), "bench.loadgen")
