"""The state changes of every run a caller may list (`GET /events`), one watcher per filter.

Cromwell has no feed of changes, and a gateway may front hundreds of thousands of runs, so a
look asks its query API for what can change or is new: the runs not yet finished (at most
`max_active` of them) and the `recent` newest. A run that was unfinished at the previous look
and is in neither answer has finished since; one more query fetches those by id. Every state a
run's row shows (queued at its submission, running from its start, its end state) is an event;
what the previous look had not shown is sent.
"""

import dataclasses
from collections.abc import Callable, Iterable, Sequence

from cromwes.cromwell.client import CromwellClient
from cromwes.cromwell.types import QueryResult
from cromwes.models import State
from cromwes.service.watching import Hub, Watcher
from cromwes.translate.events import Cursor, Event, listed_run_events, seen_by_all, unseen
from cromwes.translate.listing import RunFilters, runs_only
from cromwes.translate.states import cromwell_statuses, wes_state

UNFINISHED = tuple(s for s in State if not s.is_terminal and cromwell_statuses(s))
"""The states whose runs may still change (QUEUED, RUNNING, PAUSED, CANCELING)."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ListWindow:
    recent: int
    """The newest runs each look reads (new submissions, runs that just finished)."""
    max_active: int
    """The unfinished runs each look reads at most."""


class RunListWatcher(Watcher[RunFilters]):
    """Looks at the runs that match one filter (tags, names, owner; never states) every
    `interval`; subscribers choose states among its events."""

    def __init__(
        self, filters: RunFilters, on_stop: Callable[[Watcher[RunFilters]], None], *,
        client: CromwellClient, window: ListWindow, hidden_labels: frozenset[str],
        interval: float,
    ) -> None:  # fmt: skip
        super().__init__(filters, interval=interval, on_stop=on_stop)
        self._client = client
        self._window = window
        self._hidden = hidden_labels
        self._events: Sequence[Event] = ()
        self._keys: frozenset[str] = frozenset()
        self._unfinished: frozenset[str] = frozenset()

    async def look(self) -> tuple[Sequence[Event], bool]:
        rows = await self._rows()
        events = sorted(
            (event for row in rows for event in listed_run_events(row, self._hidden)),
            key=lambda event: event.order,
        )
        new = [event for event in events if event.key not in self._keys]
        # Only the runs in view are remembered: a finished run that left the newest window never
        # comes back into it, and unfinished runs are always in view.
        self._events, self._keys = events, frozenset(event.key for event in events)
        self._unfinished = frozenset(
            row.get("id", "") for row in rows if not wes_state(row.get("status")).is_terminal
        )
        return new, False

    def welcome(self, cursor: Cursor | None) -> tuple[Cursor, Sequence[Event], bool]:
        if cursor is None:
            # A new client starts from now: the runs in view are what it listed already.
            return seen_by_all(self._events, None), (), False
        return cursor, unseen(self._events, cursor), False

    async def _rows(self) -> list[QueryResult]:
        base = self.key.query_params()
        unfinished = dataclasses.replace(self.key, states=UNFINISHED).query_params()
        recent = await self._client.query(
            [*base, ("page", "1"), ("pageSize", str(self._window.recent)), ("newestFirst", "true")]
        )
        active = await self._client.query(
            [*unfinished, ("page", "1"), ("pageSize", str(self._window.max_active))]
        )
        rows = _by_id([*runs_only(recent["results"]), *runs_only(active["results"])])
        if finished := self._unfinished - rows.keys():
            answer = await self._client.query(
                [*base, *(("id", run_id) for run_id in sorted(finished)),
                 ("pageSize", str(len(finished)))]
            )  # fmt: skip
            rows.update(_by_id(runs_only(answer["results"])))
        return list(rows.values())


def _by_id(rows: Iterable[QueryResult]) -> dict[str, QueryResult]:
    return {row.get("id", ""): row for row in rows}


def watched_filters(filters: RunFilters) -> RunFilters:
    """The watcher's key for a caller's filters: states are chosen per subscriber."""
    return dataclasses.replace(filters, states=())


def run_list_events(
    client: CromwellClient, *, window: ListWindow, hidden_labels: frozenset[str], interval: float
) -> Hub[RunFilters]:
    """The hub of run-list watchers: one per distinct filter, however many subscribe to it."""

    def watcher(
        filters: RunFilters, on_stop: Callable[[Watcher[RunFilters]], None]
    ) -> Watcher[RunFilters]:
        return RunListWatcher(
            filters, on_stop, client=client, window=window, hidden_labels=hidden_labels,
            interval=interval,
        )  # fmt: skip

    return Hub(watcher)
