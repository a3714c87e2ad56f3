"""List runs through Cromwell's query API with pages that never shift.

Cromwell offers only page numbers over its summary table, newest first, so new submissions shift
every offset (reference-service.md §1.4). Cromwell appends new workflows at the newest end of
that table, though, so a workflow's position counted from the *oldest* end never changes. Pages
are therefore cut in oldest-first positions:

- The first page is the newest `page_size` runs: one query, newest first, which also gives the
  total T. The next token carries `below = T - len(page)`.
- A later page holds the runs at oldest-first positions `[b * size, below)` where
  `b = (below - 1) // size`: exactly one oldest-first Cromwell page (`newestFirst=false`,
  `page=b+1`), shown newest first. The page after it has `below = b * size`, so from the third
  page on every page is full; the second may be short, which WES allows.

Runs submitted while a client pages appear only on a fresh first page: no run is repeated and
none is skipped. This holds for filters on what does not change (tags, name, submission time);
a `state` filter follows runs as they change state, and is documented as best effort.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cromwes.cromwell.types import QueryResult
from cromwes.models import RunSummary, State
from cromwes.translate.labels import Owner
from cromwes.translate.request import visible_tags
from cromwes.translate.states import cromwell_statuses, wes_state
from cromwes.translate.times import cromwell_time, instant, rfc3339


@dataclass(frozen=True, slots=True)
class RunFilters:
    """What a `GET /runs` caller asked for, plus the owner label when runs are per user."""

    states: tuple[State, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()
    names: tuple[str, ...] = ()
    submitted_after: datetime | None = None
    submitted_before: datetime | None = None
    owner: Owner = None

    @property
    def matches_nothing(self) -> bool:
        """True when only states that no Cromwell status maps to were asked for."""
        return bool(self.states) and not any(cromwell_statuses(s) for s in self.states)

    def scope(self) -> str:
        """A canonical text of the filters, to bind page tokens to them."""
        parts = [f"query:{name}={value}" for name, value in self.query_params()]
        if self.submitted_before is not None:
            parts.append(f"before={cromwell_time(self.submitted_before)}")
        return "runs\n" + "\n".join(sorted(parts))

    def query_params(self) -> list[tuple[str, str]]:
        """The Cromwell query parameters that select these runs (no paging)."""
        params = [("includeSubworkflows", "false"), ("additionalQueryResultFields", "labels")]
        for state in self.states:
            params += [("status", status) for status in cromwell_statuses(state)]
        for key, value in (*self.tags, *((self.owner,) if self.owner else ())):
            params.append(("label", f"{key}:{value}"))
        params += [("name", name) for name in self.names]
        if self.submitted_after is not None:
            params.append(("submission", cromwell_time(self.submitted_after)))
        return params

    def count_params_after_bound(self) -> list[tuple[str, str]] | None:
        """The count query of runs submitted at or after `submitted_before`, if it is set.

        Cromwell has no upper bound on submission time. Runs are appended in submission order,
        so runs submitted before T are the oldest `total - count(submission >= T)` ones.
        """
        if self.submitted_before is None:
            return None
        params = [p for p in self.query_params() if p[0] != "submission"]
        return [*params, ("submission", cromwell_time(self.submitted_before)), ("pageSize", "1")]


def run_filters(query: Mapping[str, Any], owner: Owner) -> RunFilters:
    """The filters of a validated `GET /runs` query (`tag` values are `key:value`)."""
    tags = []
    for tag in query.get("tag", ()):
        key, _, value = tag.partition(":")
        tags.append((key, value))
    return RunFilters(
        states=tuple(query.get("state", ())),
        tags=tuple(tags),
        names=tuple(query.get("name", ())),
        submitted_after=query.get("submitted_after"),
        submitted_before=query.get("submitted_before"),
        owner=owner,
    )


@dataclass(frozen=True, slots=True)
class PagePlan:
    """Which Cromwell page to fetch and what to keep of it."""

    newest_first: bool
    page: int
    page_size: int
    below: int | None
    """For an oldest-first page: keep positions below this (None: keep the whole newest page)."""

    def params(self) -> list[tuple[str, str]]:
        return [
            ("page", str(self.page)),
            ("pageSize", str(self.page_size)),
            ("newestFirst", "true" if self.newest_first else "false"),
        ]


def page_plan(below: int | None, page_size: int) -> PagePlan:
    """The plan for the first page (`below` None) or for the page that holds positions < below."""
    if below is None:
        return PagePlan(newest_first=True, page=1, page_size=page_size, below=None)
    block = (below - 1) // page_size
    return PagePlan(newest_first=False, page=block + 1, page_size=page_size, below=below)


def page_rows(plan: PagePlan, results: Sequence[QueryResult]) -> list[QueryResult]:
    """The rows of this page, newest first."""
    if plan.below is None:
        return list(results[: plan.page_size])
    keep = plan.below - (plan.page - 1) * plan.page_size
    return list(reversed(results[: max(keep, 0)]))


def runs_only(rows: Sequence[QueryResult]) -> list[QueryResult]:
    """The rows that are runs: a row with a parent is a sub-workflow.

    The query asks Cromwell to leave sub-workflows out, but servers older than 30 have no
    `includeSubworkflows` and list them anyway (small-bodies-recorded.json). Dropping them
    after the page is cut makes that page shorter; it never repeats or skips a run.
    """
    return [row for row in rows if "parentWorkflowId" not in row]


def next_below(plan: PagePlan, *, total: int, returned: int) -> int | None:
    """Where the next page ends, or None when this page reached the oldest run."""
    below = total - returned if plan.below is None else (plan.page - 1) * plan.page_size
    return below if below > 0 else None


def submitted_before(rows: Sequence[QueryResult], bound: datetime) -> list[QueryResult]:
    """The rows submitted before `bound`, compared as instants (a row without a submission time,
    as old Cromwell servers answer, is kept: the count query already placed it)."""
    if bound.tzinfo is None:
        bound = bound.replace(tzinfo=UTC)
    kept = []
    for row in rows:
        submitted = instant(row.get("submission"))
        if submitted is None or submitted < bound:
            kept.append(row)
    return kept


def run_summary(result: QueryResult, hidden_labels: frozenset[str]) -> RunSummary:
    return RunSummary(
        run_id=result.get("id", ""),
        state=wes_state(result.get("status")),
        tags=visible_tags(result.get("labels") or {}, hidden_labels),
        start_time=rfc3339(result.get("start")),
        end_time=rfc3339(result.get("end")),
        name=result.get("name"),
        submitted_time=rfc3339(result.get("submission")),
    )
