"""Cromwell's workflow query (`GET`/`POST /api/workflows/v1/query`), cromwell-api.md §2.5.

Keys are matched ignoring case; values of one key are ORed (`status`, `name`, `id`, `labelor`),
`label` values are ANDed; `submission`/`start` mean "at or after", `end` "at or before". Rows come
newest first by summary row id (`seq`) unless `newestFirst=false`; `page` is 1-based and only
applies with `pageSize`; without `pageSize` every match is returned. `totalResultsCount` ignores
paging. `includeSubworkflows` defaults to true.
"""

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cromwes.emulator.errors import BadRequest
from cromwes.emulator.records import STATUSES, canonical_status
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
