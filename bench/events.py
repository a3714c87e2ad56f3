"""`python -m bench.events`: 1,000 event-stream subscribers to 10 running runs (issue 16).

What Cromwell pays for them (its calls per second, read from the emulator's request log) beside
what it pays for one subscriber per run, and the gateway's RSS, idle and with every stream open;
then what the gateway's CPU pays to send one run's history to many subscribers at once (each
event is encoded once, whatever the number of streams that send it).
Loopback only, about a minute; `figures(stack)` gives the rows to `make bench`'s table.
"""

import asyncio
import os
import sys
import time
import urllib.request
from collections.abc import Sequence
from datetime import UTC, datetime

import aiohttp

from bench.stack import Stack, http_json, rss_kib, stack
from cromwes.config.settings import EventsSettings

RUNS = 10
SUBSCRIBERS = 1000
POLL_INTERVAL = float(EventsSettings().poll_interval)
WINDOW = 10.0
"""Seconds over which Cromwell's calls are counted."""
HISTORY_SHARDS = 2000
HISTORY_SUBSCRIBERS = 100
Figure = tuple[str, str, str, bool | None]
"""(measure, figure, goal, met), as the rows of `make bench`."""


async def _subscriber(session: aiohttp.ClientSession, url: str, first: asyncio.Event) -> None:
    async with session.get(url, headers={"Accept": "text/event-stream"}) as response:
        if response.status != 200:
            raise RuntimeError(f"GET {url}: {response.status}")
        async for line in response.content:
            if line.startswith(b"data:"):
                first.set()


def _cromwell_calls(bench: Stack) -> int:
    calls: list[object] = http_json("GET", f"{bench.admin_url}/_emulator/requests")
    return len(calls)


def _forget_calls(bench: Stack) -> None:
    request = urllib.request.Request(f"{bench.admin_url}/_emulator/requests", method="DELETE")
    with urllib.request.urlopen(request, timeout=30):
        pass


async def _while_subscribed(
    bench: Stack, run_ids: Sequence[str], per_run: int
) -> tuple[float, int]:
    """Cromwell calls per second while `per_run` clients follow each run, and the gateway's RSS
    (KiB) then; every client has had its first event before counting starts."""
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        firsts = [asyncio.Event() for _ in range(len(run_ids) * per_run)]
        tasks = [
            asyncio.create_task(
                _subscriber(session, f"{bench.wes}/runs/{run_id}/events", firsts[i * per_run + k])
            )
            for i, run_id in enumerate(run_ids)
            for k in range(per_run)
        ]
        try:
            async with asyncio.timeout(120):
                await asyncio.gather(*(first.wait() for first in firsts))
            await asyncio.to_thread(_forget_calls, bench)
            started = time.monotonic()
            await asyncio.sleep(WINDOW)
            calls = await asyncio.to_thread(_cromwell_calls, bench)
            rate = calls / (time.monotonic() - started)
            return rate, rss_kib(bench.gateway_pid)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def _after_hang_up(bench: Stack) -> int:
    """Cromwell calls in the two seconds after the last client went (the watchers must stop)."""
    await asyncio.sleep(0.5)
    await asyncio.to_thread(_forget_calls, bench)
    await asyncio.sleep(2.0)
    return await asyncio.to_thread(_cromwell_calls, bench)


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (/proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _history_reader(
    session: aiohttp.ClientSession, url: str, events: int, read: asyncio.Event | None = None
) -> None:
    """Read a stream until `events` events came; then hang up, or with `read`, set it and go
    on reading (until cancelled)."""
    async with session.get(url, headers={"Accept": "text/event-stream"}) as response:
        if response.status != 200:
            raise RuntimeError(f"GET {url}: {response.status}")
        seen = 0
        async for line in response.content:
            seen += line.startswith(b"data:")
            if seen == events:
                if read is None:
                    return
                read.set()
    raise RuntimeError(f"GET {url}: the stream ended after {seen} of {events} events")


async def _history_fan_out(bench: Stack) -> tuple[float, float]:
    """The gateway's CPU seconds, and the wall seconds, to send `HISTORY_SUBSCRIBERS` clients
    at once the history of a run whose `HISTORY_SHARDS` shards are running (every start, then
    the run's state). A first client has read it and stays: the run's details are loaded and
    its watcher runs, so what is measured is the fan-out."""
    [run_id] = bench.synthetic(count=1, status="Running", shards=HISTORY_SHARDS)
    url = f"{bench.wes}/runs/{run_id}/events?history=true"
    events = HISTORY_SHARDS + 1
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        read = asyncio.Event()
        first = asyncio.create_task(_history_reader(session, url, events, read))
        try:
            async with asyncio.timeout(120):
                await read.wait()
                cpu, started = _cpu_seconds(bench.gateway_pid), time.monotonic()
                await asyncio.gather(
                    *(_history_reader(session, url, events) for _ in range(HISTORY_SUBSCRIBERS))
                )
                return _cpu_seconds(bench.gateway_pid) - cpu, time.monotonic() - started
        finally:
            first.cancel()
            await asyncio.gather(first, return_exceptions=True)


async def _figures(bench: Stack) -> list[Figure]:
    run_ids = bench.synthetic(count=RUNS, status="Running")
    idle = rss_kib(bench.gateway_pid)
    one_rate, _ = await _while_subscribed(bench, run_ids, per_run=1)
    many_rate, many_rss = await _while_subscribed(bench, run_ids, per_run=SUBSCRIBERS // RUNS)
    left = await _after_hang_up(bench)
    cpu, wall = await _history_fan_out(bench)
    sent = HISTORY_SUBSCRIBERS * (HISTORY_SHARDS + 1)
    growth, many_mb = (many_rss - idle) / 1024, many_rss / 1024
    # One watcher per run looks once per `events.poll_interval` (1 s): Cromwell's load is bounded
    # by the runs watched, never by their subscribers.
    bound = RUNS / POLL_INTERVAL
    return [
        (f"events: Cromwell calls/s, {RUNS} subscribers (one per run)",
         f"{one_rate:.1f}", f"≤ {bound:g} (one look per run per second)", one_rate <= bound),
        (f"events: Cromwell calls/s, {SUBSCRIBERS} subscribers to {RUNS} running runs",
         f"{many_rate:.1f}", f"≤ {bound:g}, the bound of one subscriber per run",
         many_rate <= bound),
        (f"events: gateway RSS with {SUBSCRIBERS} streams open",
         f"{many_mb:.0f} MB (+{growth:.0f} MB over none open)", "growth < 100 MB",
         growth < 100),
        ("events: Cromwell calls in 2 s after every client hung up", str(left), "0", left == 0),
        (f"events: gateway CPU to send a {HISTORY_SHARDS:,}-task run's history to "
         f"{HISTORY_SUBSCRIBERS} subscribers at once",
         f"{cpu:.2f} s, {cpu / sent * 1e6:.1f} µs per event sent ({wall:.1f} s wall)", "", None),
    ]  # fmt: skip


def figures(bench: Stack) -> list[Figure]:
    """The rows of the events benchmark, against a running `bench.stack.stack()`."""
    return asyncio.run(_figures(bench))


def main() -> None:
    print(f"cromwes events benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", flush=True)
    with stack() as bench:
        rows = figures(bench)
    print(f"\n{WINDOW:.0f} s per figure; default settings (events.poll_interval 1 s)\n")
    print("| measure | figure | goal | met |\n| --- | --- | --- | --- |")
    for measure, figure, goal, met in rows:
        print(f"| {measure} | {figure} | {goal} | {({True: 'yes', False: 'NO', None: ''})[met]} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
