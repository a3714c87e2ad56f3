"""The log writer: every line reaches the stream, in order, off the caller's thread; and
`cromwes serve` writes its access and audit lines to stderr as JSON, all of them by its exit."""

import asyncio
import io
import json
import logging
import os
import re
import sys
import threading
from pathlib import Path
from typing import Any

import aiohttp

from cromwes.config.settings import LogFormat, ObservabilitySettings
from cromwes.observability.loglines import LineWriter, LogLines, TimeStamps
from cromwes.observability.logsetup import configure_logging
from tests.servers import free_port, stop, wait_for_port


class SlowStream(io.BytesIO):
    """A stream that takes its time, and tells which thread wrote to it."""

    def __init__(self) -> None:
        super().__init__()
        self.writers: set[str] = set()
        self.release = threading.Event()

    def write(self, data: bytes) -> int:  # type: ignore[override]  # BytesIO takes any buffer
        self.writers.add(threading.current_thread().name)
        self.release.wait(10)
        return super().write(data)


def write(lines: LogLines, logger: str, message: str, **fields: Any) -> None:
    """One INFO line, as the access and audit lines are written."""
    lines.write(
        {"time": lines.stamp(), "level": "INFO", "logger": logger, "message": message, **fields}
    )


def test_every_line_is_written_in_order_by_the_writer_thread() -> None:
    stream = SlowStream()
    writer = LineWriter(stream, batch_wait=0.001)
    for index in range(10_000):
        writer.put(b"%d\n" % index)  # never waits for the (blocked) stream
    stream.release.set()
    writer.flush()
    assert stream.getvalue().splitlines() == [b"%d" % index for index in range(10_000)]
    assert stream.writers == {"cromwes-log-lines"}
    writer.close()


def test_lines_from_many_threads_are_all_written_whole() -> None:
    stream = io.BytesIO()
    writer = LineWriter(stream, batch_wait=0.001)

    def emit(thread: int) -> None:
        for index in range(2_000):
            writer.put(b"%d %d\n" % (thread, index))

    threads = [threading.Thread(target=emit, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 8_000
    for number in range(4):
        mine = [line for line in lines if line.startswith(b"%d " % number)]
        assert mine == [b"%d %d" % (number, index) for index in range(2_000)]


def test_close_writes_what_is_queued_before_it_returns() -> None:
    stream = io.BytesIO()
    writer = LineWriter(stream, batch_wait=0.2)
    writer.put(b"last words\n")
    writer.close()
    assert stream.getvalue() == b"last words\n"


def test_json_lines_are_one_object_per_line_whatever_the_values() -> None:
    stream = io.BytesIO()
    lines = LogLines(LineWriter(stream), log_format=LogFormat.JSON, level=logging.INFO)
    write(lines, "cromwes.access", "a\nb", big=2**70, odd="\udcff", n=None)
    lines.close()
    (raw,) = stream.getvalue().splitlines()
    entry = json.loads(raw)
    assert entry["message"] == "a\nb"
    assert entry["big"] == str(2**70)
    assert entry["n"] is None


def test_text_lines_read_as_logging_wrote_them() -> None:
    stream = io.BytesIO()
    lines = LogLines(LineWriter(stream), log_format=LogFormat.TEXT, level=logging.INFO)
    assert lines.level == logging.INFO
    write(lines, "cromwes.audit", "wes:runs:list by alice on -: 200", x=1)
    lines.close()
    text = stream.getvalue().decode()
    assert text.endswith(" INFO cromwes.audit: wes:runs:list by alice on -: 200\n")
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ", text)


def test_time_stamps_are_utc_with_milliseconds() -> None:
    stamps = TimeStamps(LogFormat.JSON)
    assert stamps(1_795_305_144.4579) == "2026-11-21T23:52:24.457+00:00"
    assert stamps(1_795_305_144.4579) == "2026-11-21T23:52:24.457+00:00"
    assert stamps(1_795_305_145.0) == "2026-11-21T23:52:25.000+00:00"


def test_other_records_go_through_the_same_writer_with_their_extra_fields() -> None:
    stream = io.BytesIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        lines = configure_logging(ObservabilitySettings(), stream)
        write(lines, "cromwes.access", "first")
        logging.getLogger("cromwes.test").warning("second %s", "line", extra={"run_id": "r"})
        write(lines, "cromwes.audit", "third")
        lines.close()
    finally:
        root.handlers[:], root.level = handlers, level
    entries = [json.loads(raw) for raw in stream.getvalue().splitlines()]
    assert [e["message"] for e in entries] == ["first", "second line", "third"]
    assert entries[1]["run_id"] == "r"
    assert entries[1]["level"] == "WARNING"


async def test_serve_writes_every_access_and_audit_line_to_stderr_by_its_exit(
    tmp_path: Path,
) -> None:
    """The shipped defaults (JSON, INFO), stderr sent to a file as a deployment does."""
    port = free_port()
    log = tmp_path / "gateway.log"
    env = {
        **os.environ,
        "SERVER_PORT": str(port),
        "WES_CROMWELL_URL": f"http://127.0.0.1:{free_port()}",  # nobody: service-info degrades
        "WES_BLOB_STORAGE_CLIENT_LOCAL_STAGING_PATH": str(tmp_path / "uploads"),
    }
    env.pop("CROMWES_CONFIG", None)
    with log.open("wb") as stderr:
        server = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cromwes", "serve", env=env, cwd=tmp_path, stderr=stderr
        )
    try:
        await wait_for_port(port, server, what="cromwes serve", log=log)
        async with aiohttp.ClientSession() as session:
            for index in range(50):
                url = f"http://127.0.0.1:{port}/ga4gh/wes/v1/service-info"
                async with session.get(url, headers={"X-Request-ID": f"r-{index}"}) as response:
                    assert response.status == 200
    finally:
        await stop(server)
    assert server.returncode == 0
    entries = [json.loads(raw) for raw in log.read_bytes().splitlines()]
    for logger in ("cromwes.access", "cromwes.audit"):
        ids = [e["request_id"] for e in entries if e["logger"] == logger]
        assert ids == [f"r-{index}" for index in range(50)], logger
