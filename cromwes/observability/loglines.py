"""Log lines at the cost of a tuple and a queue put: the access and audit lines' path.

`logging` costs about as much per line as a cached service-info answer (a LogRecord, the
caller's frame looked up, filters, a formatter, a lock and a write with a flush per record:
`python -m bench.profile`), and even one render per line costs the event loop a sixth of a
cached answer. The request path therefore hands a `LineWriter` only the facts of each answered
request (`linerender.RequestFacts`); its thread hands them in batches to the line sink, a child
process that renders and writes them (`linesink`), so the rendering runs on another core.
Records of the rest of the code still go through `logging`, whose root handler
(`logsetup.LinesHandler`) renders them into the same writer, so the lines stay in order.

When the stream has no file descriptor (a BytesIO), or the sink cannot start or ends, the
writer's thread renders with the same `LineRenderer`, here: the same bytes, nothing lost.
"""

import logging
import marshal
import sys
import threading
from collections import deque
from collections.abc import Callable
from typing import BinaryIO

from cromwes.config.settings import LogFormat
from cromwes.observability.linerender import Item, LineRenderer, RequestFacts, request_entries
from cromwes.observability.sinkpipe import SinkGone, SinkPipe

FLUSH_TIMEOUT = 5.0
BATCH_WAIT = 0.5
"""How often the writer looks for lines to write: lines reach the file at most this late (plus
the write itself). Each look takes the GIL from the event loop at least twice, and on this
shared 2-core host getting it back is slow: a look every 0.5 s rather than every 0.05 s cost
less gateway CPU per request in 11 of 14 paired rounds of GET /service-info (issue 15)."""
logger = logging.getLogger(__name__)


class LineWriter:
    """Writes what it is given to `stream` from a thread of its own, a batch at a time: through
    the line sink when the stream has a file descriptor, else rendered by the thread itself.

    Queueing a line or a request's facts is a bare deque append, with nothing else on the
    caller's path: the thread is never woken for a line. It looks for lines every `BATCH_WAIT`,
    a few wake-ups a second whether busy or idle, rather than once a line (each wake-up takes
    the GIL from the event loop), and passes on what it finds. Nothing is dropped: a line
    waits until the stream takes it. `flush` wakes the thread and waits until every line given
    so far is in the stream; `close` does that, ends the sink and stops the thread.
    """

    put: Callable[[Item], None]
    """Queue one line (bytes ending in a newline) or a request's facts; safe from any thread."""

    def __init__(
        self,
        stream: BinaryIO,
        *,
        log_format: LogFormat = LogFormat.JSON,
        batch_wait: float = BATCH_WAIT,
    ) -> None:
        self._stream = stream
        self._render = LineRenderer(log_format)
        self._batch_wait = batch_wait
        self._pending: deque[Item] = deque()
        self.put = self._pending.append
        self._flushes: deque[threading.Event] = deque()
        self._closing = False
        self._wake = threading.Event()
        self._sink: SinkPipe | None = None
        self._sink_trouble = ""
        if (out := _file_descriptor(stream)) is not None:
            try:
                stream.flush()  # what was written before goes first
                self._sink = SinkPipe(out, log_format)
            except SinkGone as exc:
                self._sink_trouble = str(exc)
        self._thread = threading.Thread(target=self._run, name="cromwes-log-lines", daemon=True)
        self._thread.start()

    @property
    def sink_pid(self) -> int | None:
        """The line sink's process id, None when the lines are rendered here."""
        return self._sink.pid if self._sink is not None else None

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
        if self._sink is not None:
            self._sink_trouble = self._unless_gone(self._sink.ready)
        while True:
            wake.wait(self._batch_wait)
            wake.clear()
            closing = self._closing
            if self._sink_trouble:
                self._lose_sink()
            # The flushes asked for so far, then the lines: every line given before a flush
            # was asked for is in this batch.
            done = [flushes.popleft() for _ in range(len(flushes))]
            if count := len(pending):
                self._write([pending.popleft() for _ in range(count)])
            if done and self._sink is not None:
                self._sink_trouble = self._unless_gone(self._sink.written)
            for event in done:
                event.set()
            if closing:
                while count := len(pending):  # what losing the sink just logged
                    self._write([pending.popleft() for _ in range(count)])
                if self._sink is not None:
                    self._sink.close()
                return

    def _write(self, items: list[Item]) -> None:
        if (sink := self._sink) is not None:
            try:
                payload = marshal.dumps(items)
            except ValueError:  # a value of a type marshal does not know (a str subclass)
                payload = marshal.dumps([self._render.batch(items)])
            self._sink_trouble = self._unless_gone(lambda: sink.send(payload))
            if not self._sink_trouble:
                return
            # Not handed over: these lines are written here, after what the sink wrote.
            self._lose_sink()
        self._write_here(self._render.batch(items))

    @staticmethod
    def _unless_gone(step: Callable[[], None]) -> str:
        """What went wrong with the sink during `step`, or "" if nothing did."""
        try:
            step()
        except SinkGone as exc:
            return str(exc)
        return ""

    def _lose_sink(self) -> None:
        """Render here from now on, and say so once, as a line of the log itself."""
        trouble, sink = self._sink_trouble, self._sink
        self._sink, self._sink_trouble = None, ""
        if sink is not None:
            trouble = f"{trouble}, {sink.abandon()}"
        logger.warning(
            "The line sink %s: log lines are rendered in the gateway's process from now on; "
            "lines handed to it but not yet written may be missing",
            trouble,
        )

    def _write_here(self, data: bytes) -> None:
        try:
            self._stream.write(data)
            self._stream.flush()
        except (OSError, ValueError) as exc:
            # The log's own stream failed (disk full, a closed pipe): say so where a person may
            # still see it, as logging's handleError does, and keep serving.
            print(f"cromwes: cannot write log lines: {exc}", file=sys.__stderr__)


def _file_descriptor(stream: BinaryIO) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError):  # a BytesIO has none
        return None


LEADING = ("time", "level", "logger", "message")


def _as_records(facts: RequestFacts) -> None:
    for entry in request_entries(facts, ""):
        fields = {key: value for key, value in entry.items() if key not in LEADING}
        level = logging.getLevelName(entry["level"])
        logging.getLogger(entry["logger"]).log(level, "%s", entry["message"], extra=fields)


class LogLines:
    """The gateway's access and audit lines at `level` and above, queued to `writer`.

    Without a writer (an application created without `configure_logging`, e.g. embedded in
    another program) each line becomes a record of the `logging` module, with the same fields,
    and `level` is NOTSET: the `logging` module's own levels choose what is written.
    """

    request: Callable[[RequestFacts], None]
    """Queue an answered request's lines, given as its facts; the caller has checked `level`.
    The writer's own deque append: one call per request on the event loop."""

    def __init__(self, writer: LineWriter | None, *, level: int = logging.INFO) -> None:
        self.writer = writer
        # Read on every request, so a plain attribute rather than a method of `logging`'s.
        self.level = level if writer is not None else logging.NOTSET
        self.request = writer.put if writer is not None else _as_records

    def flush(self) -> None:
        if self.writer is not None:
            self.writer.flush()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
