"""The events of one run (`GET /runs/{id}/events`): its state changes and its tasks' starts and
ends, from one poll of its details per interval, whoever and however many watch it."""

import time
from collections.abc import Callable, Sequence

from cromwes.models import State
from cromwes.service.run_details import RunDetail, RunDetails
from cromwes.service.watching import Hub, Watcher
from cromwes.translate.events import (
    Cursor,
    Event,
    run_state_event,
    seen_by_all,
    state_time,
    task_events,
    unseen,
)
from cromwes.translate.states import wes_state


class RunWatcher(Watcher[str]):
    """Looks at one run through `RunDetails` (its cache and single flight) every `interval`."""

    def __init__(
        self, run_id: str, on_stop: Callable[[Watcher[str]], None], *, details: RunDetails,
        interval: float,
    ) -> None:  # fmt: skip
        super().__init__(run_id, interval=interval, on_stop=on_stop)
        self._details = details
        self._state: State | None = None
        self._state_event = run_state_event(run_id, State.UNKNOWN, 0)
        self._events: Sequence[Event] = ()
        self._keys: frozenset[str] = frozenset()
        self._detail: RunDetail | None = None

    async def look(self) -> tuple[Sequence[Event], bool]:
        detail = await self._details.get(self.key)
        if detail is self._detail and self._state is not None:
            # The same details, still held (`cache.running_ttl` is longer than a poll):
            # nothing can have changed, and a large run's events are not rebuilt for nothing.
            return (), self._state.is_terminal
        self._detail = detail
        state = wes_state(detail.metadata.get("status"))
        events = task_events(self.key, detail.tasks)
        new = [event for event in events if event.key not in self._keys]
        self._events, self._keys = events, frozenset(event.key for event in events)
        first, changed = self._state is None, state is not self._state
        if changed:
            self._state = state
            when = state_time(detail.metadata, state) or int(time.time() * 1000)
            self._state_event = run_state_event(self.key, state, when)
        if first:
            return (), state.is_terminal
        return _in_order(state, (self._state_event,) if changed else (), new), state.is_terminal

    def welcome(self, cursor: Cursor | None) -> tuple[Cursor, Sequence[Event], bool]:
        assert self._state is not None
        terminal = self._state.is_terminal
        if cursor is None:
            # A new client starts from now: the current state, then what happens next.
            return seen_by_all(self._events, None), (self._state_event,), terminal
        told = (self._state_event,) if cursor.state is not self._state else ()
        return cursor, _in_order(self._state, told, unseen(self._events, cursor)), terminal


def _in_order(state: State, told: Sequence[Event], tasks: Sequence[Event]) -> list[Event]:
    """A running state before the task events it brings; a final state after the last of
    them, so that the stream ends with it."""
    return [*tasks, *told] if state.is_terminal else [*told, *tasks]


def run_events(details: RunDetails, *, interval: float) -> Hub[str]:
    """The hub of per-run watchers: one per run id, however many subscribe to it."""

    def watcher(run_id: str, on_stop: Callable[[Watcher[str]], None]) -> Watcher[str]:
        return RunWatcher(run_id, on_stop, details=details, interval=interval)

    return Hub(watcher)
