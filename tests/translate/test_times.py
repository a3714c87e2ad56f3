from datetime import UTC, datetime, timedelta, timezone

import pytest

from cromwes.translate.times import cromwell_time, instant, instant_rfc3339, rfc3339


@pytest.mark.parametrize(
    ("cromwell", "expected"),
    [
        pytest.param("2024-08-09T23:01:51.187Z", "2024-08-09T23:01:51.187Z", id="utc-millis"),
        pytest.param("2018-07-26T17:19:00.813-04:00", "2018-07-26T21:19:00.813Z", id="offset"),
        pytest.param("2017-12-01T19:00:23.778-05:00", "2017-12-02T00:00:23.778Z", id="next-day"),
        pytest.param("2024-08-09T23:01:51Z", "2024-08-09T23:01:51.000Z", id="whole-seconds"),
        pytest.param("2024-08-09T23:01:51", "2024-08-09T23:01:51.000Z", id="naive-is-utc"),
        pytest.param("2024-08-09T23:01:51.187654Z", "2024-08-09T23:01:51.187Z", id="micros"),
        pytest.param(None, None, id="absent"),
        pytest.param("", None, id="empty"),
        pytest.param("yesterday", None, id="not-a-time"),
    ],
)
def test_every_time_comes_out_in_one_form(cromwell: str | None, expected: str | None) -> None:
    assert rfc3339(cromwell) == expected


def test_instants_compare_as_times_not_as_text() -> None:
    whole, later = "2024-08-09T23:01:51Z", "2024-08-09T23:01:51.187Z"
    assert later < whole, "as text the later time sorts first: the trap"
    assert instant(whole) < instant(later)  # type: ignore[operator]
    assert instant("2017-12-01T19:00:23.778-05:00") == datetime(
        2017, 12, 2, 0, 0, 23, 778000, tzinfo=UTC
    )


def test_query_times_use_the_same_form() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    assert cromwell_time(moment) == "2026-01-02T01:04:05.000Z"
    assert instant_rfc3339(datetime(2026, 1, 2, 3, 4, 5, 120000)) == "2026-01-02T03:04:05.120Z"
