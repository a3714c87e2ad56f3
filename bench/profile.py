"""`python -m bench.profile [PATH]`: where the gateway's time goes while it serves one URL.

Starts the bench stack (shipped defaults: access and audit lines on, to a file), loads
`/ga4gh/wes/v1/PATH` (default `service-info`; `--runs N` makes N synthetic runs first) as
`make bench` does, and samples the gateway
meanwhile with py-spy (PyPI, in the dev extras; it reads the process from outside, so the
gateway runs unchanged). Prints the request rate and the functions with the largest share of
the samples, inclusive (the function and what it calls) and by itself.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

from bench.driver import Load, measure
from bench.stack import stack

TOP = 30


def shares(raw: str) -> tuple[int, Counter[str], Counter[str]]:
    """(samples, inclusive counts, self counts) from py-spy's raw (collapsed) stacks."""
    total, inclusive, itself = 0, Counter[str](), Counter[str]()
    for line in raw.splitlines():
        stack_text, _, count_text = line.rpartition(" ")
        if not stack_text:
            continue
        count = int(count_text)
        frames = stack_text.split(";")
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        itself[frames[-1]] += count
    return total, inclusive, itself


def report(title: str, counts: Counter[str], total: int) -> None:
    print(f"\n{title}")
    for frame, count in counts.most_common(TOP):
        print(f"  {100 * count / total:5.1f}%  {frame}")


def main() -> None:
    cli = argparse.ArgumentParser(prog="python -m bench.profile")
    cli.add_argument("path", nargs="?", default="service-info")
    cli.add_argument("--seconds", type=int, default=15)
    cli.add_argument("--rate", type=int, default=200, help="samples per second")
    cli.add_argument("--env", action="append", default=[], help="NAME=VALUE for the gateway")
    cli.add_argument("--runs", type=int, default=0, help="synthetic runs to create first")
    args = cli.parse_args()
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    gateway_env = dict(item.split("=", 1) for item in args.env)
    with stack(gateway_env) as bench, tempfile.TemporaryDirectory() as tmp:
        if args.runs:
            bench.synthetic(count=args.runs, status="mixed")
        url = f"{bench.wes}/{args.path}"
        measure(url, seconds=2, warmup=0)
        out = Path(tmp, "profile.txt")
        sampler = subprocess.Popen(
            [py_spy, "record", "--pid", str(bench.gateway_pid), "--format", "raw",
             "--nolineno", "--gil", "--rate", str(args.rate),
             "--duration", str(args.seconds), "--output", str(out)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        loads: list[Load] = []
        loader = threading.Thread(
            target=lambda: loads.append(measure(url, seconds=args.seconds - 1, warmup=0))
        )
        loader.start()
        loader.join()
        sampler.wait()
        total, inclusive, itself = shares(out.read_text())
        log_lines = sum(1 for _ in bench.gateway_log.open("rb"))
    (load,) = loads
    print(f"GET {url}: {load.requests_per_second:,.0f} req/s, p99 {load.p99_ms:.2f} ms "
          f"({load.tool}); {total} samples; {log_lines} log lines written")  # fmt: skip
    report("inclusive (the function and what it calls):", inclusive, total)
    report("self (the function alone):", itself, total)


if __name__ == "__main__":
    main()
