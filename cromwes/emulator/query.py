"""Cromwell's workflow query (`GET`/`POST /api/workflows/v1/query`), cromwell-api.md §2.5.

Keys are matched ignoring case; values of one key are ORed (`status`, `name`, `id`, `labelor`),
`label` values are ANDed; `submission`/`start` mean "at or after", `end` "at or before". Rows come
newest first by summary row id (`seq`) unless `newestFirst=false`; `page` is 1-based and only
applies with `pageSize`; without `pageSize` every match is returned. `totalResultsCount` ignores
paging. `includeSubworkflows` defaults to true.
"""

import heapq
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cromwes.emulator.errors import BadRequest
from cromwes.emulator.records import STATUSES, WorkflowRecord, canonical_status
from cromwes.emulator.store import WorkflowStore
from cromwes.emulator.timestamps import iso, parse_iso

KEYS = {
    key.lower(): key
    for key in (
        "status",
        "label",
        "labelor",
        "excludeLabelAnd",
        "excludeLabelOr",
        "id",
        "name",
        "submission",
        "start",
        "end",
        "page",
        "pageSize",
        "includeSubworkflows",
        "additionalQueryResultFields",
        "newestFirst",
        "metadataArchiveStatus",
    )
}
ARCHIVE_STATUSES = ("Unarchived", "Archived", "ArchivedAndDeleted", "ArchiveFailed")
ADDITIONAL_FIELDS = ("labels", "parentWorkflowId")
NAME_PATTERN = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]*$")
DENSE_SCAN_SHARE = 0.05
"""Above this share of matching records a newest-first scan finds a page quickly; below it the
matching `seq`s are ranked directly (a rare status never costs a full scan)."""

Label = tuple[str, str]


@dataclass(frozen=True, slots=True)
class WorkflowQuery:
    """A validated query."""

    statuses: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    ids: frozenset[str] = frozenset()
    labels_all: tuple[Label, ...] = ()
    labels_any: tuple[Label, ...] = ()
    exclude_all: tuple[Label, ...] = ()
    exclude_any: tuple[Label, ...] = ()
    submission: int | None = None
    start: int | None = None
    end: int | None = None
    page: int | None = None
    page_size: int | None = None
    include_subworkflows: bool = True
    additional_fields: frozenset[str] = frozenset()
    newest_first: bool = True
    archive_statuses: frozenset[str] = frozenset()

    @property
    def filters_only_on_status(self) -> bool:
        return not (
            self.names
            or self.ids
            or self.labels_all
            or self.labels_any
            or self.exclude_all
            or self.exclude_any
            or self.submission is not None
            or self.start is not None
            or self.end is not None
            or (self.archive_statuses and "Unarchived" not in self.archive_statuses)
        )


def pairs_from_post_body(body: Any) -> list[tuple[str, str]]:
    """The POST form: a JSON array of single-key objects, `[{"status": "Running"}, ...]`."""
    if not isinstance(body, list):
        raise BadRequest("The request content was malformed: expected a JSON array of objects")
    pairs: list[tuple[str, str]] = []
    for item in body:
        if not isinstance(item, dict):
            raise BadRequest("The request content was malformed: expected a JSON array of objects")
        for key, value in item.items():
            text = value if isinstance(value, str) else _json_scalar(value)
            pairs.append((str(key), text))
    return pairs


def parse_query(pairs: Sequence[tuple[str, str]]) -> WorkflowQuery:
    """Validate raw (key, value) pairs; every problem is reported, one per line, as Cromwell
    does (`WorkflowQueryParameters.runValidation`)."""
    problems: list[str] = []
    unknown = [key for key, _ in pairs if key.lower() not in KEYS]
    if unknown:
        problems.append("Unrecognized query keys: " + ", ".join(dict.fromkeys(unknown)))
    values: dict[str, list[str]] = {}
    for key, value in pairs:
        if key.lower() in KEYS:
            values.setdefault(KEYS[key.lower()], []).append(value)

    def once(key: str) -> str | None:
        given = values.get(key, [])
        if len(given) > 1:
            problems.append(f"{key} may be specified at most once")
        return given[0] if given else None

    statuses = _statuses(values.get("status", []), problems)
    names = frozenset(values.get("name", []))
    problems += [
        f"Name value '{n}' is not a valid workflow name" for n in names if not NAME_PATTERN.match(n)
    ]
    ids = frozenset(values.get("id", []))
    problems += [f"Invalid workflow ID: '{i}'." for i in ids if not _is_uuid(i)]
    submission = _time(once("submission"), "submission", problems)
    start = _time(once("start"), "start", problems)
    end = _time(once("end"), "end", problems)
    if start is not None and end is not None and start > end:
        problems.append(
            "Specified start date is after specified end date: "
            f"start: {iso(start)}, end: {iso(end)}"
        )
    page = _positive_int(once("page"), "page", problems)
    page_size = _positive_int(once("pageSize"), "pageSize", problems)
    include_subworkflows = _boolean(once("includeSubworkflows"), "includeSubworkflows", problems)
    newest_first = _boolean(once("newestFirst"), "newestFirst", problems)
    additional = frozenset(values.get("additionalQueryResultFields", []))
    problems += [
        f"Unrecognized value for additionalQueryResultFields: {f}"
        for f in additional
        if f not in ADDITIONAL_FIELDS
    ]
    archive = frozenset(values.get("metadataArchiveStatus", []))
    problems += [
        f"Unrecognized value for metadataArchiveStatus: {a}"
        for a in archive
        if a not in ARCHIVE_STATUSES
    ]
    labels = {key: _labels(values.get(key, []), problems) for key in KEYS.values() if "abel" in key}
    if problems:
        raise BadRequest("\n".join(problems))
    return WorkflowQuery(
        statuses=statuses,
        names=names,
        ids=frozenset(i.lower() for i in ids),
        labels_all=labels["label"],
        labels_any=labels["labelor"],
        exclude_all=labels["excludeLabelAnd"],
        exclude_any=labels["excludeLabelOr"],
        submission=submission,
        start=start,
        end=end,
        page=page,
        page_size=page_size,
        include_subworkflows=True if include_subworkflows is None else include_subworkflows,
        additional_fields=additional,
        newest_first=True if newest_first is None else newest_first,
        archive_statuses=archive,
    )


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


def _statuses(values: list[str], problems: list[str]) -> frozenset[str]:
    statuses = {value: canonical_status(value) for value in values}
    bad = [value for value, status in statuses.items() if status is None]
    if bad:
        problems.append(
            f"Unrecognized status values: {', '.join(bad)}. Valid values are: {', '.join(STATUSES)}"
        )
    return frozenset(s for s in statuses.values() if s is not None)


def _labels(values: list[str], problems: list[str]) -> tuple[Label, ...]:
    labels: list[Label] = []
    for value in values:
        key, colon, label_value = value.partition(":")
        if not colon or not key:
            problems.append(f"Label values must be of the form 'key:value': {value}")
        else:
            labels.append((key, label_value))
    return tuple(labels)


def _time(value: str | None, key: str, problems: list[str]) -> int | None:
    if value is None:
        return None
    try:
        return parse_iso(value)
    except ValueError:
        problems.append(f"Unparseable {key} value '{value}': expected ISO-8601 with an offset")
        return None


def _positive_int(value: str | None, key: str, problems: list[str]) -> int | None:
    if value is None:
        return None
    if value.strip().isdigit() and int(value) > 0:
        return int(value)
    problems.append(f"{key} must be a positive integer: {value}")
    return None


def _boolean(value: str | None, key: str, problems: list[str]) -> bool | None:
    if value is None:
        return None
    if value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    problems.append(f"{key} must be true or false: {value}")
    return None


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return len(text) == 36


def _json_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
