"""Cromwell timestamps as RFC 3339 UTC instants."""

import re
from datetime import UTC, datetime

_ALREADY_RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{3})?Z$")
"""What Cromwell 87 and later write; such times need no parsing (a hot path of every list)."""


def rfc3339(cromwell_time: str | None) -> str | None:
    """Cromwell's ISO-8601 time (`Z` or an offset such as `-04:00`) as RFC 3339 in UTC.

    Milliseconds are kept when present; a value that does not parse is passed through unchanged
    rather than lost, because a client can still show it.
    """
    if not cromwell_time:
        return None
    if _ALREADY_RFC3339_UTC.match(cromwell_time):
        return cromwell_time
    try:
        instant = datetime.fromisoformat(cromwell_time)
    except ValueError:
        return cromwell_time
    return instant_rfc3339(instant)


def instant_rfc3339(instant: datetime) -> str:
    """An instant as RFC 3339 in UTC (naive: taken as UTC), milliseconds when it has any."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    instant = instant.astimezone(UTC)
    timespec = "milliseconds" if instant.microsecond else "seconds"
    return instant.isoformat(timespec=timespec).replace("+00:00", "Z")


def cromwell_time(instant: datetime) -> str:
    """A datetime as Cromwell's query parameters want it: ISO-8601 with an offset."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
