"""Events read off a run as Cromwell shows it, and the cursors that resume them (pure)."""

from collections.abc import Callable
from typing import Any

import pytest

from cromwes.errors import InvalidRequest
from cromwes.models import State
from cromwes.translate.events import (
    Cursor,
    Event,
    listed_run_events,
    parse_cursor,
    seen_by_all,
    state_time,
    task_events,
    unseen,
)
from cromwes.translate.tasklogs import flat_tasks

RUN = "0191d0a4-4f5e-7000-8000-000000000000"


def events_at(*pairs: tuple[str, int]) -> list[Event]:
    return sorted(
        (Event("task", key, time, {"key": key}) for key, time in pairs), key=lambda e: e.order
    )


EVENTS = events_at(("a>started", 10), ("b>started", 20), ("a>ended", 30), ("b>ended", 40))


def sent(*events: Event, state: State | None = None) -> Cursor:
    return seen_by_all(events, state)


@pytest.mark.parametrize(
    ("cursor", "expected"),
    [
        pytest.param(Cursor(), EVENTS, id="nothing-seen"),
        pytest.param(sent(*EVENTS[:2]), EVENTS[2:], id="a-prefix"),
        pytest.param(sent(*EVENTS), [], id="everything"),
        # Cromwell reported b>started (20) only after a>ended (30) had been sent.
        pytest.param(sent(EVENTS[0], EVENTS[2]), [EVENTS[1], EVENTS[3]], id="one-late-event"),
        pytest.param(sent(EVENTS[2]), [EVENTS[0], EVENTS[1], EVENTS[3]], id="two-late-events"),
        # A digest no subset of one or two candidates explains: only what is later is sent.
        pytest.param(Cursor(None, 30, 12345), [EVENTS[3]], id="unexplained-digest"),
    ],
)
def test_a_cursor_gets_exactly_what_it_was_not_sent(cursor: Cursor, expected: list[Event]) -> None:
    assert unseen(EVENTS, cursor) == expected


@pytest.mark.parametrize(
    "cursor",
    [Cursor(), Cursor(State.RUNNING, 1732300000123, 0x0F3A9C2E71B4D865), sent(*EVENTS)],
)
def test_a_cursor_survives_its_text(cursor: Cursor) -> None:
    assert parse_cursor(cursor.text()) == cursor


@pytest.mark.parametrize(
    "text",
    ["", "RUNNING", "RUNNING.1.2", "running.1.0000000000000000", "DONE.1.0000000000000000",
     "RUNNING.-1.0000000000000000", "RUNNING.1.00000000000000000", "RUNNING.1.000000000000000g",
     "RUNNING.1234567890123456.0000000000000000"],
)  # fmt: skip
def test_an_id_the_service_never_sent_is_refused(text: str) -> None:
    with pytest.raises(InvalidRequest, match="Last-Event-ID"):
        parse_cursor(text)


def test_a_retried_attempt_is_a_retry_and_the_preempted_one_ended(
    recorded: Callable[[str], Any],
) -> None:
    metadata = recorded("metadata-scatter-preempted-retry.json")
    events = task_events(RUN, flat_tasks(metadata))
    by_key = {event.key: event.data for event in events}
    assert len(by_key) == len(events), "each key names one event"
    preempted = by_key["sc_test.do_scatter:0@1>ended"]
    assert (preempted["state"], preempted["cromwell_status"]) == ("PREEMPTED", "Preempted")
    retry = by_key["sc_test.do_scatter:0@2>started"]
    assert (retry["change"], retry["attempt"], retry["shard"]) == ("retried", 2, 0)
    assert by_key["sc_test.do_prepare@1>ended"]["shard"] is None
    assert [event.time for event in events] == sorted(event.time for event in events)


def test_a_queued_task_has_not_started_and_a_running_one_has_not_ended(
    recorded: Callable[[str], Any],
) -> None:
    queued = recorded("metadata-running-queued.json")
    assert task_events(RUN, flat_tasks(queued)) == []
    running = task_events(RUN, flat_tasks(recorded("metadata-running.json")))
    assert [(e.key, e.data["state"], e.data["time"]) for e in running] == [
        ("ChRISJob.plugin_instance@1>started", "RUNNING", "2022-01-23T19:03:21.820Z")
    ]


def test_failed_shards_end_as_executor_errors_with_their_exit_codes(
    recorded: Callable[[str], Any],
) -> None:
    events = task_events(RUN, flat_tasks(recorded("metadata-failed-with-shards.json")))
    failed = [e.data for e in events if e.data["state"] == "EXECUTOR_ERROR"]
    assert failed
    assert all(data["change"] == "ended" for data in failed)
    assert {data["exit_code"] for data in failed} - {None} == {1}


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        pytest.param(
            {"id": "r", "status": "Submitted", "submission": "2024-08-09T23:01:51.187Z"},
            [("r>QUEUED", "2024-08-09T23:01:51.187Z")],
            id="queued",
        ),
        pytest.param(
            {"id": "r", "status": "Succeeded", "submission": "2024-08-09T23:01:51.187Z",
             "start": "2024-08-09T23:01:52.000Z", "end": "2024-08-09T23:02:00.000-00:00"},
            [("r>QUEUED", "2024-08-09T23:01:51.187Z"), ("r>RUNNING", "2024-08-09T23:01:52.000Z"),
             ("r>COMPLETE", "2024-08-09T23:02:00.000Z")],
            id="finished",
        ),
        pytest.param(
            {"id": "r", "status": "Aborting", "submission": "2024-08-09T23:01:51.187Z",
             "start": "2024-08-09T23:01:52.000Z"},
            [("r>QUEUED", "2024-08-09T23:01:51.187Z"), ("r>RUNNING", "2024-08-09T23:01:52.000Z"),
             ("r>CANCELING", "2024-08-09T23:01:52.000Z")],
            id="canceling-at-the-latest-time-known",
        ),
    ],
)  # fmt: skip
def test_a_listed_run_tells_each_state_it_went_through(
    row: Any, expected: list[tuple[str, str]]
) -> None:
    events = listed_run_events(row, frozenset())
    assert [(e.key, e.data["time"]) for e in events] == expected
    assert all(e.data["run_id"] == "r" for e in events)


def test_a_listed_run_hides_bookkeeping_labels() -> None:
    row = {"id": "r", "status": "Submitted", "submission": "2024-08-09T23:01:51.187Z",
           "labels": {"user_id": "ada", "project": "x"}}  # fmt: skip
    (event,) = listed_run_events(row, frozenset({"user_id"}))  # type: ignore[arg-type]
    assert event.data["tags"] == {"project": "x"}


@pytest.mark.parametrize(
    ("status", "state", "expected"),
    [("Running", State.RUNNING, 2), ("Succeeded", State.COMPLETE, 3),
     ("Submitted", State.QUEUED, 1), ("Aborting", State.CANCELING, None)],
)  # fmt: skip
def test_a_state_takes_the_time_cromwell_recorded_for_it(
    status: str, state: State, expected: int | None
) -> None:
    metadata = {"status": status, "submission": "1970-01-01T00:00:00.001Z",
                "start": "1970-01-01T00:00:00.002Z", "end": "1970-01-01T00:00:00.003Z"}  # fmt: skip
    assert state_time(metadata, state) == expected  # type: ignore[arg-type]
