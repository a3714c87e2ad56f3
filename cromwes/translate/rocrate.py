"""What goes into a finished run's Workflow Run RO-Crate, and under which names.

The crate is a zip: `ro-crate-metadata.json` (`cromwes.translate.crate_metadata`), the workflow's
files under `workflow/` (the main file and its imports, from Cromwell's `submittedFiles`), and
the run's own input and output files under `inputs/` and `outputs/` when they are at most
`ro_crate.max_file_size` bytes; larger ones, and those storage cannot read, are referenced by
their URL on this gateway (`/runs/{id}/file?path=...`) instead.

Names in the zip are made here and nowhere else, and never come from a client unchecked: a
workflow file keeps its relative path only if it passes the attachment-name rules (no `..`, no
absolute path, no control character), and a data file keeps only its base name reduced to
`[A-Za-z0-9._-]`, so nothing can be written outside the folder a consumer unzips into.
"""

import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from cromwes.cromwell.types import Metadata
from cromwes.errors import InvalidRequest
from cromwes.translate.attachment_names import attachment_name
from cromwes.translate.runfiles import FileType, RunFile

METADATA_FILE = "ro-crate-metadata.json"
WORKFLOW_DIR = "workflow"
FOLDERS = {FileType.FINAL: "outputs", FileType.INPUT: "inputs"}
"""The run's files a crate carries: its outputs and inputs (logs and intermediates are not)."""
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True, slots=True)
class WorkflowFile:
    """A workflow source in the crate: `workflow/<its relative path>`."""

    member: str
    content: bytes


@dataclass(frozen=True, slots=True)
class CrateFile:
    """One of the run's files: put in the crate as `member`, or referenced by `url`."""

    path: str
    """Where it is, as clients see it (after path translation)."""
    file_type: FileType
    size: int | None
    """None when storage could not tell (deleted, unreadable): then it is only referenced."""
    url: str
    member: str | None

    @property
    def entity_id(self) -> str:
        return self.member or self.url


def workflow_files(metadata: Metadata, workflow_url: str) -> list[WorkflowFile]:
    """The main workflow first, then its imports; files with unsafe names are left out."""
    submitted = metadata.get("submittedFiles") or {}
    source = submitted.get("workflow")
    if not source:
        return []
    main = _safe_name(_source_name(workflow_url, metadata)) or "workflow.wdl"
    files = [WorkflowFile(f"{WORKFLOW_DIR}/{main}", source.encode())]
    imports = submitted.get("imports")
    if isinstance(imports, Mapping):
        for name, content in sorted(imports.items()):
            safe = _safe_name(str(name))
            if safe and safe != main and isinstance(content, str):
                files.append(WorkflowFile(f"{WORKFLOW_DIR}/{safe}", content.encode()))
    return files


def _source_name(workflow_url: str, metadata: Metadata) -> str:
    parts = urlsplit(workflow_url)
    if parts.scheme in ("http", "https"):
        return posixpath.basename(parts.path) or f"{metadata.get('workflowName', 'workflow')}.wdl"
    return workflow_url


def _safe_name(name: str) -> str | None:
    try:
        return attachment_name(name)
    except InvalidRequest:
        return None


def crate_files(
    files: Sequence[RunFile],
    sizes: Mapping[str, int | None],
    *,
    max_size: int,
    file_url: Callable[[str], str],
) -> list[CrateFile]:
    """The run's inputs and outputs in the crate: included up to `max_size` bytes, else
    referenced. `files` come from `run_files` (sorted, so names are stable)."""
    taken: set[str] = set()
    result = []
    for file in files:
        folder = FOLDERS.get(file.file_type)
        if folder is None:
            continue
        size = sizes.get(file.path)
        member = None
        if size is not None and size <= max_size:
            member = _member(folder, file.path, taken)
        result.append(CrateFile(file.path, file.file_type, size, file_url(file.path), member))
    return result


def _member(folder: str, path: str, taken: set[str]) -> str:
    """`<folder>/<base name>`, or `<folder>/~<n>/<base name>` for the n-th file of that name
    (`~` is never in a base name here, so a folder never takes a file's name)."""
    base = _UNSAFE.sub("_", posixpath.basename(path.rstrip("/").split("?", 1)[0]))
    if base.strip(".") == "":
        base = "file"
    member, copy = f"{folder}/{base}", 1
    while member in taken:
        copy += 1
        member = f"{folder}/~{copy}/{base}"
    taken.add(member)
    return member
