"""Classify the files of a run: FINAL outputs, INPUTs, LOGs and SECONDARY (intermediate) files.

As the reference service does (reference-service.md §1.9): candidate strings are found at any
depth of the JSON values and kept if storage can read them; FINAL are the workflow's outputs,
INPUT its inputs, LOG every call's stdout/stderr/backendLogs, SECONDARY every other call output.
Listed in that order. Paths are shown as clients see them (after output path translation), so a
path taken from a RunLog can be looked up here — the reference mixed the two.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cromwes.cromwell.types import Metadata

FILE_KEYS = (
    "id",
    "status",
    "inputs",
    "outputs",
    "stdout",
    "stderr",
    "backendLogs",
    "subWorkflowId",
    "subWorkflowMetadata",
)
"""The metadata keys (prefixes) the classification reads."""


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
