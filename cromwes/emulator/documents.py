"""Metadata documents for any workflow record, whatever produced its calls.

An executed workflow's calls are read from its miniwdl run directory (in a worker thread), once
per request, sub-workflows included; a synthetic or controlled workflow's calls are generated
from its shape, once per request, and the files they name are written from those same elements
when first named. Finished synthetic workflows never change, so their serialized bodies are
kept in a small LRU: a 50,000-shard document is built once and then served from memory (Cromwell
users cache terminal metadata for the same reason, cromwell-api.md §2.6.3).
"""

import asyncio
import json
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

from cromwes.emulator.calls import CallElement, SubworkflowAttempt, subworkflow_id
from cromwes.emulator.keyfilter import KeyFilter, filter_document
from cromwes.emulator.metadata import ServerIdentity, workflow_document
from cromwes.emulator.records import WorkflowRecord
from cromwes.emulator.rundir import WorkflowRun, read_run
from cromwes.emulator.store import WorkflowStore
from cromwes.emulator.synthetic import (
    elements_for,
    log_files,
    outputs_files,
    shared_log_files,
    write_log_files,
)
from cromwes.emulator.timestamps import now_ms

CacheKey = tuple[str, bool, tuple[str, ...], tuple[str, ...]]


class MadeUpElements:
    """The call elements of a made-up workflow and of its sub-workflows at one moment, each
    generated once: one request writes the files they name and shows them from the same
    elements."""

    def __init__(self, root: WorkflowRecord, now: int) -> None:
        self._root = root
        self._shared = root.kind == "synthetic"
        self._now = now
        self._made: dict[str, list[CallElement]] = {}

    def of(self, record: WorkflowRecord) -> list[CallElement]:
        elements = self._made.get(record.id)
        if elements is None:
            elements = self._made[record.id] = elements_for(
                record,
                shared_logs=self._shared,
                calls_status=_calls_status(record),
                now=self._now,
                root=self._root,
            )
        return elements

    def write_files(self, records: Sequence[WorkflowRecord]) -> None:
        """Create the files these records name (stdout/stderr, outputs); blocking."""
        for record in records:
            # A synthetic call's shards share one set of files: no need for its elements.
            files = shared_log_files(record) if self._shared else log_files(self.of(record))
            write_log_files({**files, **outputs_files(record)})


class Documents:
    """Builds (and for finished synthetic workflows caches) metadata documents."""

    def __init__(self, store: WorkflowStore, engine: ServerIdentity, cache_entries: int) -> None:
        self._store = store
        self._engine = engine
        self._cache: OrderedDict[CacheKey, bytes] = OrderedDict()
        self._cache_entries = cache_entries
        self._logs_written: set[tuple[str, str]] = set()

    def root_of(self, record: WorkflowRecord) -> WorkflowRecord:
        return self._store.get(record.root_id) or record if record.root_id else record

    def is_generated(self, record: WorkflowRecord) -> bool:
        """Calls made up from a shape (synthetic or controlled) rather than read from a run."""
        root = self.root_of(record)
        return root.kind == "synthetic" or root.controlled

    async def elements(self, record: WorkflowRecord) -> list[CallElement]:
        if self.is_generated(record):
            return await self._generated_elements(record)
        run = await self.read_run(record)
        return list(run.elements) if run is not None else []

    async def read_run(self, record: WorkflowRecord) -> WorkflowRun | None:
        """The run directory of an executed (sub-)workflow, read in a worker thread."""
        root = self.root_of(record)
        if record.workflow_root is None or record.shape is None or root.workflow_root is None:
            return None
        root_id, root_dir = root.id, root.workflow_root
        return await asyncio.to_thread(
            read_run,
            record.workflow_root,
            record.shape,
            root_dir,
            lambda relative: subworkflow_id(root_id, relative),
        )

    async def metadata_body(
        self, record: WorkflowRecord, *, expand: bool, keys: KeyFilter
    ) -> bytes:
        key: CacheKey = (record.id, expand, keys.include, keys.exclude)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        cacheable = self.is_generated(record) and self._settled(record)
        if self.is_generated(record):
            document = await self._generated_document(record, expand=expand, keys=keys)
            body = await asyncio.to_thread(_encode, document)
        else:
            run = await self.read_run(record)
            document = await self._executed_document(record, run, expand=expand)
            body = await asyncio.to_thread(_encode, filter_document(document, keys))
        if cacheable and self._root_kind(record) == "synthetic":
            self._cache[key] = body
            while len(self._cache) > self._cache_entries:
                self._cache.popitem(last=False)
        return body

    def forget(self, workflow_id: str) -> None:
        """Drop cached bodies of a workflow that changed (labels are part of the document)."""
        for key in [k for k in self._cache if k[0] == workflow_id]:
            del self._cache[key]

    async def _executed_document(
        self, record: WorkflowRecord, run: WorkflowRun | None, *, expand: bool
    ) -> dict[str, Any]:
        """The document of an executed (sub-)workflow from its run directory read once: the
        read holds every sub-workflow's run too, so expanding them reads nothing again."""
        elements = list(run.elements) if run is not None else []
        expanded: dict[str, dict[str, Any]] | None = None
        if expand:
            expanded = {}
            runs = {c.workflow_id: c.run for c in run.children} if run is not None else {}
            for element in elements:
                if isinstance(element, SubworkflowAttempt):
                    child = self._store.get(element.workflow_id)
                    if child is not None:
                        child_run = runs.get(element.workflow_id) or await self.read_run(child)
                        expanded[element.workflow_id] = await self._executed_document(
                            child, child_run, expand=True
                        )
        return self._workflow_document(record, elements, expanded)

    async def _generated_document(
        self, record: WorkflowRecord, *, expand: bool, keys: KeyFilter
    ) -> dict[str, Any]:
        made_up = MadeUpElements(self.root_of(record), now_ms())
        unwritten = self._unwritten(record)

        def build(current: WorkflowRecord) -> dict[str, Any]:
            elements = made_up.of(current)
            expanded = None
            if expand and keys.keeps("subWorkflowId"):
                expanded = {
                    e.workflow_id: build(child)
                    for e in elements
                    if isinstance(e, SubworkflowAttempt)
                    and (child := self._store.get(e.workflow_id)) is not None
                }
            return self._workflow_document(current, elements, expanded)

        def write_and_build() -> dict[str, Any]:
            made_up.write_files(unwritten)
            return build(record)

        document = await asyncio.to_thread(write_and_build)
        self._logs_written.update((r.id, r.status) for r in unwritten)
        return filter_document(document, keys)

    async def _generated_elements(self, record: WorkflowRecord) -> list[CallElement]:
        made_up = MadeUpElements(self.root_of(record), now_ms())
        unwritten = self._unwritten(record)

        def write_and_make() -> list[CallElement]:
            made_up.write_files(unwritten)
            return made_up.of(record)

        elements = await asyncio.to_thread(write_and_make)
        self._logs_written.update((r.id, r.status) for r in unwritten)
        return elements

    def _unwritten(self, record: WorkflowRecord) -> list[WorkflowRecord]:
        """`record` and its sub-workflows whose files are not written yet for their status: a
        made-up workflow's files (stdout/stderr, outputs) exist on disk like real ones, written
        when first named."""
        pending = [record]
        found: list[WorkflowRecord] = []
        while pending:
            current = pending.pop()
            if (current.id, current.status) not in self._logs_written and current.start is not None:
                found.append(current)
            pending += self._store.children(current.id)
        return found

    def _workflow_document(
        self,
        record: WorkflowRecord,
        elements: Sequence[CallElement],
        expanded: Mapping[str, dict[str, Any]] | None,
    ) -> dict[str, Any]:
        return workflow_document(
            record,
            elements,
            self._engine,
            expanded=expanded,
            workflow_root=self._document_root(record),
        )

    def _document_root(self, record: WorkflowRecord) -> str | None:
        """The `workflowRoot` a document shows: a ScatterAt pseudo sub-workflow shows the one of
        the workflow it sits in (metadata-nested-scatter-scatterat-v59.json)."""
        current: WorkflowRecord | None = record
        while current is not None and current.shape is not None and current.shape.pseudo:
            current = self._store.get(current.parent_id or "")
        return (current or record).workflow_root

    def _root_kind(self, record: WorkflowRecord) -> str:
        return self.root_of(record).kind

    def _settled(self, record: WorkflowRecord) -> bool:
        return record.is_terminal and all(c.is_terminal for c in self._store.children(record.id))


def _calls_status(record: WorkflowRecord) -> str:
    return str(record.control.get("calls_status") or "Running")


def _encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()
