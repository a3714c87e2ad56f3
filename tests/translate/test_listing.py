from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from cromwes.cromwell.types import QueryResult
from cromwes.errors import InvalidRequest
from cromwes.models import State
from cromwes.translate.listing import (
    PagePlan,
    RunFilters,
    next_below,
    page_plan,
    page_rows,
    run_summary,
    submitted_before,
)
from cromwes.translate.pagination import decode_token, encode_token


def cromwell_page(rows: list[str], plan: PagePlan) -> tuple[list[QueryResult], int]:
    """Cromwell's paging over its summary table (cromwell-api.md §2.5), rows oldest first."""
    ordered = list(reversed(rows)) if plan.newest_first else rows
    offset = (plan.page - 1) * plan.page_size
    return [{"id": row} for row in ordered[offset : offset + plan.page_size]], len(rows)


def page_through(rows: list[str], size: int, between: Callable[[int], None]) -> list[str]:
    seen: list[str] = []
    below: int | None = None
    for page in range(1000):
        plan = page_plan(below, size)
        results, total = cromwell_page(rows, plan)
        page_ids = [row.get("id", "") for row in page_rows(plan, results)]
        assert len(page_ids) <= size
        seen += page_ids
        below = next_below(plan, total=total, returned=len(page_ids))
        if below is None:
            return seen
        between(page)
    raise AssertionError("paging did not end")


@pytest.mark.parametrize(("total", "size"), [(0, 5), (1, 5), (5, 5), (23, 5), (100, 7), (7, 100)])
def test_paging_visits_every_run_once_newest_first(total: int, size: int) -> None:
    rows = [f"run-{i:03}" for i in range(total)]
    assert page_through(rows, size, lambda _: None) == list(reversed(rows))


@pytest.mark.parametrize(("total", "size"), [(23, 5), (40, 10), (9, 4)])
def test_runs_submitted_while_paging_are_neither_repeated_nor_skipped(
    total: int, size: int
) -> None:
    rows = [f"run-{i:03}" for i in range(total)]
    original = list(reversed(rows))

    def submit_more(page: int) -> None:
        rows.extend(f"new-{page}-{n}" for n in range(3))

    assert page_through(rows, size, submit_more) == original


def test_filters_become_cromwell_query_parameters() -> None:
    filters = RunFilters(
        states=(State.RUNNING, State.PAUSED),
        tags=(("project", "demo"), ("team", "a:b")),
        names=("hello",),
        submitted_after=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        owner=("user_id", "alice"),
    )
    assert filters.query_params() == [
        ("includeSubworkflows", "false"),
        ("additionalQueryResultFields", "labels"),
        ("status", "Running"),
        ("status", "On Hold"),
        ("label", "project:demo"),
        ("label", "team:a:b"),
        ("label", "user_id:alice"),
        ("name", "hello"),
        ("submission", "2026-01-02T03:04:05.000Z"),
    ]


def test_submitted_before_compares_instants() -> None:
    """`submitted_before=2024-08-09T23:01:51Z` against a run submitted at 51.187Z: as text
    "...51.187Z" < "...51Z", as instants it is later and must go (issue 14 item 3)."""
    rows: list[QueryResult] = [
        {"id": "later-by-187ms", "submission": "2024-08-09T23:01:51.187Z"},
        {"id": "same-instant", "submission": "2024-08-09T23:01:51.000Z"},
        {"id": "earlier-with-offset", "submission": "2024-08-09T18:01:50.999-05:00"},
        {"id": "later-with-offset", "submission": "2024-08-09T18:01:51.001-05:00"},
        {"id": "old-row-without-submission"},
    ]
    bound = datetime(2024, 8, 9, 23, 1, 51, tzinfo=UTC)
    kept = [row.get("id") for row in submitted_before(rows, bound)]
    assert kept == ["earlier-with-offset", "old-row-without-submission"]


def test_old_query_rows_with_offsets_summarise_in_utc(recorded: Callable[[str], Any]) -> None:
    """Cromwell 30 wrote local offsets and no submission time (small-bodies-recorded.json)."""
    catalogue = recorded("more/small-bodies-recorded.json")
    [row] = catalogue["query_additionalKeys_parentWorkflowId_v30dev"]["body"]["results"]
    summary = run_summary(row, frozenset())
    assert summary.state is State.EXECUTOR_ERROR
    assert summary.start_time == "2017-12-02T00:00:16.738Z"
    assert summary.end_time == "2017-12-02T00:00:23.778Z"
    [labelled] = catalogue["query_additionalKeys_labels_v30dev"]["body"]["results"]
    summary = run_summary(labelled, frozenset())
    assert summary.tags == {"project": "test", "version": "2"}, "Cromwell's own label hidden"
    assert summary.start_time == "2017-12-02T00:00:14.210Z"


def test_states_no_cromwell_status_maps_to_match_nothing() -> None:
    assert RunFilters(states=(State.SYSTEM_ERROR,)).matches_nothing
    assert not RunFilters(states=(State.SYSTEM_ERROR, State.RUNNING)).matches_nothing


def test_run_summary_hides_bookkeeping_labels(recorded: Callable[[str], Any]) -> None:
    rows = recorded("query-with-labels-and-subworkflow.json")["results"]
    summary = run_summary(rows[1], frozenset({"workflow_url"}))
    assert summary.run_id == "1d919bd4-d046-43b0-9918-9964509689dd"
    assert summary.state is State.COMPLETE
    assert summary.tags == {"project": "demo"}
    assert summary.start_time == "2024-08-13T16:35:41.694Z"
    pending = run_summary(rows[2], frozenset())
    assert pending.state is State.QUEUED
    assert pending.start_time is None
    assert pending.tags == {}


KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))


def test_token_round_trip() -> None:
    token = encode_token(42, scope="runs\nx", key=KEY)
    assert decode_token(token, scope="runs\nx", key=KEY) == 42


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda t: t[:-2] + ("AA" if t[-2:] != "AA" else "BB"), id="tampered"),
        pytest.param(lambda t: "not-a-token", id="garbage"),
        pytest.param(lambda t: "", id="empty"),
        pytest.param(lambda t: "%%%%", id="not-base64"),
    ],
)
def test_bad_tokens_are_refused(mangle: Callable[[str], str]) -> None:
    token = encode_token(42, scope="runs\nx", key=KEY)
    with pytest.raises(InvalidRequest):
        decode_token(mangle(token), scope="runs\nx", key=KEY)


def test_a_token_is_bound_to_its_filters_and_key() -> None:
    token = encode_token(42, scope="runs\nstate=RUNNING", key=KEY)
    with pytest.raises(InvalidRequest, match="other filters"):
        decode_token(token, scope="runs\nstate=COMPLETE", key=KEY)
    with pytest.raises(InvalidRequest):
        decode_token(token, scope="runs\nstate=RUNNING", key=OTHER_KEY)
