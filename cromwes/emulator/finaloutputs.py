"""Cromwell's `final_workflow_outputs_dir` and `use_relative_output_paths` workflow options: once a
workflow succeeded, its File outputs are copied out of the run (Cromwell's
`CopyWorkflowOutputsActor`, during finalization; docs/wf_options/Overview.md "Output Copying").

* By default a file keeps its path below the executions root (`PathCopier`):
  `<dir>/<workflow name>/<workflow id>/call-<name>/.../<file>`.
* With `use_relative_output_paths`, everything up to the call's execution folder is dropped:
  `<dir>/<path of the file inside that folder>`. Cromwell strips `.*/call-.*/execution/`; in the
  emulator's miniwdl layout the execution folder is `call-<name>[-<shard>]/work/`.
* Two files bound for one path fail the workflow before anything is copied, with Cromwell's
  message; an existing file is replaced (Cromwell copies with overwrite).

The run's outputs keep naming the files of the run, not the copies, as Cromwell's do
(broadinstitute/cromwell#6222). Runs in the runner child: blocking I/O.
"""

import itertools
import os
import re
import shutil
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import WDL

RELATIVE_TO_CALL = re.compile(r".*/call-.*/work/")
COLLISION = (
    "Cannot copy output files to given final_workflow_outputs_dir as multiple files will be "
    "copied to the same path: \n"
)
MAX_LINKS = 8


class CopyFailed(Exception):
    """The outputs could not be copied: the workflow fails in finalization."""


@dataclass(frozen=True, slots=True)
class OutputCopying:
    """Where a workflow's outputs go, from its options."""

    directory: str
    relative: bool

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> "OutputCopying | None":
        target = options.get("final_workflow_outputs_dir")
        if target is None:
            return None
        # Cromwell reads the option as text: `true` and "true" both turn it on.
        relative = str(options.get("use_relative_output_paths")).lower() == "true"
        return cls(_local_directory(str(target)), relative)


def copy_outputs(
    outputs: WDL.Env.Bindings[WDL.Value.Base], copying: OutputCopying, run_dir: str
) -> None:
    """Copy every File in `outputs` as Cromwell would; raise `CopyFailed` with its message."""
    # The run directory is <executions root>/<workflow name>/<workflow id>.
    executions_root = os.path.dirname(os.path.dirname(os.path.abspath(run_dir)))
    plan = sorted(
        {
            (source, destination)
            for source in _files(binding.value for binding in outputs)
            if (destination := _destination(source, copying, run_dir, executions_root))
        }
    )
    sources_by_destination: dict[str, list[str]] = {}
    for source, destination in plan:
        sources_by_destination.setdefault(destination, []).append(source)
    collisions = [
        f"{source} -> {destination}"
        for destination, sources in sorted(sources_by_destination.items())
        if len(sources) > 1
        for source in sorted(sources)
    ]
    if collisions:
        raise CopyFailed(COLLISION + "\n".join(collisions))
    try:
        for source, destination in plan:
            os.makedirs(os.path.dirname(destination), exist_ok=True)
            shutil.copyfile(source, destination)
    except OSError as exn:
        raise CopyFailed(f"Cannot copy output files to {copying.directory}: {exn}") from exn


def _destination(
    source: str, copying: OutputCopying, run_dir: str, executions_root: str
) -> str | None:
    located = _execution_path(source, run_dir)
    if copying.relative:
        inside_call = RELATIVE_TO_CALL.sub("", located, count=1)
        # Outside any call folder Cromwell's destination is the file itself: nothing to copy.
        return None if inside_call == located else os.path.join(copying.directory, inside_call)
    return os.path.join(copying.directory, _below_common_root(executions_root, located))


def _execution_path(path: str, run_dir: str) -> str:
    """Where a file an output names lives: miniwdl shows a workflow's outputs through links in
    its `out/` folders, which lead to the call's `work/` folder."""
    current = os.path.abspath(path)
    for _ in range(MAX_LINKS):
        if not os.path.islink(current) or _in_call_work(current, run_dir) is not False:
            break
        current = os.path.normpath(os.path.join(os.path.dirname(current), os.readlink(current)))
    return current


def _in_call_work(path: str, run_dir: str) -> bool | None:
    """Whether a path of the run lies in a call's `work/` folder; None outside the run."""
    relative = os.path.relpath(path, run_dir)
    if relative == ".." or relative.startswith("../"):
        return None
    names = relative.split("/")
    return any(n == "work" and p.startswith("call-") for p, n in itertools.pairwise(names))


def _below_common_root(root: str, path: str) -> str:
    """`PathCopier.truncateCommonRoot`: `path` without the leading folders it shares with root."""
    root_names, names = root.strip("/").split("/"), path.strip("/").split("/")
    common = 0
    while common < min(len(root_names), len(names)) and root_names[common] == names[common]:
        common += 1
    return "/".join(names[common:])


def _files(values: Iterable[WDL.Value.Base]) -> Iterable[str]:
    for value in values:
        if isinstance(value, WDL.Value.File):
            yield os.path.abspath(value.value)
        yield from _files(value.children)


def _local_directory(target: str) -> str:
    parts = urllib.parse.urlsplit(target)
    if parts.scheme == "file" and parts.netloc in ("", "localhost"):
        return os.path.abspath(urllib.request.url2pathname(parts.path))
    if parts.scheme:
        raise CopyFailed(
            f'Could not build the path "{target}": the emulator copies outputs to local paths only'
        )
    return os.path.abspath(target)
