"""The id of the request being served: taken from `X-Request-ID` or made up, passed to Cromwell.

The id lives in a `ContextVar` for the duration of one request, so the Cromwell client and the
log formatter can read it without every call passing it along.
"""

import itertools
import os
import re
from contextvars import ContextVar

HEADER = "X-Request-ID"
CURRENT: ContextVar[str | None] = ContextVar("cromwes_request_id", default=None)
CURRENT_ROUTE: ContextVar[str | None] = ContextVar("cromwes_route", default=None)
"""The route template of the request being served: Cromwell calls are counted by it."""
_ACCEPTED = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")
"""What a client or proxy may choose as an id; anything else (too long, spaces, quotes, control
characters that could forge a log line) is replaced by an id of our own."""


class RequestIds:
    """Makes request ids: a random prefix per process and a counter.

    Unique across replicas and restarts, and cheaper than a random id per request (a system
    call each, a measurable share of a cached answer).
    """

    def __init__(self) -> None:
        self._prefix = os.urandom(8).hex()
        self._counter = itertools.count(1)

    def for_request(self, header: str | None) -> str:
        """The client's id when it is an acceptable one, else a new one."""
        if header is not None and _ACCEPTED.match(header):
            return header
        return f"{self._prefix}-{next(self._counter):x}"


def cromwell_headers() -> dict[str, str]:
    """The headers every Cromwell call of the current request carries."""
    current = CURRENT.get()
    return {HEADER: current} if current is not None else {}
