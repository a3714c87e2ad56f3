"""The access and audit lines, as the shipped writer puts them in a file: fields, order, secrets."""

import asyncio
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from cromwes.config.settings import LogFormat, ObservabilitySettings
from cromwes.observability.loglines import LineWriter, LogLines
from cromwes.observability.logsetup import configure_logging
from tests.api.basic import ALICE, BASIC_AUTH
from tests.api.conftest import MakeStack, hello_form

ACCESS_KEYS = [
    "time", "level", "logger", "message", "access", "method", "path", "route", "status",
    "duration_ms", "remote", "forwarded_for", "client_subject", "principal", "user_agent",
    "request_id",
]  # fmt: skip
AUDIT_KEYS = [
    "time", "level", "logger", "message", "audit", "action", "principal", "authenticated",
    "run_id", "status", "client_subject", "request_id",
]  # fmt: skip
"""The README's example lines, key for key and in that order."""


@dataclass
class LogFile:
    lines: LogLines
    path: Path

    def read(self, logger: str | None = None) -> list[dict[str, Any]]:
        """Every line written so far (of one logger), each a JSON object on one line."""
        self.lines.flush()
        entries = [json.loads(raw) for raw in self.path.read_bytes().splitlines()]
        return [entry for entry in entries if logger is None or entry["logger"] == logger]


def log_file(path: Path, level: int) -> Iterator[LogFile]:
    with path.open("wb") as stream:
        lines = LogLines(LineWriter(stream, log_format=LogFormat.JSON), level=level)
        yield LogFile(lines, path)
        lines.close()


@pytest.fixture
def info_log(tmp_path: Path) -> Iterator[LogFile]:
    """The shipped defaults: JSON lines at INFO, written by the writer thread to a file."""
    yield from log_file(tmp_path / "gateway.log", logging.INFO)


@pytest.fixture
def debug_log(tmp_path: Path) -> Iterator[LogFile]:
    yield from log_file(tmp_path / "gateway.log", logging.DEBUG)


async def test_access_and_audit_lines_name_caller_action_and_run(
    make_stack: MakeStack, info_log: LogFile
) -> None:
    stack = await make_stack(settings=BASIC_AUTH, log_lines=info_log.lines)
    submitted = await stack.wes.post(
        "runs",
        data=hello_form(controlled=True),
        headers={**ALICE, "X-Request-ID": "submit-1", "User-Agent": "tests/1"},
        expect=200,
    )
    run_id = submitted.json["run_id"]
    await stack.wes.get(f"runs/{run_id}", headers={**ALICE, "X-Request-ID": "read-1"}, expect=200)
    await stack.wes.post(f"runs/{run_id}/cancel", headers=ALICE, expect=200)

    audit = info_log.read("cromwes.audit")
    assert [(a["action"], a["principal"], a["run_id"], a["status"]) for a in audit] == [
        ("wes:runs:submit", "alice", run_id, 200),
        ("wes:run:read", "alice", run_id, 200),
        ("wes:run:cancel", "alice", run_id, 200),
    ]
    assert audit[0]["request_id"] == "submit-1"
    assert audit[0]["message"] == f"wes:runs:submit by alice on {run_id}: 200"
    assert audit[0]["authenticated"] is True
    access = info_log.read("cromwes.access")
    read = next(a for a in access if a["request_id"] == "read-1")
    assert read["route"] == "/ga4gh/wes/v1/runs/{run_id}"
    assert read["path"] == f"/ga4gh/wes/v1/runs/{run_id}"
    assert (read["method"], read["status"], read["principal"]) == ("GET", 200, "alice")
    assert read["remote"] == "127.0.0.1"
    assert isinstance(read["duration_ms"], float)
    assert read["level"] == "INFO"
    assert read["message"].startswith(f"GET /ga4gh/wes/v1/runs/{run_id} 200 ")
    submit = next(a for a in access if a["request_id"] == "submit-1")
    assert submit["user_agent"] == "tests/1"


async def test_lines_have_the_documented_fields_in_order(
    make_stack: MakeStack, info_log: LogFile
) -> None:
    stack = await make_stack(log_lines=info_log.lines)
    await stack.wes.get("service-info", expect=200)
    (access,) = info_log.read("cromwes.access")
    (audit,) = info_log.read("cromwes.audit")
    assert list(access) == ACCESS_KEYS
    assert list(audit) == AUDIT_KEYS
    assert access["time"].endswith("+00:00")
    assert len(access["time"]) == len("2026-11-21T23:52:24.457+00:00")


async def test_refused_callers_are_audited_too(make_stack: MakeStack, info_log: LogFile) -> None:
    stack = await make_stack(settings=BASIC_AUTH, log_lines=info_log.lines)
    await stack.wes.get("runs", expect=401)
    (audit,) = info_log.read("cromwes.audit")
    assert (audit["action"], audit["principal"], audit["status"]) == ("wes:runs:list", None, 401)


async def test_probes_are_logged_at_debug_only(make_stack: MakeStack, info_log: LogFile) -> None:
    stack = await make_stack(log_lines=info_log.lines)
    await stack.wes.get("/health/live", expect=200)
    await stack.wes.get("/metrics", expect=200)
    await stack.wes.get("/healthy", expect=404)  # not below /health: a line at INFO
    assert [line["path"] for line in info_log.read("cromwes.access")] == ["/healthy"]


async def test_no_credentials_or_query_strings_are_logged(
    make_stack: MakeStack, debug_log: LogFile
) -> None:
    stack = await make_stack(settings=BASIC_AUTH, log_lines=debug_log.lines)
    await stack.wes.get("runs?page_token=very-secret-token", headers=ALICE, expect=400)
    await stack.wes.get("runs", headers={"Authorization": "Bearer not.a.valid-token"}, expect=401)
    await stack.wes.get("/health/live", expect=200)
    debug_log.read()  # flushed
    text = debug_log.path.read_text()
    assert "/ga4gh/wes/v1/runs" in text
    assert '"path":"/health/live"' in text
    for secret in ("wonderland-secret", ALICE["Authorization"], "very-secret", "not.a.valid"):
        assert secret not in text


async def test_the_client_certificate_subject_from_the_proxy_is_logged(
    make_stack: MakeStack, info_log: LogFile
) -> None:
    stack = await make_stack(log_lines=info_log.lines)
    subject = "CN=workbench,O=cromwes-test"
    await stack.wes.get("runs", headers={"X-SSL-Client-S-DN": subject}, expect=200)
    (access,) = info_log.read("cromwes.access")
    (audit,) = info_log.read("cromwes.audit")
    assert access["client_subject"] == audit["client_subject"] == subject


async def test_without_a_writer_lines_are_records_of_the_logging_module(
    make_stack: MakeStack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    stack = await make_stack()
    await stack.wes.get("service-info", headers={"X-Request-ID": "embedded-1"}, expect=200)
    (access,) = [r for r in caplog.records if r.name == "cromwes.access"]
    (audit,) = [r for r in caplog.records if r.name == "cromwes.audit"]
    assert access.getMessage().startswith("GET /ga4gh/wes/v1/service-info 200 ")
    assert vars(access)["request_id"] == vars(audit)["request_id"] == "embedded-1"
    assert vars(audit)["action"] == "wes:service-info"


async def test_a_path_cannot_write_a_line_of_its_own_into_a_text_log(
    make_stack: MakeStack, tmp_path: Path
) -> None:
    forged = "2026-12-07 20:31:00,000 INFO cromwes.audit: wes:run:cancel by admin on victim: 200"
    path = tmp_path / "gateway.log"
    with path.open("wb") as stream:
        lines = LogLines(LineWriter(stream, log_format=LogFormat.TEXT), level=logging.INFO)
        stack = await make_stack(log_lines=lines)
        await stack.wes.get(f"runs/x%0a{quote(forged)}/status", expect=404)
        await stack.wes.get(f"/nothing%0d%0a{quote(forged)}", expect=404)
        lines.close()
    text = path.read_text()
    assert not [line for line in text.splitlines() if line.startswith(forged)], text
    assert text.count("\\u000a" + forged) == 3, text  # the access line, its audit line, the 404
    assert len(text.splitlines()) == 3, text


async def test_a_static_files_line_says_the_status_it_was_sent_with(
    make_stack: MakeStack, info_log: LogFile
) -> None:
    # A FileResponse settles 304 and 416 only as aiohttp sends it, after the gateway's
    # middleware returned it: its line is written once it was sent.
    stack = await make_stack(log_lines=info_log.lines)
    client = stack.wes.client
    async with client.get("/ui/app.js") as first:
        assert first.status == 200
        etag = first.headers["ETag"]
        await first.read()
    async with client.get("/ui/app.js", headers={"If-None-Match": etag}) as again:
        assert again.status == 304
    async with client.get("/ui/app.js", headers={"Range": "bytes=99999999-"}) as beyond:
        assert beyond.status == 416
    expected = [200, 304, 416]
    deadline = time.monotonic() + 10
    while (
        statuses := [
            a["status"] for a in info_log.read("cromwes.access") if a["path"] == "/ui/app.js"
        ]
    ) != expected:
        assert len(statuses) < len(expected), statuses
        assert time.monotonic() < deadline, statuses
        await asyncio.sleep(0.01)
    async with client.get("/metrics") as response:
        text = await response.text()
    assert 'route="/ui/{name}",status="304"' in text
    assert 'route="/ui/{name}",status="416"' in text


async def test_a_record_logged_between_two_requests_lands_between_their_lines(
    make_stack: MakeStack, tmp_path: Path
) -> None:
    # The requests' lines are rendered by the line sink, the record by the gateway: one order.
    path = tmp_path / "gateway.log"
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        with path.open("wb") as stream:
            lines = configure_logging(ObservabilitySettings(), stream)
            assert lines.writer is not None
            assert lines.writer.sink_pid is not None
            stack = await make_stack(log_lines=lines)
            await stack.wes.get("service-info", headers={"X-Request-ID": "before"}, expect=200)
            logging.getLogger("tests.between").warning("between the two")
            await stack.wes.get("service-info", headers={"X-Request-ID": "after"}, expect=200)
            lines.flush()
            written = [json.loads(raw) for raw in path.read_bytes().splitlines()]
            lines.close()
    finally:
        root.handlers[:], root.level = handlers, level
    order = [
        entry.get("request_id", entry["message"])
        for entry in written
        if entry["logger"] in ("cromwes.access", "cromwes.audit", "tests.between")
    ]
    assert order == ["before", "before", "between the two", "after", "after"]
