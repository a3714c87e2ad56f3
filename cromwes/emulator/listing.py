"""Answer a validated query from the store's index (cromwell-api.md §2.5).

An unfiltered page costs O(page) and a status-only count O(1) (per-status counters), whatever
the number of workflows; any other filter scans the index once.
"""

import heapq
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from cromwes.emulator.query import WorkflowQuery
from cromwes.emulator.records import WorkflowRecord
from cromwes.emulator.store import WorkflowStore
from cromwes.emulator.timestamps import iso

DENSE_SCAN_SHARE = 0.05
"""Above this share of matching records a newest-first scan finds a page quickly; below it the
matching `seq`s are ranked directly (a rare status never costs a full scan)."""
Label = tuple[str, str]


def run_query(store: WorkflowStore, query: WorkflowQuery, now: float) -> dict[str, Any]:
    """The response body: `{"results": [...], "totalResultsCount": N}`.

    `now` is the monotonic clock, for the post-submit 404 window: a workflow Cromwell has not
    summarised yet is not listed either.
    """
    roots_only = not query.include_subworkflows
    candidates = store.in_seq_order(roots_only)
    hidden = [r for r in store.hidden(now) if r.is_root or not roots_only]
    offset, limit = _window(query)
    if query.filters_only_on_status and not query.statuses:
        hidden_seqs = {r.seq for r in hidden}
        total = len(candidates) - len(hidden_seqs)
        page = (
            _slice(candidates, offset, limit, query.newest_first)
            if not hidden_seqs
            else _take(
                (r for r in _ordered(candidates, query.newest_first) if r.seq not in hidden_seqs),
                offset,
                limit,
            )
        )
    elif query.filters_only_on_status:
        members = [store.with_status(s, roots_only) for s in query.statuses]
        hidden_seqs = {r.seq for r in hidden if r.status in query.statuses}
        total = sum(len(m) for m in members) - len(hidden_seqs)
        page = _status_page(candidates, members, hidden_seqs, query, offset, limit)
    else:
        hidden_seqs = {r.seq for r in hidden}
        matches = [
            r
            for r in _ordered(candidates, query.newest_first)
            if r.seq not in hidden_seqs and matches_filters(r, query)
        ]
        total = len(matches)
        page = matches[offset : None if limit is None else offset + limit]
    return {
        "results": [query_row(r, query.additional_fields) for r in page],
        "totalResultsCount": total,
    }


def matches_filters(record: WorkflowRecord, query: WorkflowQuery) -> bool:
    labels = record.labels

    def has(label: Label) -> bool:
        return labels.get(label[0]) == label[1]

    return (
        (not query.statuses or record.status in query.statuses)
        and (not query.names or record.name in query.names)
        and (not query.ids or record.id in query.ids)
        and all(has(label) for label in query.labels_all)
        and (not query.labels_any or any(has(label) for label in query.labels_any))
        and not (query.exclude_all and all(has(label) for label in query.exclude_all))
        and not any(has(label) for label in query.exclude_any)
        and (query.submission is None or record.submission >= query.submission)
        and (query.start is None or (record.start is not None and record.start >= query.start))
        and (query.end is None or (record.end is not None and record.end <= query.end))
        and (not query.archive_statuses or "Unarchived" in query.archive_statuses)
    )


def query_row(record: WorkflowRecord, additional_fields: Iterable[str] = ()) -> dict[str, Any]:
    """One result row, keys as in query-with-labels-and-subworkflow.json (Cromwell's
    `summaryToQueryResult`): absent fields are left out, never null."""
    row: dict[str, Any] = {"id": record.id}
    if record.name is not None:
        row["name"] = record.name
    row["status"] = record.status
    row["submission"] = iso(record.submission)
    if record.start is not None:
        row["start"] = iso(record.start)
    if record.end is not None:
        row["end"] = iso(record.end)
    if record.parent_id is not None:
        row["parentWorkflowId"] = record.parent_id
        row["rootWorkflowId"] = record.root_id
    if "labels" in additional_fields and record.labels:
        row["labels"] = dict(record.labels)
    row["metadataArchiveStatus"] = "Unarchived"
    return row


def _status_page(
    candidates: Sequence[WorkflowRecord],
    members: Sequence[Mapping[int, WorkflowRecord]],
    hidden_seqs: set[int],
    query: WorkflowQuery,
    offset: int,
    limit: int | None,
) -> list[WorkflowRecord]:
    matching = sum(len(m) for m in members)
    if limit is not None and matching >= DENSE_SCAN_SHARE * len(candidates):
        wanted = query.statuses
        ordered = _ordered(candidates, query.newest_first)
        return _take(
            (r for r in ordered if r.status in wanted and r.seq not in hidden_seqs), offset, limit
        )
    seqs = [seq for m in members for seq in m if seq not in hidden_seqs]
    by_seq = {seq: record for m in members for seq, record in m.items()}
    if limit is None:
        ranked = sorted(seqs, reverse=query.newest_first)[offset:]
    else:
        rank = heapq.nlargest if query.newest_first else heapq.nsmallest
        ranked = rank(offset + limit, seqs)[offset:]
    return [by_seq[seq] for seq in ranked]


def _window(query: WorkflowQuery) -> tuple[int, int | None]:
    if query.page_size is None:
        return 0, None  # Cromwell: no pageSize means no limit, `page` alone is ignored
    return (query.page or 1) * query.page_size - query.page_size, query.page_size


def _ordered(records: Sequence[WorkflowRecord], newest_first: bool) -> Iterator[WorkflowRecord]:
    return reversed(records) if newest_first else iter(records)


def _slice(
    records: Sequence[WorkflowRecord], offset: int, limit: int | None, newest_first: bool
) -> list[WorkflowRecord]:
    count = len(records)
    stop = count if limit is None else min(count, offset + limit)
    if offset >= stop:
        return []
    if not newest_first:
        return list(records[offset:stop])
    return [records[count - 1 - i] for i in range(offset, stop)]


def _take(
    records: Iterator[WorkflowRecord], offset: int, limit: int | None
) -> list[WorkflowRecord]:
    page: list[WorkflowRecord] = []
    for index, record in enumerate(records):
        if index < offset:
            continue
        if limit is not None and len(page) >= limit:
            break
        page.append(record)
    return page
