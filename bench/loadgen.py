"""A small closed-loop load generator (used when wrk is not installed).

`python -m bench.loadgen URL CONCURRENCY SECONDS` prints `rps p50_ms p99_ms non_2xx`.
"""

import asyncio
import statistics
import sys
import time

import aiohttp


async def _worker(
    session: aiohttp.ClientSession, url: str, until: float, latencies: list[float]
) -> int:
    errors = 0
    while time.monotonic() < until:
        started = time.monotonic()
        async with session.get(url) as response:
            await response.read()
            errors += response.status >= 300
        latencies.append((time.monotonic() - started) * 1000)
    return errors


async def _run(url: str, concurrency: int, seconds: float) -> str:
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.monotonic()
        until = started + seconds
        errors = await asyncio.gather(
            *(_worker(session, url, until, latencies) for _ in range(concurrency))
        )
        elapsed = time.monotonic() - started
    cuts = statistics.quantiles(latencies, n=100)
    return f"{len(latencies) / elapsed:.1f} {cuts[49]:.3f} {cuts[98]:.3f} {sum(errors)}"


if __name__ == "__main__":
    print(asyncio.run(_run(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))))
