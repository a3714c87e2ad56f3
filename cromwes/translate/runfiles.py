"""Which files belong to a run, and how they are classified: FINAL, INPUT, LOG, SECONDARY.

As the reference service does (reference-service.md §1.9): candidate strings are found at any
depth of the JSON values and kept if they are the run's own files; FINAL are the workflow's
outputs, INPUT its inputs, LOG every call's stdout/stderr/backendLogs, SECONDARY every other call
output. Listed in that order. Paths are shown as clients see them (after output path
translation), so a path taken from a RunLog can be looked up here — the reference mixed the two.

A string in the metadata is only a *candidate*: inputs are whatever the client wrote, and a task's
`String` output is whatever it printed. The reference served any such string its storage could
read, so one user's run could name another's files. A run's own files are those below its
`run_roots` (and its staging folder, which storage knows): the only places Cromwell or the gateway
write for that run alone.
"""

import json
import posixpath
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cromwes.cromwell.types import Metadata

FILE_KEYS = (
    "id",
    "status",
    "workflowName",
    "workflowRoot",
    "submittedFiles",
    "inputs",
    "outputs",
    "stdout",
    "stderr",
    "backendLogs",
    "subWorkflowId",
    "subWorkflowMetadata",
    "labels",
)
"""The metadata keys (prefixes) the classification and the run's roots read (labels: a run of a
batch reads its batch's staging folder, `cromwes.service.run_storage`)."""
OUTPUTS_DIR_OPTION = "final_workflow_outputs_dir"
RELATIVE_OUTPUTS_OPTION = "use_relative_output_paths"


class FileType(StrEnum):
    FINAL = "FINAL"
    INPUT = "INPUT"
    LOG = "LOG"
    SECONDARY = "SECONDARY"


@dataclass(frozen=True, slots=True)
class RunFile:
    file_type: FileType
    path: str


def run_files(
    metadata: Metadata, *, readable: Callable[[str], bool], translate: Callable[[str], str]
) -> list[RunFile]:
    """The run's files, FINAL first; `translate` gives the path clients see for Cromwell's."""

    def paths(value: Any) -> set[str]:
        return {path for text in _strings(value) if readable(path := translate(text))}

    final = paths(metadata.get("outputs"))
    inputs = paths(metadata.get("inputs")) - final
    logs = set().union(*(paths(_call_logs(call)) for call in _calls(metadata))) - final
    produced = set().union(*(paths(call.get("outputs")) for call in _calls(metadata)))
    secondary = produced - logs - inputs - final
    groups = ((FileType.FINAL, final), (FileType.INPUT, inputs), (FileType.LOG, logs),
              (FileType.SECONDARY, secondary))  # fmt: skip
    return [RunFile(kind, path) for kind, group in groups for path in sorted(group)]


def run_roots(metadata: Metadata, run_id: str) -> tuple[str, ...]:
    """The directories Cromwell writes for this run alone, as Cromwell spells them.

    * Its workflow root, `<execution root>/<workflow name>/<run id>`: every call root and every
      sub-workflow root is below it (recorded metadata: `callRoot`, sub-workflow `workflowRoot`).
      A root that does not end in the run's id is not trusted: it is not Cromwell's layout, and
      workflow options such as `jes_gcs_root` are the submitter's to choose.
    * Where Cromwell copied the final outputs (`final_workflow_outputs_dir`):
      `<dir>/<workflow name>/<run id>/...`. The directory is the submitter's choice, so only the
      run's own sub-folder counts; with `use_relative_output_paths` the copies land directly in
      `<dir>`, where any run may write, so none of them is the run's alone and none is served.
    """
    roots = []
    workflow_root = str(metadata.get("workflowRoot") or "")
    if _last_segment(workflow_root) == run_id:
        roots.append(workflow_root)
    options = _options(metadata)
    outputs_dir = options.get(OUTPUTS_DIR_OPTION)
    name = metadata.get("workflowName")
    if (
        isinstance(outputs_dir, str)
        and outputs_dir
        and isinstance(name, str)
        and _is_segment(name)
        and not _true(options.get(RELATIVE_OUTPUTS_OPTION))
    ):
        roots.append(posixpath.join(outputs_dir, name, run_id))
    return tuple(roots)


def _options(metadata: Metadata) -> dict[str, Any]:
    text = (metadata.get("submittedFiles") or {}).get("options")
    try:
        options = json.loads(text) if isinstance(text, str) else {}
    except ValueError:
        return {}
    return options if isinstance(options, dict) else {}


def _true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _last_segment(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def _is_segment(name: str) -> bool:
    return name not in ("", ".", "..") and "/" not in name


def _calls(metadata: Metadata) -> Iterator[Any]:
    for elements in (metadata.get("calls") or {}).values():
        for call in elements:
            sub = call.get("subWorkflowMetadata")
            if sub is not None:
                yield from _calls(sub)
            else:
                yield call


def _call_logs(call: Any) -> list[Any]:
    return [call.get("stdout"), call.get("stderr"), call.get("backendLogs")]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
