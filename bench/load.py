"""`make bench-load`: many clients mixing submit, status, list, run log and cancel.

Loopback only and bounded in time. Starts the same stack as `make dev` (gateway in front of the
emulator running real WDL), injects Cromwell latency on a share of submits so that clients time
out, and has every client retry a timed-out submit once with the same `Idempotency-Key`. Prints
requests and errors by status, latency percentiles, the gateway's RSS at start and end, and
whether every logical submission made exactly one Cromwell workflow.

    python -m bench.load [--clients 200] [--seconds 60]
"""

import argparse
import asyncio
import json
import random
import statistics
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench.stack import Stack, http_json, rss_kib, stack
from cromwes import runtime

HELLO = (Path(__file__).resolve().parents[1] / "examples" / "hello-world.wdl").read_bytes()
ACTIONS = (("submit", 10), ("status", 40), ("list", 20), ("run_log", 20), ("cancel", 10))
SUBMIT_TIMEOUT = 2.0
SLOW_SUBMITS = {"route": "submit", "kind": "latency", "seconds": 3.0, "rate": 0.2}
"""A fifth of Cromwell's submits answer after 3 s: past the clients' 2 s timeout."""


@dataclass
class Tally:
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    keys: dict[str, str | None] = field(default_factory=dict)
    """Idempotency-Key -> the run id a submit got (None when no attempt succeeded)."""
    runs: list[str] = field(default_factory=list)
    retries: int = 0


def form(key_seed: int) -> aiohttp.FormData:
    data = aiohttp.FormData()
    data.add_field("workflow_url", "hello-world.wdl")
    data.add_field("workflow_type", "WDL")
    data.add_field("workflow_type_version", "1.0")
    data.add_field("workflow_params", json.dumps({"hello_world.name": f"load-{key_seed}"}))
    data.add_field("workflow_attachment", HELLO, filename="hello-world.wdl")
    return data


def record(tally: Tally, action: str, status: int, started: float) -> None:
    tally.latencies[action].append((time.monotonic() - started) * 1000)
    tally.statuses[(action, status)] += 1


async def request(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    data: aiohttp.FormData | None = None,
    headers: dict[str, str] | None = None,
    client_timeout: aiohttp.ClientTimeout | None = None,
) -> tuple[int, bytes]:
    """(status, body); status 0 when the client timed out or lost the connection."""
    try:
        async with session.request(
            method, url, data=data, headers=headers, timeout=client_timeout
        ) as response:
            return response.status, await response.read()
    except (TimeoutError, aiohttp.ClientError):
        return 0, b""


async def client(session: aiohttp.ClientSession, wes: str, until: float, tally: Tally) -> None:
    names = [name for name, _ in ACTIONS]
    weights = [weight for _, weight in ACTIONS]
    while time.monotonic() < until:
        action = random.choices(names, weights)[0]
        if action == "submit" or not tally.runs:
            await submit(session, wes, tally)
            continue
        run_id = random.choice(tally.runs)
        method, path = {
            "status": ("GET", f"/runs/{run_id}/status"),
            "list": ("GET", "/runs?page_size=10"),
            "run_log": ("GET", f"/runs/{run_id}"),
            "cancel": ("POST", f"/runs/{run_id}/cancel"),
        }[action]
        started = time.monotonic()
        status, _ = await request(session, method, wes + path)
        record(tally, action, status, started)


async def submit(session: aiohttp.ClientSession, wes: str, tally: Tally) -> None:
    key = str(uuid.uuid4())
    tally.keys[key] = None
    for attempt in range(2):
        started = time.monotonic()
        status, body = await request(
            session,
            "POST",
            f"{wes}/runs",
            data=form(hash(key) % 1000),
            headers={"Idempotency-Key": key},
            client_timeout=aiohttp.ClientTimeout(total=SUBMIT_TIMEOUT),
        )
        record(tally, "submit", status, started)
        if status == 0:
            tally.retries += attempt == 0
            continue
        if status == 200:
            run_id = json.loads(body)["run_id"]
            tally.keys[key] = run_id
            tally.runs.append(run_id)
        return


def workflows_by_key(bench: Stack) -> dict[str, list[str]]:
    query = "includeSubworkflows=false&additionalQueryResultFields=labels"
    answer = http_json("GET", f"{bench.emulator_url}/api/workflows/v1/query?{query}")
    by_key: dict[str, list[str]] = defaultdict(list)
    for row in answer["results"]:
        key = (row.get("labels") or {}).get("wes-idempotency-key")
        if key:
            by_key[key].append(row["id"])
    return by_key


def percentile(values: list[float], share: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100)[share - 1]


async def drive(bench: Stack, clients: int, seconds: float) -> Tally:
    tally = Tally()
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        until = time.monotonic() + seconds
        await asyncio.gather(*(client(session, bench.wes, until, tally) for _ in range(clients)))
    return tally


def report(tally: Tally, bench: Stack, rss_start: float, seconds: float) -> None:
    rss_end = rss_kib(bench.gateway_pid) / 1024
    total = sum(tally.statuses.values())
    print(f"\n{total:,} requests in {seconds:.0f} s ({total / seconds:,.0f}/s), "
          f"{tally.retries} submits retried after a client timeout\n")  # fmt: skip
    print("| action | requests | statuses | p50 ms | p90 ms | p99 ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    for action, _ in ACTIONS:
        statuses = {s: n for (a, s), n in sorted(tally.statuses.items()) if a == action}
        lat = tally.latencies[action]
        shown = ", ".join(f"{s or 'timeout'}: {n}" for s, n in statuses.items())
        print(f"| {action} | {sum(statuses.values())} | {shown} | {percentile(lat, 50):.1f} | "
              f"{percentile(lat, 90):.1f} | {percentile(lat, 99):.1f} |")  # fmt: skip
    server_errors = sum(n for (_, s), n in tally.statuses.items() if s >= 500)
    by_key = workflows_by_key(bench)
    duplicated = [k for k, ids in by_key.items() if len(ids) > 1]
    answered = [k for k, run in tally.keys.items() if run is not None]
    lost = [k for k in answered if len(by_key.get(k, [])) != 1]
    print(
        f"\nlogical submissions: {len(tally.keys)}; answered 200: {len(answered)}; "
        f"Cromwell workflows: {sum(len(v) for v in by_key.values())}; keys with more than one "
        f"workflow: {len(duplicated)}; answered keys without exactly one: {len(lost)}"
    )
    status_500 = sum(n for (_, status), n in tally.statuses.items() if status == 500)
    print(f"responses with status 500: {status_500}; all 5xx: {server_errors}")
    print(f"gateway RSS: {rss_start:.0f} MB at start, {rss_end:.0f} MB at end")


def main() -> None:
    cli = argparse.ArgumentParser(prog="python -m bench.load")
    cli.add_argument("--clients", type=int, default=200)
    cli.add_argument("--seconds", type=float, default=60)
    args = cli.parse_args()
    # As `make dev`: real WDL, and Cromwell's moment of not knowing a fresh run.
    with stack(mode="execute", emulator_args=["--post-submit-404", "1"]) as bench:
        http_json("PUT", f"{bench.admin_url}/_emulator/faults", {"rules": [SLOW_SUBMITS]})
        rss_start = rss_kib(bench.gateway_pid) / 1024
        tally = runtime.run(drive(bench, args.clients, args.seconds))
        http_json("DELETE", f"{bench.admin_url}/_emulator/faults")
        report(tally, bench, rss_start, args.seconds)


if __name__ == "__main__":
    main()
