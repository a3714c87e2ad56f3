"""The log writer: every line reaches the stream, in order, off the caller's thread, rendered by
the line sink (a child process) when the stream is a file, by the writer's thread otherwise,
byte for byte the same; and `cromwes serve` writes its access and audit lines to stderr as
JSON through its sink, all of them by its exit, and all after losing its sink."""

import asyncio
import io
import json
import logging
import os
import re
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from cromwes.config.settings import LogFormat, ObservabilitySettings
from cromwes.observability.linerender import ACCESS, Item, RequestFacts, TimeStamps, json_line
from cromwes.observability.loglines import LineWriter, LogLines
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


def request(
    request_id: str,
    *,
    action: str | None = None,
    access: str | None = "INFO",
    when: float = 1_795_305_144.4579,
    path: str = "/ga4gh/wes/v1/runs",
    route: str = "/ga4gh/wes/v1/runs",
    status: int = 200,
    seconds: float = 0.0012345,
    remote: str | None = "127.0.0.1",
    forwarded_for: str | None = None,
    principal: str | None = "alice",
    authenticated: bool = True,
    user_agent: str | None = "tests/1",
    run_id: str | None = None,
) -> RequestFacts:
    """The facts of an answered request (GET /ga4gh/wes/v1/runs), as the gateway gathers them."""
    return (
        when, access, "GET", path, route, status, seconds, remote, forwarded_for, None,
        principal, authenticated, user_agent, request_id, action, run_id,
    )  # fmt: skip


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
    line = json_line("now", "INFO", "x", "a\nb", {"big": 2**70, "odd": "\udcff", "n": None})
    (raw,) = line.splitlines()
    entry = json.loads(raw)
    assert entry["message"] == "a\nb"
    assert entry["big"] == str(2**70)
    assert entry["n"] is None


def test_text_lines_read_as_logging_wrote_them() -> None:
    stream = io.BytesIO()
    lines = LogLines(LineWriter(stream, log_format=LogFormat.TEXT), level=logging.INFO)
    assert lines.level == logging.INFO
    lines.request(request("r-1", action="wes:runs:list", access=None))
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
        lines.request(request("first"))
        logging.getLogger("cromwes.test").warning("second %s", "line", extra={"run_id": "r"})
        lines.request(request("third", action="wes:runs:list", access=None))
        lines.close()
    finally:
        root.handlers[:], root.level = handlers, level
    entries = [json.loads(raw) for raw in stream.getvalue().splitlines()]
    assert [e["message"] for e in entries] == [
        "GET /ga4gh/wes/v1/runs 200 1.2ms",
        "second line",
        "wes:runs:list by alice on -: 200",
    ]
    assert entries[1]["run_id"] == "r"
    assert entries[1]["level"] == "WARNING"


HOSTILE: list[Item] = [
    request("plain", action="wes:runs:list"),
    request("quiet", access="DEBUG", path="/health/live", route="/health/live"),
    request("audit-only", action="wes:run:read", access=None, run_id="r-1", principal=None),
    b'{"logger":"a line rendered before"}\n',
    request(
        'quote"and\ncontrols\x00\x1b\u2028',
        action="wes:run:cancel",
        path='/ga4gh/wes/v1/runs/x"\n2026-12-07 20:31:00,000 INFO forged\r\x7f',
        user_agent="\udcff lone \ud800 surrogates \U0001f600",
        forwarded_for="\\" * 10,
        run_id="x\u0085y",
        when=1_795_305_145.9999,
        seconds=123.4565,
    ),
    request("long", path="/" + "p" * 300_000, user_agent="u" * 1_000_000, status=499),
    request("a 404", status=404, route="unmatched", remote=None, authenticated=False),
]
"""Requests as a client may shape them: quotes, line breaks and control characters in the path
and the user agent, lone surrogates (headers are decoded with surrogateescape), huge values."""


def state_of(pid: int) -> str | None:
    """A process's state (`R`, `S`, `Z` for ended but not reaped...), None once reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return None


def sink_of(pid: int) -> int | None:
    """The child of process `pid` running the line sink, if it has one."""
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in children.read_text().split():
            command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
            if b"cromwes.observability.linesink" in command:
                return int(child)
    return None


@pytest.mark.parametrize("log_format", list(LogFormat))
def test_the_sink_renders_the_bytes_the_writer_thread_renders(
    tmp_path: Path, log_format: LogFormat
) -> None:
    here = io.BytesIO()  # no file descriptor: rendered by the writer's thread
    path = tmp_path / "gateway.log"
    with path.open("wb") as stream:
        writers = [
            LineWriter(stream, log_format=log_format),
            LineWriter(here, log_format=log_format),
        ]
        sink = writers[0].sink_pid
        assert sink is not None
        assert sink_of(os.getpid()) == sink
        assert writers[1].sink_pid is None
        for writer in writers:
            for item in HOSTILE:
                writer.put(item)
            writer.close()
    assert path.read_bytes() == here.getvalue()
    assert state_of(sink) is None  # ended with its input, and reaped
    lines = here.getvalue().splitlines()
    assert len(lines) == 9
    if log_format is LogFormat.JSON:
        entries = [json.loads(line) for line in lines]
        assert [e.get("request_id") for e in entries] == [
            "plain", "plain", "quiet", "audit-only", None, HOSTILE[4][13], HOSTILE[4][13],
            "long", "a 404",
        ]  # fmt: skip
        assert entries[5]["path"] == HOSTILE[4][3]
        assert entries[5]["user_agent"] == "\\udcff lone \\ud800 surrogates \U0001f600"
        assert entries[5]["duration_ms"] == 123456.5
        assert entries[7]["user_agent"] == "u" * 1_000_000
    else:
        assert lines[5].endswith(
            b' INFO cromwes.access: GET /ga4gh/wes/v1/runs/x"\\u000a2026-12-07 20:31:00,000'
            b" INFO forged\\u000d\\u007f 200 123456.5ms"
        )


def test_request_lines_are_written_as_always() -> None:
    """Byte for byte the lines the gateway wrote before the sink (the README's examples)."""
    stream = io.BytesIO()
    writer = LineWriter(stream)
    writer.put(request("r-1", action="wes:runs:list", forwarded_for="10.0.0.1"))
    writer.close()
    assert stream.getvalue() == (
        b'{"time":"2026-11-21T23:52:24.457+00:00","level":"INFO","logger":"cromwes.access",'
        b'"message":"GET /ga4gh/wes/v1/runs 200 1.2ms","access":true,"method":"GET",'
        b'"path":"/ga4gh/wes/v1/runs","route":"/ga4gh/wes/v1/runs","status":200,'
        b'"duration_ms":1.234,"remote":"127.0.0.1","forwarded_for":"10.0.0.1",'
        b'"client_subject":null,"principal":"alice","user_agent":"tests/1","request_id":"r-1"}\n'
        b'{"time":"2026-11-21T23:52:24.457+00:00","level":"INFO","logger":"cromwes.audit",'
        b'"message":"wes:runs:list by alice on -: 200","audit":true,"action":"wes:runs:list",'
        b'"principal":"alice","authenticated":true,"run_id":null,"status":200,'
        b'"client_subject":null,"request_id":"r-1"}\n'
    )


def serve_env(tmp_path: Path, port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "SERVER_PORT": str(port),
        "WES_CROMWELL_URL": f"http://127.0.0.1:{free_port()}",  # nobody: service-info degrades
        "WES_BLOB_STORAGE_CLIENT_LOCAL_STAGING_PATH": str(tmp_path / "uploads"),
    }
    env.pop("CROMWES_CONFIG", None)
    return env


async def service_info(port: int, ids: range) -> None:
    async with aiohttp.ClientSession() as session:
        for index in ids:
            url = f"http://127.0.0.1:{port}/ga4gh/wes/v1/service-info"
            async with session.get(url, headers={"X-Request-ID": f"r-{index}"}) as response:
                assert response.status == 200


@asynccontextmanager
async def serving(tmp_path: Path, *command: str | Path) -> AsyncIterator[tuple[int, int]]:
    """`command` (default: `python -m cromwes serve`) with the shipped defaults, its stderr
    sent to `tmp_path/gateway.log` as a deployment does: its port and pid while it serves; it
    is stopped, and must have exited cleanly, afterwards."""
    port = free_port()
    log = tmp_path / "gateway.log"
    with log.open("wb") as stderr:
        server = await asyncio.create_subprocess_exec(
            *(command or (sys.executable, "-m", "cromwes", "serve")),
            env=serve_env(tmp_path, port), cwd=tmp_path, stderr=stderr,
        )  # fmt: skip
    try:
        await wait_for_port(port, server, what="cromwes serve", log=log)
        yield port, server.pid
    finally:
        await stop(server)
    assert server.returncode == 0


def logged(tmp_path: Path) -> list[dict[str, Any]]:
    """The entries `serving` wrote to its log."""
    return [json.loads(raw) for raw in (tmp_path / "gateway.log").read_bytes().splitlines()]


async def test_serve_writes_every_access_and_audit_line_to_stderr_by_its_exit(
    tmp_path: Path,
) -> None:
    """The shipped defaults (JSON, INFO), stderr sent to a file as a deployment does: the lines
    are written by the gateway's line sink."""
    async with serving(tmp_path) as (port, pid):
        sink = sink_of(pid)
        assert sink is not None, "no line sink"
        await service_info(port, range(50))
    entries = logged(tmp_path)
    for logger in ("cromwes.access", "cromwes.audit"):
        ids = [e["request_id"] for e in entries if e["logger"] == logger]
        assert ids == [f"r-{index}" for index in range(50)], logger
    assert not [e for e in entries if e["logger"] == "cromwes.observability.loglines"]
    assert state_of(sink) is None


async def test_serve_writes_its_lines_itself_once_its_sink_is_killed(tmp_path: Path) -> None:
    async with serving(tmp_path) as (port, pid):
        await service_info(port, range(10))
        sink = sink_of(pid)
        assert sink is not None, "no line sink"
        os.kill(sink, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while state_of(sink) != "Z":
            assert time.monotonic() < deadline, "the killed line sink never ended"
            await asyncio.sleep(0.01)
        await service_info(port, range(10, 60))
    entries = logged(tmp_path)
    for logger in ("cromwes.access", "cromwes.audit"):
        ids = [e["request_id"] for e in entries if e["logger"] == logger]
        assert ids[-50:] == [f"r-{index}" for index in range(10, 60)], logger
    (warning,) = [e for e in entries if e["logger"] == "cromwes.observability.loglines"]
    assert warning["level"] == "WARNING"
    assert warning["message"].startswith("The line sink ended (Broken pipe), exit status -9: ")
    assert "rendered in the gateway's process" in warning["message"]


async def test_the_sink_is_the_installed_one_whatever_the_working_directory(
    tmp_path: Path,
) -> None:
    """The `cromwes` command started in a folder holding a `cromwes` package of someone else's:
    the line sink it starts is still the installed one."""
    decoy = tmp_path / "cromwes" / "observability"
    decoy.mkdir(parents=True)
    for package in (decoy.parent, decoy):
        (package / "__init__.py").write_text("")
    (decoy / "linesink.py").write_text(
        "import os, sys\nos.write(1, b'decoy ran\\n')\nos.write(int(sys.argv[2]), b'.')\n"
        "sys.stdin.buffer.read()\n"
    )
    command = Path(sys.executable).parent / "cromwes"  # the console script, as installed
    async with serving(tmp_path, command, "serve") as (port, pid):
        assert sink_of(pid) is not None, "no line sink"
        await service_info(port, range(5))
    assert b"decoy ran" not in (tmp_path / "gateway.log").read_bytes()
    ids = [e["request_id"] for e in logged(tmp_path) if e["logger"] == ACCESS]
    assert ids == [f"r-{index}" for index in range(5)]


async def test_a_malformed_request_is_one_warning_line_not_a_traceback(tmp_path: Path) -> None:
    """aiohttp answers HTTP it cannot parse with a 400 itself; the log gets one WARNING line."""
    async with serving(tmp_path) as (port, _):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b'GET /ga4gh/wes/v1/service-info HTTP/1.1\r\nUser-Agent: evil"\nx\r\n\r\n')
        assert (await reader.readline()).split()[1] == b"400"
        writer.close()
        await writer.wait_closed()
    (entry,) = [e for e in logged(tmp_path) if e["logger"] == "aiohttp.server"]
    assert entry["level"] == "WARNING"
    assert "exception" not in entry
    assert entry["message"] == (
        "Malformed request from 127.0.0.1: Missing expected CR after header value"
    )
