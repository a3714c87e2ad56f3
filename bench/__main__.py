"""`make bench`: the performance figures of issue 4, printed as one table.

Loopback only and bounded in time (about three minutes): the emulator (controlled mode, synthetic
runs) and the gateway each run in their own process, load comes from a third (wrk or
bench.loadgen). Goals are printed beside each figure; nothing here fails a build.
"""

import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from bench.driver import Load, measure
from bench.stack import Stack, free_port, reset_peak, rss_kib, stack, wait_until_up
from cromwes.service.run_details import RUN_KEYS

SECONDS = 10
METADATA_QUERY = [("expandSubWorkflows", "true"), *(("includeKey", key) for key in RUN_KEYS)]


@dataclass
class Row:
    measure: str
    figure: str
    goal: str
    met: bool | None

    def line(self) -> str:
        verdict = {True: "yes", False: "NO", None: ""}[self.met]
        return f"| {self.measure} | {self.figure} | {self.goal} | {verdict} |"


def fmt(load: Load) -> str:
    return (
        f"{load.requests_per_second:,.0f} req/s, p50 {load.p50_ms:.2f} ms, p99 {load.p99_ms:.2f} ms"
    )


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=600) as response:
        body: bytes = response.read()
    return body


def listing(bench: Stack) -> list[Row]:
    url = f"{bench.wes}/runs?page_size=10"
    bench.synthetic(count=100, status="mixed")
    small = measure(url, seconds=SECONDS)
    bench.synthetic(count=99_900, status="mixed")
    large = measure(url, seconds=SECONDS)
    ratio = large.requests_per_second / small.requests_per_second
    return [
        Row("GET /runs, 10 per page, 100 runs, c=16", fmt(small), "≥ 2,000 req/s, p99 < 20 ms",
            small.requests_per_second >= 2000 and small.p99_ms < 20),
        Row("GET /runs, 10 per page, 100,000 runs, c=16", fmt(large), "≥ 2,000 req/s, p99 < 20 ms",
            large.requests_per_second >= 2000 and large.p99_ms < 20),
        Row("  100,000-run rate / 100-run rate", f"{ratio:.2f}", "≥ 0.80", ratio >= 0.8),
    ]  # fmt: skip


def service_info(bench: Stack) -> list[Row]:
    gateway = measure(f"{bench.wes}/service-info", seconds=SECONDS)
    with tempfile.NamedTemporaryFile(suffix=".json") as body:
        body.write(fetch(f"{bench.wes}/service-info"))
        body.flush()
        port = free_port()
        bare = subprocess.Popen([sys.executable, "-m", "bench.bare", str(port), body.name])
        try:
            wait_until_up(f"http://127.0.0.1:{port}/")
            ceiling = measure(f"http://127.0.0.1:{port}/service-info", seconds=SECONDS)
        finally:
            bare.terminate()
            bare.wait()
    ratio = gateway.requests_per_second / ceiling.requests_per_second
    return [
        Row("GET /service-info (gateway), c=16", fmt(gateway), "", None),
        Row("same JSON from a bare aiohttp app, c=16", fmt(ceiling), "", None),
        Row("  gateway / bare", f"{ratio:.2f}", "≥ 0.50", ratio >= 0.5),
    ]


def status(bench: Stack) -> list[Row]:
    [run_id] = bench.synthetic(count=1, status="Running")
    through = measure(f"{bench.wes}/runs/{run_id}/status", concurrency=1, seconds=SECONDS)
    direct = measure(
        f"{bench.emulator_url}/api/workflows/v1/{run_id}/status", concurrency=1, seconds=SECONDS
    )
    added = through.p50_ms - direct.p50_ms
    return [
        Row("GET /runs/{id}/status via gateway, c=1", fmt(through), "", None),
        Row("GET .../{id}/status straight to the emulator, c=1", fmt(direct), "", None),
        Row("  added p50 latency", f"{added:.2f} ms", "≤ 1 ms", added <= 1.0),
    ]


def wide_runs(bench: Stack) -> list[Row]:
    rows = []
    for shards, path, goal_ms, label in (
        (10_000, "", 250.0, "GET /runs/{id}, 10,000 tasks"),
        (50_000, "/tasks?page_size=100", 50.0, "GET /runs/{id}/tasks?page_size=100, 50,000 tasks"),
    ):
        [run_id] = bench.synthetic(count=1, status="Succeeded", shards=shards)
        metadata_url = f"{bench.emulator_url}/api/workflows/v1/{run_id}/metadata"
        metadata = fetch(metadata_url)
        # Ask the emulator the gateway's exact question once, so that the next figure is the
        # gateway's own work (fetch, parse, flatten, render), not the emulator building a body.
        started = time.monotonic()
        fetch(f"{metadata_url}?{urlencode(METADATA_QUERY)}")
        cromwell_ms = (time.monotonic() - started) * 1000
        reset_peak(bench.gateway_pid)
        before = rss_kib(bench.gateway_pid)
        started = time.monotonic()
        fetch(f"{bench.wes}/runs/{run_id}{path}")
        cold_ms = (time.monotonic() - started) * 1000
        load = measure(f"{bench.wes}/runs/{run_id}{path}", concurrency=1, seconds=5, warmup=0)
        growth = (rss_kib(bench.gateway_pid, "VmHWM") - before) * 1024
        cold_goal = "" if path else f"≤ {goal_ms:.0f} ms"
        ratio = growth / len(metadata)
        rows += [
            Row(f"{label}: the emulator building that metadata", f"{cromwell_ms:.0f} ms", "", None),
            Row(f"{label}: first, not yet cached by the gateway", f"{cold_ms:.0f} ms",
                cold_goal, cold_ms <= goal_ms if not path else None),
            Row(f"{label}: cached, c=1", fmt(load), f"p50 ≤ {goal_ms:.0f} ms",
                load.p50_ms <= goal_ms),
            Row(f"  peak RSS growth / full metadata ({len(metadata) / 2**20:.1f} MiB)",
                f"{growth / 2**20:.1f} MiB = {ratio:.2f}x", "≤ 3x", ratio <= 3),
        ]  # fmt: skip
    return rows


def main() -> None:
    print(f"cromwes benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", flush=True)
    rows: list[Row] = []
    with stack() as bench:
        idle = rss_kib(bench.gateway_pid) / 1024
        rows.append(Row("idle RSS of the gateway", f"{idle:.0f} MB", "< 80 MB", idle < 80))
        for section in (service_info, status, listing, wide_runs):
            print(f"... {section.__name__}", file=sys.stderr, flush=True)
            rows += section(bench)
    tool = "wrk" if subprocess.run(["which", "wrk"], capture_output=True).returncode == 0 else ""
    print(f"\nload: {tool or 'bench.loadgen'}; {SECONDS} s per figure after a 2 s warm-up\n")
    print("| measure | figure | goal | met |\n| --- | --- | --- | --- |")
    for row in rows:
        print(row.line())
    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    stamp = f"{datetime.now(UTC):%Y%m%dT%H%M}"
    (results / f"{stamp}.json").write_text(json.dumps([row.__dict__ for row in rows], indent=1))


if __name__ == "__main__":
    main()
