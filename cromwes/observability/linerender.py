"""The gateway's log lines as bytes: the one renderer of the access and audit lines.

The request path only gathers an answered request's facts (`RequestFacts`, plain values); the
line sink (`linesink`, a child process) or, failing it, the log writer's thread renders them
here. Both call `LineRenderer.request_lines`, so both write the same bytes. This module
imports nothing of the gateway: the sink loads it alone.
"""

import time
from collections.abc import Iterable, Mapping
from typing import Any, Final

import orjson

ACCESS: Final = "cromwes.access"
AUDIT: Final = "cromwes.audit"

Fields = Mapping[str, Any]
RequestFacts = tuple[
    float,  # when: time.time() once the answer was known
    str | None,  # the access line's level ("INFO", "DEBUG"), None for no access line
    str,  # method
    str,  # path
    str,  # route
    int,  # status
    float,  # seconds the answer took
    str | None,  # remote
    str | None,  # forwarded_for
    str | None,  # client_subject
    str | None,  # principal
    bool,  # authenticated
    str | None,  # user_agent
    str,  # request_id
    str | None,  # action, None for no audit line
    str | None,  # run_id
]
"""An answered request, as plain values: what `marshal` sends to the sink in one piece."""
Item = bytes | RequestFacts
"""What the log writer is given: a line already rendered (any other record) or a request."""

_TOLERANT = orjson.OPT_APPEND_NEWLINE | orjson.OPT_NON_STR_KEYS


def json_line(stamp: str, level: str, logger: str, message: str, fields: Fields) -> bytes:
    """One JSON object and its newline, keys in the order the gateway has always written."""
    return json_entry(
        {"time": stamp, "level": level, "logger": logger, "message": message, **fields}
    )


def json_entry(entry: Fields) -> bytes:
    """`entry` as one JSON object and its newline, whatever its values."""
    try:
        # Plain JSON values and string keys, as the access and audit lines have: the fastest
        # way orjson has (a `default` or non-string keys cost half as much again).
        return orjson.dumps(entry, option=orjson.OPT_APPEND_NEWLINE)
    except TypeError:
        pass
    try:
        return orjson.dumps(entry, default=str, option=_TOLERANT)
    except TypeError:
        # orjson refuses integers past 64 bits and strings that are not UTF-8; a log line must
        # still be written, with those values as text.
        return orjson.dumps({str(k): _plain(v) for k, v in entry.items()}, option=_TOLERANT)


_CONTROLS = {code: f"\\u{code:04x}" for code in (*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029)}
"""Control characters as escapes: a message carries client text (a decoded path `%0a…`), and a
line break in it would let a client write a line of its own into the log."""


def text_line(stamp: str, level: str, logger: str, message: str) -> bytes:
    """The line of `logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")`, the
    message's control characters escaped."""
    if not message.isprintable():
        message = message.translate(_CONTROLS)
    return f"{stamp} {level} {logger}: {message}\n".encode("utf-8", "backslashreplace")


def _plain(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode()
    if isinstance(value, float | bool) or value is None:
        return value
    return str(value)


class TimeStamps:
    """A line's time as text: RFC 3339 in UTC with milliseconds for the JSON format
    (`2026-11-21T23:52:24.457+00:00`), logging's `asctime` (local) for text.

    A busy gateway writes several lines per millisecond: the text is made once per
    millisecond, and the date and time of day once per second.
    """

    def __init__(self, log_format: str) -> None:
        self._utc = log_format == "json"
        self._millisecond = -1
        self._second = -1
        self._day_time = ""
        self._stamp = ""

    def __call__(self, seconds: float) -> str:
        # Records logged on other threads may race the writer thread here; both compute the
        # same text for the same instant.
        millisecond = int(seconds * 1000)
        if millisecond == self._millisecond:
            return self._stamp
        whole, millis = divmod(millisecond, 1000)
        if whole != self._second:
            clock = time.gmtime(whole) if self._utc else time.localtime(whole)
            self._day_time = time.strftime(
                "%Y-%m-%dT%H:%M:%S" if self._utc else "%Y-%m-%d %H:%M:%S", clock
            )
            self._second = whole
        stamp = (
            f"{self._day_time}.{millis:03d}+00:00"
            if self._utc
            else f"{self._day_time},{millis:03d}"
        )
        self._stamp, self._millisecond = stamp, millisecond
        return stamp


def request_entries(facts: RequestFacts, stamp: str) -> list[dict[str, Any]]:
    """A request's access line, then its audit line, as the entries a JSON line writes."""
    (
        _, level, method, path, route, status, seconds, remote, forwarded_for, client_subject,
        principal, authenticated, user_agent, request_id, action, run_id,
    ) = facts  # fmt: skip
    entries = []
    if level is not None:
        entries.append(
            {
                "time": stamp,
                "level": level,
                "logger": ACCESS,
                "message": f"{method} {path} {status} {seconds * 1000:.1f}ms",
                "access": True,
                "method": method,
                "path": path,
                "route": route,
                "status": status,
                # Whole microseconds as milliseconds: round(seconds * 1000, 3) rounds to
                # decimal places through text (they differ only on an exact half microsecond).
                "duration_ms": round(seconds * 1_000_000) / 1000,
                "remote": remote,
                "forwarded_for": forwarded_for,
                "client_subject": client_subject,
                "principal": principal,
                "user_agent": user_agent,
                "request_id": request_id,
            }
        )
    if action is not None:
        entries.append(
            {
                "time": stamp,
                "level": "INFO",
                "logger": AUDIT,
                "message": f"{action} by {principal or 'anonymous'} on {run_id or '-'}: {status}",
                "audit": True,
                "action": action,
                "principal": principal,
                "authenticated": authenticated,
                "run_id": run_id,
                "status": status,
                "client_subject": client_subject,
                "request_id": request_id,
            }
        )
    return entries


class LineRenderer:
    """Renders what the log writer was given, in `log_format` ("json" or "text")."""

    def __init__(self, log_format: str) -> None:
        self._json = log_format == "json"
        self._stamps = TimeStamps(log_format)

    def request_lines(self, facts: RequestFacts) -> bytes:
        """A request's access line, then its audit line (each only if it is to be written)."""
        entries = request_entries(facts, self._stamps(facts[0]))
        if self._json:
            return b"".join([json_entry(entry) for entry in entries])
        return b"".join(
            [text_line(e["time"], e["level"], e["logger"], e["message"]) for e in entries]
        )

    def batch(self, items: Iterable[Item]) -> bytes:
        """Every item's lines, in order."""
        return b"".join(
            [item if isinstance(item, bytes) else self.request_lines(item) for item in items]
        )
