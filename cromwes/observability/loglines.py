"""Log lines at the cost of one render and one queue put: the access and audit lines' path.

`logging` costs about as much per line as a cached service-info answer (a LogRecord, the
caller's frame looked up, filters, a formatter, a lock and a write with a flush per record:
`python -m bench.profile`). The lines every request writes are rendered here once, as bytes,
and handed to a `LineWriter`, whose thread writes them in batches: the event loop neither
waits on the file nor takes a lock. Records of the rest of the code still go through `logging`,
whose root handler (`logsetup.LinesHandler`) renders them the same way into the same writer,
so the lines stay in order.
"""

import logging
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, BinaryIO

import orjson

from cromwes.config.settings import LogFormat

Fields = Mapping[str, Any]
LEADING = ("time", "level", "logger", "message")
"""The first keys of every JSON line; the fields follow."""
_TOLERANT = orjson.OPT_APPEND_NEWLINE | orjson.OPT_NON_STR_KEYS
FLUSH_TIMEOUT = 5.0
BATCH_WAIT = 0.05
"""How often the writer looks for lines to write: lines reach the file at most this late (plus
the write itself)."""


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


class TimeStamps:
    """A line's time as text: RFC 3339 in UTC with milliseconds for JSON
    (`2026-11-21T23:52:24.457+00:00`), logging's `asctime` (local) for text.

    A busy gateway writes several lines per millisecond: the text is made once per
    millisecond, and the date and time of day once per second.
    """

    def __init__(self, log_format: LogFormat) -> None:
        self._utc = log_format is LogFormat.JSON
        self._millisecond = -1
        self._second = -1
        self._day_time = ""
        self._stamp = ""

    def now(self) -> str:
        """The time of a line written now: its text kept from the last line when this is the
        same millisecond, as it is for most lines of a busy gateway."""
        seconds = time.time()
        if int(seconds * 1000) == self._millisecond:
            return self._stamp
        return self(seconds)

    def __call__(self, seconds: float) -> str:
        # The writer thread's records may race the event loop here; both compute the same
        # text for the same instant.
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


def _as_record(entry: dict[str, Any]) -> None:
    fields = {key: value for key, value in entry.items() if key not in LEADING}
    level = logging.getLevelName(entry["level"])
    logging.getLogger(entry["logger"]).log(level, "%s", entry["message"], extra=fields)


def _plain(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode()
    if isinstance(value, float | bool) or value is None:
        return value
    return str(value)


class LineWriter:
    """Writes the lines it is given to `stream` from a thread of its own, a batch per write.

    Queueing a line is a bare deque append, with nothing else on the caller's path: the thread
    is never woken for a line. It looks for lines every `BATCH_WAIT`, a few dozen wake-ups a
    second whether busy or idle, rather than once a line (each wake-up takes the GIL from the
    event loop), and writes what it finds. Nothing is dropped: a line waits until the stream
    takes it. `flush` wakes the thread and waits until every line given so far is written;
    `close` does that and stops the thread.
    """

    put: Callable[[bytes], None]
    """Queue one line (bytes ending in a newline); safe from any thread."""

    def __init__(self, stream: BinaryIO, *, batch_wait: float = BATCH_WAIT) -> None:
        self._stream = stream
        self._batch_wait = batch_wait
        self._pending: deque[bytes] = deque()
        self.put = self._pending.append
        self._flushes: deque[threading.Event] = deque()
        self._closing = False
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cromwes-log-lines", daemon=True)
        self._thread.start()

    def flush(self, timeout: float = FLUSH_TIMEOUT) -> None:
        if not self._thread.is_alive():
            return
        written = threading.Event()
        self._flushes.append(written)
        self._wake.set()
        written.wait(timeout)

    def close(self, timeout: float = FLUSH_TIMEOUT) -> None:
        if self._thread.is_alive():
            self._closing = True
            self._wake.set()
            self._thread.join(timeout)

    def _run(self) -> None:
        pending, flushes, wake = self._pending, self._flushes, self._wake
        while True:
            wake.wait(self._batch_wait)
            wake.clear()
            closing = self._closing
            # The flushes asked for so far, then the lines: every line given before a flush
            # was asked for is in this batch.
            done = [flushes.popleft() for _ in range(len(flushes))]
            if count := len(pending):
                self._write(b"".join([pending.popleft() for _ in range(count)]))
            for event in done:
                event.set()
            if closing:
                return

    def _write(self, data: bytes) -> None:
        try:
            self._stream.write(data)
            self._stream.flush()
        except (OSError, ValueError) as exc:
            # The log's own stream failed (disk full, a closed pipe): say so where a person may
            # still see it, as logging's handleError does, and keep serving.
            print(f"cromwes: cannot write log lines: {exc}", file=sys.__stderr__)


class LogLines:
    """The gateway's log lines at `level` and above, rendered as `log_format` into `writer`.

    Without a writer (an application created without `configure_logging`, e.g. embedded in
    another program) each line becomes a record of the `logging` module, with the same fields,
    and `level` is NOTSET: the `logging` module's own levels choose what is written.
    """

    write: Callable[[dict[str, Any]], None]
    """Write one line given whole: `LEADING` first (`stamp()`, a level name, the logger and
    the message), then the fields; the caller has checked `level`.

    The access and audit lines' path, one per request each: the line is one dict, built once by
    its caller, rendered once and queued, by a function chosen for the format once, here,
    rather than by a choice made again for every line.
    """
    stamp: Callable[[], str]
    """The time of a line written now, as this format writes it."""

    def __init__(
        self,
        writer: LineWriter | None,
        *,
        log_format: LogFormat = LogFormat.JSON,
        level: int = logging.INFO,
    ) -> None:
        self.writer = writer
        self.stamp = TimeStamps(log_format).now
        # Read on every request, so a plain attribute rather than a method of `logging`'s.
        self.level = level if writer is not None else logging.NOTSET
        if writer is None:
            self.write = _as_record
            return
        put = writer.put
        if log_format is LogFormat.JSON:
            self.write = lambda entry: put(json_entry(entry))
        else:
            self.write = lambda entry: put(text_line(*(entry[key] for key in LEADING)))

    def flush(self) -> None:
        if self.writer is not None:
            self.writer.flush()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
