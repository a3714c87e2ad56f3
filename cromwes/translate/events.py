"""The events of a run, derived from what Cromwell shows of it, and the cursors that resume them.

The gateway keeps no event log. Every event is read off a snapshot of the run (its tasks' start
and end, or a listed run's submission, start and end), with the time Cromwell recorded and a key
that names it (`<task id>>started`). Any replica derives the same events from the same run, so an
event id can say what its client has seen without the gateway remembering anything:

    <state>.<until>.<digest>

`state` is the run state the client was last told (`-` for none); `until` the latest event time
it was sent, in milliseconds since the epoch; `digest` the XOR of a 64-bit hash of the key of
every event it was sent. To resume, the events up to `until` are the candidates for "seen"; their
XOR against `digest` is zero when the client saw exactly those, or names the one or two it
missed, because Cromwell may report an event after a later one. Anything else cannot be told
apart: then only the events after `until` are sent, so nothing is repeated.
"""

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from cromwes.cromwell.types import Metadata, QueryResult
from cromwes.errors import InvalidRequest
from cromwes.models import State
from cromwes.translate.attempts import RETRIED_STATUSES
from cromwes.translate.request import visible_tags
from cromwes.translate.states import wes_state
from cromwes.translate.tasklogs import Task
from cromwes.translate.times import instant, instant_rfc3339, rfc3339

STATE = "state"
TASK = "task"


@dataclass(frozen=True, slots=True)
class Event:
    """One server-sent event: its type, what it is about, when it happened, what it says."""

    kind: str
    """`state` or `task` (the SSE `event:` field)."""
    key: str
    """Names the event among all of the run's (or all runs') events; hashed into cursors."""
    time: int
    """When Cromwell says it happened, in milliseconds since the epoch (orders the events)."""
    data: Mapping[str, Any] = field(compare=False)
    _data_json: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def order(self) -> tuple[int, str]:
        return (self.time, self.key)

    @property
    def data_json(self) -> str:
        """`data` as the JSON text of the SSE `data:` field. A watcher hands the same event to
        every subscriber, so it is encoded the first time one sends it and kept: a thousand
        subscribers cost one encoding, not a thousand."""
        text = self._data_json
        if text is None:
            text = orjson.dumps(self.data).decode()
            # Only a cache of what `data` encodes to; everything the event says stays frozen.
            object.__setattr__(self, "_data_json", text)
        return text


def key_hash(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")


_CURSOR = re.compile(r"^(?P<state>[A-Z_]+|-)\.(?P<until>\d{1,15})\.(?P<digest>[0-9a-f]{16})$")


@dataclass(frozen=True, slots=True)
class Cursor:
    """What a client has been sent (see the module docstring); the id of the event it read last."""

    state: State | None = None
    until: int = 0
    digest: int = 0

    def after(self, event: Event) -> "Cursor":
        """This cursor once `event` was sent too."""
        if event.kind == STATE and event.key == "":
            return Cursor(State(event.data["state"]), self.until, self.digest)
        return Cursor(self.state, max(self.until, event.time), self.digest ^ key_hash(event.key))

    def text(self) -> str:
        state = self.state.value if self.state is not None else "-"
        return f"{state}.{self.until}.{self.digest:016x}"


def parse_cursor(text: str) -> Cursor:
    """The cursor a `Last-Event-ID` names; InvalidRequest for anything the gateway never sent."""
    match = _CURSOR.match(text.strip())
    if match is None or (match["state"] != "-" and match["state"] not in State.__members__):
        raise InvalidRequest(
            "Last-Event-ID: not an event id of this service (expected STATE.MILLIS.DIGEST)."
        )
    state = State(match["state"]) if match["state"] != "-" else None
    return Cursor(state, int(match["until"]), int(match["digest"], 16))


def seen_by_all(events: Iterable[Event], state: State | None) -> Cursor:
    """The cursor of a client that has seen every one of `events` and was told `state`."""
    cursor = Cursor(state)
    for event in events:
        cursor = cursor.after(event)
    return cursor


def unseen(events: Sequence[Event], cursor: Cursor) -> list[Event]:
    """The events of `events` (sorted by `order`) a client at `cursor` has not been sent."""
    candidates = [event for event in events if event.time <= cursor.until]
    later = [event for event in events if event.time > cursor.until]
    residue = cursor.digest
    for event in candidates:
        residue ^= key_hash(event.key)
    return sorted([*_explaining(candidates, residue), *later], key=lambda e: e.order)


def _explaining(candidates: Sequence[Event], residue: int) -> list[Event]:
    """The one or two candidates whose hashes make up `residue` (none if it is zero or if no
    such one or two exist: then the cursor was not made of these events, and nothing before
    its `until` is sent again)."""
    if residue == 0:
        return []
    by_hash = {key_hash(event.key): event for event in candidates}
    if (single := by_hash.get(residue)) is not None:
        return [single]
    for hashed, event in by_hash.items():
        other = by_hash.get(hashed ^ residue)
        if other is not None and other is not event:
            return [event, other]
    return []


def epoch_millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _millis(cromwell_time: str | None) -> int | None:
    moment = instant(cromwell_time)
    return None if moment is None else epoch_millis(moment)


def run_state_event(run_id: str, state: State, time: int) -> Event:
    """The event telling a client the run's state (keyless: cursors carry the state itself)."""
    data = {"run_id": run_id, "state": state.value, "time": _text(time)}
    return Event(STATE, "", time, data)


def task_events(run_id: str, tasks: Iterable[Task]) -> list[Event]:
    """Every start and end of the run's task attempts that Cromwell shows, by time.

    An attempt has started once it is past Cromwell's queues (a task that started and ended
    between two looks yields both); the start of a later attempt is a retry.
    """
    events = [event for task in tasks for event in _events_of(run_id, task)]
    return sorted(events, key=lambda event: event.order)


def _events_of(run_id: str, task: Task) -> Iterator[Event]:
    if not task.started:
        return
    started = _millis(task.start_time) or _millis(task.end_time)
    if started is not None:
        change = "retried" if task.attempt > 1 else "started"
        yield Event(TASK, f"{task.id}>started", started, _task_data(run_id, task, change, started))
    if task.finished:
        ended = _millis(task.end_time) or started
        if ended is not None:
            yield Event(TASK, f"{task.id}>ended", ended, _task_data(run_id, task, "ended", ended))


def _task_data(run_id: str, task: Task, change: str, time: int) -> dict[str, Any]:
    state = task.state if change == "ended" else State.RUNNING
    return {
        "run_id": run_id,
        "state": state.value,
        "time": _text(time),
        "change": change,
        "task_id": task.id,
        "name": task.name,
        "shard": task.shard if task.shard >= 0 else None,
        "attempt": task.attempt,
        "cromwell_status": task.status,
        "retryable": task.status in RETRIED_STATUSES,
        "exit_code": task.exit_code if change == "ended" else None,
        "start_time": task.start_time,
        "end_time": task.end_time if change == "ended" else None,
    }


def listed_run_events(row: QueryResult, hidden_labels: frozenset[str]) -> list[Event]:
    """The state changes a row of Cromwell's run list shows: queued at its submission, running
    from its start, and its end state at its end; a state that leaves no time of its own
    (PAUSED, CANCELING) at the latest time the row has."""
    run_id = row.get("id", "")
    state = wes_state(row.get("status"))
    submitted = _millis(row.get("submission"))
    started, ended = _millis(row.get("start")), _millis(row.get("end"))
    known = [t for t in (submitted, started, ended) if t is not None]
    summary = {
        "run_id": run_id,
        "name": row.get("name"),
        "tags": visible_tags(row.get("labels") or {}, hidden_labels),
        "submitted_time": rfc3339(row.get("submission")),
        "start_time": rfc3339(row.get("start")),
        "end_time": rfc3339(row.get("end")),
    }
    changes: list[tuple[State, int | None]] = [(State.QUEUED, submitted)]
    if started is not None:
        changes.append((State.RUNNING, started))
    if state not in (State.QUEUED, State.RUNNING):
        changes.append((state, ended if state.is_terminal and ended else max(known, default=None)))
    return [
        Event(STATE, f"{run_id}>{changed.value}", time,
              {**summary, "state": changed.value, "time": _text(time)})
        for changed, time in changes if time is not None
    ]  # fmt: skip


def _text(millis: int) -> str:
    return instant_rfc3339(datetime.fromtimestamp(millis / 1000, tz=UTC))


def state_time(metadata: Metadata, state: State) -> int | None:
    """When the run entered `state`, as its metadata tells (None when it does not)."""
    if state.is_terminal:
        return _millis(metadata.get("end"))
    if state is State.RUNNING:
        return _millis(metadata.get("start"))
    if state in (State.QUEUED, State.PAUSED):
        return _millis(metadata.get("submission"))
    return None
