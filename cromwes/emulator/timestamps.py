"""Cromwell's timestamps: ISO-8601 in UTC with milliseconds and `Z` (`2024-08-09T23:01:51.187Z`).

Times are held as integer milliseconds since the epoch, which sort and compare exactly.
"""

import time
from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def iso(ms: int) -> str:
    moment = EPOCH + timedelta(milliseconds=ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_iso(text: str) -> int:
    """Milliseconds for an ISO-8601 timestamp that carries a zone (`Z` or `+02:00`).

    Cromwell's query filters require the offset (cromwell-api.md §2.5), so a naive timestamp is
    refused with ValueError.
    """
    moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
    if moment.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no zone offset")
    return (moment - EPOCH) // timedelta(milliseconds=1)
