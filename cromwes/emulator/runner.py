"""`python -m cromwes.emulator.runner`: run ONE workflow through miniwdl, on this process's main
thread, then exit 0 (succeeded), 1 (failed) or 2 (terminated).

miniwdl must run on a main thread (it installs signal handlers) and, with `fail_fast`, signals
its own process on failure (emulator-recipes.md §1), so each workflow gets a child process of its
own and the server stays out of harm's way. The child writes `--result`: `{"outputs": {...}}`
keyed `wf.output` as Cromwell does, or `{"error": <miniwdl error_json>, "causes": [...]}`; once
the workflow succeeded it copies the outputs as the options ask (`finaloutputs.py`), and a failed
copy adds `"finalization_failures": [...]` to the outputs.
"""

import argparse
import contextlib
import ctypes
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any

import WDL
import WDL.runtime
from WDL.runtime.error import RunFailed, Terminated, error_json
from WDL.runtime.workflow import run_local_workflow

from cromwes.emulator.downloads import DOWNLOADS_DIR
from cromwes.emulator.finaloutputs import CopyFailed, OutputCopying, copy_outputs
from cromwes.emulator.wdlsource import BundleSources, SourceBundle

EXIT_SUCCEEDED = 0
EXIT_FAILED = 1
EXIT_TERMINATED = 2
PR_SET_PDEATHSIG = 1
MAX_CAUSES = 8


def miniwdl_overrides(
    task_concurrency: int, task_timeout: float, kill_grace: float, run_dir: str
) -> dict[str, Any]:
    """The configuration of every run (emulator-recipes.md §1, step 8)."""
    return {
        "scheduler": {
            "container_backend": "cromwes_host",
            "task_concurrency": task_concurrency,
            # shard directories become call-x-0, call-x-1, ...: the index is Cromwell's shardIndex
            "scatter_tag_max": 0,
            # Cromwell's default failure mode is NoNewCalls: running jobs finish, none start.
            "fail_fast": False,
        },
        "call_cache": {"get": False, "put": False},
        # otherwise every task shows a made-up `docker: ubuntu:22.04`
        "task_runtime": {"defaults": {}},
        # Cromwell reads any path its backend reaches, not only the files given as inputs (a
        # sample sheet read with read_json names more); a task command could read them anyway.
        "file_io": {"delete_work": "false", "allow_any_input": "true"},
        "host_backend": {
            "timeout_s": task_timeout,
            "kill_grace_s": kill_grace,
            "download_dir": os.path.join(run_dir, DOWNLOADS_DIR),
        },
    }


def run(
    bundle: SourceBundle,
    inputs: dict[str, Any],
    run_dir: str,
    overrides: dict[str, Any],
    options: dict[str, Any] | None = None,
) -> tuple[int, dict[str, Any]]:
    logger = logging.getLogger("cromwes.emulator.runner")
    document = WDL.load(bundle.main, read_source=BundleSources(bundle))
    workflow = document.workflow
    if workflow is None:
        return EXIT_FAILED, {"error": {"error": "NoWorkflow", "message": "no workflow to run"}}
    cfg = WDL.runtime.config.Loader(logger, filenames=[], overrides=overrides)
    try:
        values = WDL.values_from_json(
            inputs, workflow.available_inputs, workflow.required_inputs, namespace=workflow.name
        )
        _, outputs = run_local_workflow(cfg, workflow, values, run_dir=os.path.join(run_dir, "."))
    except Exception as exn:
        code = EXIT_TERMINATED if _terminated(exn) else EXIT_FAILED
        return code, {"error": error_json(exn), "causes": _causes(exn)}
    result: dict[str, Any] = {"outputs": WDL.values_to_json(outputs, namespace=workflow.name)}
    try:
        copying = OutputCopying.from_options(options or {})
        if copying is not None:
            copy_outputs(outputs, copying, run_dir)
    except CopyFailed as exn:
        # Cromwell fails the workflow in finalization, its outputs recorded already.
        return EXIT_FAILED, {**result, "finalization_failures": [str(exn)]}
    return EXIT_SUCCEEDED, result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cromwes.emulator.runner")
    parser.add_argument("--bundle", required=True, help="sources.json written by the emulator")
    parser.add_argument("--inputs", required=True, help="the merged inputs JSON")
    parser.add_argument("--run-dir", required=True, help="the workflow root (miniwdl run dir)")
    parser.add_argument("--result", required=True, help="where to write outputs or the error")
    parser.add_argument("--options", help="the workflow options JSON (final outputs copying)")
    parser.add_argument("--task-concurrency", type=int, default=8)
    parser.add_argument("--task-timeout", type=float, default=0.0)
    parser.add_argument("--kill-grace", type=float, default=5.0)
    parser.add_argument("--parent-pid", type=int, default=0)
    args = parser.parse_args(argv)
    _die_with_parent(args.parent_pid)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s"
    )
    with open(args.bundle, encoding="utf-8") as bundle_file:
        bundle = SourceBundle.from_json(json.load(bundle_file))
    with open(args.inputs, encoding="utf-8") as inputs_file:
        inputs = json.load(inputs_file)
    options: dict[str, Any] = {}
    if args.options:
        with open(args.options, encoding="utf-8") as options_file:
            options = json.load(options_file)
    overrides = miniwdl_overrides(
        args.task_concurrency, args.task_timeout, args.kill_grace, args.run_dir
    )
    code, result = run(bundle, inputs, args.run_dir, overrides, options)
    tmp = args.result + ".tmp"
    with open(tmp, "w", encoding="utf-8") as out:
        json.dump(result, out)
    os.replace(tmp, args.result)
    return code


def _causes(exn: BaseException) -> list[str]:
    """The messages below miniwdl's wrappers, outermost first: "unable to download <URL>", then
    why (miniwdl's own `error_json` keeps only the first)."""
    messages: list[str] = []
    current: BaseException | None = exn
    while current is not None and len(messages) < MAX_CAUSES:
        if not isinstance(current, RunFailed):
            messages.append(str(current) or current.__class__.__name__)
        current = current.__cause__
    return messages


def _terminated(exn: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exn
    while current is not None and id(current) not in seen:
        if isinstance(current, Terminated):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _die_with_parent(parent_pid: int) -> None:
    """Ask Linux for SIGTERM when the emulator dies, so a killed server leaves no run behind
    (miniwdl then stops its tasks); a no-op elsewhere."""
    if not sys.platform.startswith("linux") or not parent_pid:
        return
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent_pid:
        os.kill(os.getpid(), signal.SIGTERM)


if __name__ == "__main__":
    sys.exit(main())
