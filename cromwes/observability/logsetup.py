"""Configure logging: one JSON object per line (default) or plain text, written off the loop."""

import logging
import sys
import warnings
from typing import Any, BinaryIO

from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_exceptions import NotAppKeyWarning

from cromwes.config.settings import LogFormat, ObservabilitySettings
from cromwes.observability.linerender import TimeStamps, json_line, text_line
from cromwes.observability.loglines import LineWriter, LogLines
from cromwes.observability.request_ids import CURRENT

_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
"""A LogRecord's own attributes; any other attribute came from `extra=` and is a field."""


class LineFormatter(logging.Formatter):
    """A record as the gateway's line in `log_format`: one JSON object, with the extra fields
    given to the logger kept as keys; or `time LEVEL logger: message`, for people. A traceback
    is the JSON line's `exception`, or follows the text line."""

    def __init__(self, log_format: LogFormat) -> None:
        super().__init__()
        self._json = log_format is LogFormat.JSON
        self._stamps = TimeStamps(log_format)

    def format(self, record: logging.LogRecord) -> str:
        return self.line(record).decode().rstrip("\n")

    def line(self, record: logging.LogRecord) -> bytes:
        stamp, message = self._stamps(record.created), record.getMessage()
        trace = self.formatException(record.exc_info) if record.exc_info else None
        if self._json:
            fields = {k: v for k, v in vars(record).items() if k not in _STANDARD}
            if trace is not None:
                fields["exception"] = trace
            return json_line(stamp, record.levelname, record.name, message, fields)
        text = text_line(stamp, record.levelname, record.name, message)
        return text if trace is None else text + (trace + "\n").encode()


class RequestIdFilter(logging.Filter):
    """Stamp every record logged while a request is served with that request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if (current := CURRENT.get()) is not None and not hasattr(record, "request_id"):
            record.request_id = current
        return True


class MalformedRequestFilter(logging.Filter):
    """aiohttp answers a request it cannot parse (a client's malformed HTTP: a bare line feed in
    a header, an overlong line) with a 400 of its own, and logs it at ERROR with a traceback of
    its parser: any client could fill the log with those. It is the client's error: one WARNING
    line naming the client and what was wrong, no traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError) and error.code == 400:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            client = record.args[0] if isinstance(record.args, tuple) and record.args else None
            what = (error.message.strip().splitlines() or [type(error).__name__])[0].rstrip(":")
            record.msg, record.args = "Malformed request from %s: %s", (client, what)
            record.exc_info = record.exc_text = None
        return True


class LinesHandler(logging.Handler):
    """The root handler: every other record, rendered as the access lines are, into their
    writer, so that all lines keep their order."""

    def __init__(self, lines: LogLines, writer: LineWriter, log_format: LogFormat) -> None:
        super().__init__()
        self._lines = lines
        self._writer = writer
        self._formatter = LineFormatter(log_format)
        self.addFilter(RequestIdFilter())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._writer.put(self._formatter.line(record))
        except Exception:  # as logging's own handlers: report, never raise to the caller
            self.handleError(record)

    def flush(self) -> None:
        self._lines.flush()

    def close(self) -> None:
        self._lines.close()
        super().close()


def configure_logging(settings: ObservabilitySettings, stream: BinaryIO | Any = None) -> LogLines:
    """Send every line to `stream` (default: stderr) through one writer thread, and its line
    sink when the stream is a file descriptor; the returned `LogLines` is the access and audit
    lines' way to it (`create_app(log_lines=...)`)."""
    writer = LineWriter(
        stream if stream is not None else sys.stderr.buffer, log_format=settings.log_format
    )
    level = logging.getLevelName(settings.log_level.upper())
    lines = LogLines(writer, level=level)
    root = logging.getLogger()
    root.handlers[:] = [LinesHandler(lines, writer, settings.log_format)]
    root.setLevel(level)
    server = logging.getLogger("aiohttp.server")
    if not any(isinstance(each, MalformedRequestFilter) for each in server.filters):
        server.addFilter(MalformedRequestFilter())
    # aiohttp-apigami keeps its state under plain string keys; the warning is not ours to fix.
    warnings.filterwarnings("ignore", category=NotAppKeyWarning, module="aiohttp_apigami")
    return lines
