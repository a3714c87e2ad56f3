"""Records of the `logging` module, as `configure_logging` writes them: in JSON, one object a line
with the record's extra fields and its traceback as keys; in text, logging's own line with the
traceback after it. Both byte for byte but for the time stamp."""

import io
import json
import logging
import re
import traceback

from cromwes.config.settings import LogFormat, ObservabilitySettings
from cromwes.observability.logsetup import configure_logging

STAMPS = {
    LogFormat.JSON: re.compile(rb'^\{"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00"', re.M),
    LogFormat.TEXT: re.compile(rb"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ", re.M),
}
"""The start of a line, in each format, up to the end of its time stamp."""
UNSTAMPED = {LogFormat.JSON: b'{"time":"STAMP"', LogFormat.TEXT: b"STAMP "}


def logged(log_format: LogFormat) -> tuple[bytes, str]:
    """What the root logger writes of a record with extra fields and of one with a traceback
    (its time stamps as `STAMP`), and that traceback as logging formats it."""
    stream = io.BytesIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        lines = configure_logging(ObservabilitySettings(log_format=log_format), stream)
        logger = logging.getLogger("cromwes.test")
        logger.warning("plain %s", "line", extra={"run_id": "r-1", "attempt": 2})
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("failed\nto %s", "go")
            trace = traceback.format_exc().removesuffix("\n")
        lines.close()
    finally:
        root.handlers[:], root.level = handlers, level
    text, stamped = STAMPS[log_format].subn(UNSTAMPED[log_format], stream.getvalue())
    assert stamped == 2, text
    return text, trace


def test_json_lines_keep_the_extra_fields_and_the_traceback_as_keys() -> None:
    text, trace = logged(LogFormat.JSON)
    exception = json.dumps(trace, ensure_ascii=False)
    assert text == (
        b'{"time":"STAMP","level":"WARNING","logger":"cromwes.test","message":"plain line",'
        b'"run_id":"r-1","attempt":2}\n'
        b'{"time":"STAMP","level":"ERROR","logger":"cromwes.test","message":"failed\\nto go",'
        b'"exception":' + exception.encode() + b"}\n"
    )


def test_text_lines_are_loggings_own_with_the_traceback_after_them() -> None:
    text, trace = logged(LogFormat.TEXT)
    assert text == (
        b"STAMP WARNING cromwes.test: plain line\n"
        b"STAMP ERROR cromwes.test: failed\\u000ato go\n" + trace.encode() + b"\n"
    )
    assert trace.startswith("Traceback (most recent call last):")
    assert trace.endswith("ValueError: boom")
