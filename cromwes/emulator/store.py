"""Workflow records: persisted in SQLite, served from an in-memory index.

The index answers the gateway's hot queries without touching the database: a page of the newest
root workflows costs O(page) and a per-status count O(1), whether there are 100 or 100,000
workflows (cromwell-api.md §2.5: the gateway counts with `?status=X&pageSize=1`). Records are kept
in `seq` order, the counterpart of Cromwell's summary-table row id, which is what Cromwell sorts
query results by; new rows always get a higher `seq`.

SQLite is written through one worker thread (the connection never leaves it), so the event loop
never blocks on the database. On start every row is loaded back (about a second for 100,000).
"""

import asyncio
import sqlite3
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from cromwes.emulator.records import (
    STATUSES,
    ShapeCodec,
    WorkflowRecord,
    record_from_row,
    record_row,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS workflows (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    submission INTEGER NOT NULL,
    start INTEGER,
    end INTEGER,
    name TEXT,
    parent_id TEXT,
    root_id TEXT,
    labels TEXT NOT NULL,
    doc TEXT NOT NULL
)
"""
COLUMNS = "seq, id, status, submission, start, end, name, parent_id, root_id, labels, doc"
UPSERT = f"INSERT OR REPLACE INTO workflows ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)"


class DuplicateWorkflowId(Exception):
    """A record with this id exists already."""


class WorkflowStore:
    """Every workflow record, indexed by id, by `seq` and by (root?, status)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._executor: ThreadPoolExecutor | None = None
        self._connection: sqlite3.Connection | None = None
        self._by_id: dict[str, WorkflowRecord] = {}
        self._all: list[WorkflowRecord] = []
        self._roots: list[WorkflowRecord] = []
        self._by_status: dict[tuple[bool, str], dict[int, WorkflowRecord]] = {
            (roots_only, status): {} for roots_only in (False, True) for status in STATUSES
        }
        self._children: dict[str, list[WorkflowRecord]] = {}
        self._next_seq = 1
        self._recent: dict[str, WorkflowRecord] = {}

    # lifecycle

    async def open(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="emulator-sqlite")
        records = await self._in_db_thread(self._open_and_load)
        for record in records:
            self._index(record)

    async def close(self) -> None:
        if self._executor is None:
            return
        await self._in_db_thread(self._close_connection)
        self._executor.shutdown(wait=True)
        self._executor = None

    # reads (in memory)

    def get(self, workflow_id: str) -> WorkflowRecord | None:
        return self._by_id.get(workflow_id)

    def __len__(self) -> int:
        return len(self._all)

    def in_seq_order(self, roots_only: bool) -> Sequence[WorkflowRecord]:
        """Records oldest first; callers read it backwards for newest-first pages."""
        return self._roots if roots_only else self._all

    def with_status(self, status: str, roots_only: bool) -> dict[int, WorkflowRecord]:
        """The records now in `status`, keyed by `seq` (read-only view)."""
        return self._by_status[(roots_only, status)]

    def count(self, status: str, roots_only: bool) -> int:
        return len(self._by_status[(roots_only, status)])

    def children(self, parent_id: str) -> list[WorkflowRecord]:
        return list(self._children.get(parent_id, ()))

    def hidden(self, now: float) -> list[WorkflowRecord]:
        """Records still inside their post-submit 404 window (Cromwell's summary lag)."""
        for workflow_id in [k for k, r in self._recent.items() if r.visible_at <= now]:
            del self._recent[workflow_id]
        return list(self._recent.values())

    def stats(self) -> dict[str, Any]:
        return {
            "workflows": len(self._all),
            "root_workflows": len(self._roots),
            "by_status": {s: self.count(s, roots_only=False) for s in STATUSES},
            "root_by_status": {s: self.count(s, roots_only=True) for s in STATUSES},
        }

    # writes

    def new_seq(self) -> int:
        seq = self._next_seq
        self._next_seq += 1
        return seq

    async def add(self, record: WorkflowRecord) -> None:
        await self.add_many([record])

    async def add_many(self, records: Sequence[WorkflowRecord]) -> None:
        """Index new records, in order, giving each the next `seq` (if it has none), then persist
        them. No await happens between numbering and indexing, so `seq` order is index order
        even with concurrent submissions."""
        for record in records:
            if record.id in self._by_id:
                raise DuplicateWorkflowId(record.id)
        for record in records:
            if record.seq == 0:
                record.seq = self.new_seq()
            self._index(record)
        if len(records) < 1000:
            await self._in_db_thread(self._write, [record_row(r) for r in records])
        else:
            # Encoding 100,000 fresh rows is CPU work: do it in the database thread, off the loop.
            await self._in_db_thread(self._encode_and_write, list(records))

    async def set_status(self, record: WorkflowRecord, status: str) -> None:
        """Move a record to another status, keeping the per-status index in step, and save it."""
        if status != record.status:
            self._unindex_status(record)
            record.status = status
            self._index_status(record)
        await self.save(record)

    async def save(self, record: WorkflowRecord) -> None:
        """Persist a record whose non-status fields the caller has changed."""
        await self._in_db_thread(self._write, [record_row(record)])

    def hide_until(self, record: WorkflowRecord, monotonic_deadline: float) -> None:
        record.visible_at = monotonic_deadline
        if monotonic_deadline > time.monotonic():
            self._recent[record.id] = record

    # internals

    def _index(self, record: WorkflowRecord) -> None:
        if self._all and record.seq <= self._all[-1].seq:
            raise ValueError(f"seq {record.seq} is not above the newest {self._all[-1].seq}")
        self._by_id[record.id] = record
        self._all.append(record)
        if record.is_root:
            self._roots.append(record)
        else:
            self._children.setdefault(str(record.parent_id), []).append(record)
        self._index_status(record)
        self._next_seq = max(self._next_seq, record.seq + 1)

    def _index_status(self, record: WorkflowRecord) -> None:
        self._by_status[(False, record.status)][record.seq] = record
        if record.is_root:
            self._by_status[(True, record.status)][record.seq] = record

    def _unindex_status(self, record: WorkflowRecord) -> None:
        self._by_status[(False, record.status)].pop(record.seq, None)
        self._by_status[(True, record.status)].pop(record.seq, None)

    async def _in_db_thread(self, function: Any, *args: Any) -> Any:
        if self._executor is None:
            raise RuntimeError("the workflow store is not open")
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    def _open_and_load(self) -> list[WorkflowRecord]:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self._path)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute(SCHEMA)
        connection.commit()
        self._connection = connection
        rows = connection.execute(f"SELECT {COLUMNS} FROM workflows ORDER BY seq").fetchall()
        codec = ShapeCodec()
        return [record_from_row(row, codec) for row in rows]

    def _write(self, rows: list[tuple[Any, ...]]) -> None:
        assert self._connection is not None
        with self._connection:
            self._connection.executemany(UPSERT, rows)

    def _encode_and_write(self, records: list[WorkflowRecord]) -> None:
        codec = ShapeCodec()
        self._write([record_row(r, codec) for r in records])

    def _close_connection(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
