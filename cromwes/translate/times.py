"""Cromwell timestamps as instants, and instants in the one form the gateway writes.

Every time the gateway emits is RFC 3339 in UTC with milliseconds (`2024-08-09T23:01:51.187Z`,
`...51.000Z` for a whole second): Cromwell 87 and later write that form, so most values pass
through untouched. Times are compared as instants, never as text: `...51Z` sorts after
`...51.187Z` as a string but is the earlier instant.
"""

import re
from datetime import UTC, datetime

_ALREADY_RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
"""What Cromwell 87 and later write; such times need no parsing (a hot path of every list)."""


def instant(cromwell_time: str | None) -> datetime | None:
    """Cromwell's ISO-8601 time (`Z`, an offset such as `-05:00`, or naive: UTC) as an aware
    instant; None when absent or not a time."""
    if not cromwell_time:
        return None
    try:
        parsed = datetime.fromisoformat(cromwell_time)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def rfc3339(cromwell_time: str | None) -> str | None:
    """Cromwell's time in the gateway's one form; None when absent or not a time.

    A value that does not parse is left out rather than passed on: a WES client parses these
    fields as RFC 3339, and Cromwell has never been seen to write anything else.
    """
    if cromwell_time and _ALREADY_RFC3339_UTC.match(cromwell_time):
        return cromwell_time
    parsed = instant(cromwell_time)
    return None if parsed is None else instant_rfc3339(parsed)


def instant_rfc3339(moment: datetime) -> str:
    """An instant (naive: taken as UTC) as RFC 3339 in UTC with milliseconds."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


cromwell_time = instant_rfc3339
"""A datetime as Cromwell's query parameters want it (the same one form)."""
