"""A finished run's Workflow Run RO-Crate, as a zip streamed from storage with flat memory.

Only the crate's metadata is built in memory (its size follows the run's metadata, not its
files); the files are read from storage in chunks while the zip is written, through the run's
own storage view, the one its file endpoints use (`cromwes.service.run_storage`).
"""

import asyncio
import zlib
from collections.abc import AsyncIterable, AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from stream_zip import ZIP_AUTO, AsyncMemberFile, async_stream_zip

from cromwes.cromwell.client import CromwellClient
from cromwes.errors import Conflict, WesError
from cromwes.policy.paths import PathRule, translate_path
from cromwes.service.run_storage import own_files
from cromwes.storage.base import Storage
from cromwes.translate.crate_metadata import RunRecord, crate_metadata
from cromwes.translate.rocrate import (
    METADATA_FILE,
    CrateFile,
    WorkflowFile,
    crate_files,
    workflow_files,
)
from cromwes.translate.runfiles import FILE_KEYS
from cromwes.translate.states import wes_state
from cromwes.translate.tasklogs import flat_tasks
from cromwes.translate.times import instant

CRATE_KEYS = tuple(
    dict.fromkeys(
        (
            *FILE_KEYS,
            "submission",
            "start",
            "end",
            "failures",
            "actualWorkflowLanguage",
            "executionStatus",
            "backendStatus",
            "commandLine",
            "returnCode",
            "retryableFailure",
        )
    )
)
"""Metadata keys (prefixes, as Cromwell matches them) the crate describes."""
STAT_CONCURRENCY = 8
ZIP_LEVEL = 1
"""Outputs are often compressed already; the fastest deflate keeps the CPU for other requests."""
FILE_MODE = 0o100644


@dataclass(frozen=True, slots=True, kw_only=True)
class CrateRules:
    """What shapes a crate (a slice of the settings)."""

    path_rules: Sequence[PathRule]
    batch_label: str
    user_label: str
    workflow_url_label: str
    max_file_size: int
    license: str | None


@dataclass(frozen=True, slots=True)
class RunCrate:
    """A crate ready to stream: its metadata document, workflow files and data files."""

    metadata: bytes
    workflow: Sequence[WorkflowFile]
    files: Sequence[CrateFile]
    storage: Storage
    modified: datetime


async def run_crate(
    client: CromwellClient,
    storage: Storage,
    run_id: str,
    *,
    rules: CrateRules,
    engine_version: str | None,
    file_url: Callable[[str], str],
) -> RunCrate:
    """The crate of a finished run; Conflict (409) while it has not finished."""
    metadata, _ = await client.metadata(run_id, include_keys=CRATE_KEYS)
    state = wes_state(metadata.get("status"))
    if not state.is_terminal:
        raise Conflict(
            f"Run {run_id} is {state.value}; its RO-Crate can be made once it has finished."
        )
    scoped, files = own_files(
        storage, metadata, run_id, rules.path_rules, batch_label=rules.batch_label
    )
    sizes = await _sizes(scoped, [file.path for file in files])
    labels = metadata.get("labels") or {}
    workflow_url = labels.get(rules.workflow_url_label) or (
        (metadata.get("submittedFiles") or {}).get("workflowUrl") or ""
    )
    workflow = workflow_files(metadata, workflow_url)
    chosen = crate_files(files, sizes, max_size=rules.max_file_size, file_url=file_url)
    record = RunRecord(
        run_id=run_id,
        state=state,
        metadata=metadata,
        workflow=workflow,
        workflow_url=workflow_url,
        files=chosen,
        tasks=flat_tasks(metadata),
        engine_version=engine_version,
        user=labels.get(rules.user_label) or None,
        license=rules.license,
        translate=lambda path: translate_path(path, rules.path_rules),
    )
    document = await asyncio.to_thread(crate_metadata, record)
    modified = instant(metadata.get("end")) or datetime.now(UTC)
    return RunCrate(orjson.dumps(document), workflow, chosen, scoped, modified)


async def _sizes(storage: Storage, paths: Sequence[str]) -> dict[str, int | None]:
    slots = asyncio.Semaphore(STAT_CONCURRENCY)

    async def size(path: str) -> int | None:
        async with slots:
            try:
                return (await storage.stat(path)).size
            except WesError:
                return None  # deleted or unreadable: referenced by URL, not included

    found = await asyncio.gather(*(size(path) for path in paths))
    return dict(zip(paths, found, strict=True))


def crate_zip(crate: RunCrate) -> AsyncIterable[bytes]:
    """The zip's bytes: the metadata, the workflow files, then each included file, streamed."""
    return async_stream_zip(
        _members(crate),
        get_compressobj=lambda: zlib.compressobj(ZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS),
    )


async def _members(crate: RunCrate) -> AsyncIterator[AsyncMemberFile]:
    when = crate.modified
    yield _member(METADATA_FILE, when, crate.metadata)
    for workflow_file in crate.workflow:
        yield _member(workflow_file.member, when, workflow_file.content)
    for file in crate.files:
        if file.member is not None and file.size is not None:
            method = ZIP_AUTO(file.size, level=ZIP_LEVEL)
            yield file.member, when, FILE_MODE, method, _read(crate.storage, file)


def _member(name: str, when: datetime, content: bytes) -> AsyncMemberFile:
    return name, when, FILE_MODE, ZIP_AUTO(len(content), level=ZIP_LEVEL), _once(content)


async def _once(content: bytes) -> AsyncIterator[bytes]:
    yield content


async def _read(storage: Storage, file: CrateFile) -> AsyncIterator[bytes]:
    """The file's bytes up to the size the crate's metadata states, whatever it grew to."""
    if file.size:
        async for chunk in storage.read(file.path, 0, file.size - 1):
            yield chunk
