"""CromwellClient against a misbehaving server over a socket: every failure is a WES error."""

import json
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import aiohttp
import pytest

from cromwes.config.settings import CromwellSettings, Duration
from cromwes.cromwell.client import CromwellClient
from cromwes.cromwell.types import CromwellSubmission
from cromwes.errors import RunNotFound, UpstreamError, WesError
from tests.cromwell.misbehaving import Misbehaving, http_response, misbehaving_cromwell

ID = "f4272a19-37dd-4d2c-ba48-ff3844107bf8"
STATUS = f"/api/workflows/v1/{ID}/status"
METADATA = f"/api/workflows/v1/{ID}/metadata"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def answer_of(
    session: aiohttp.ClientSession, answers: Mapping[str, bytes], call: str = "status"
) -> tuple[Any, Misbehaving]:
    """What `call` returns, or the WES error it raises, against a server giving `answers`."""
    async with misbehaving_cromwell(answers) as cromwell:
        client = CromwellClient(session, CromwellSettings(url=cromwell.url, timeout=Duration(5)))
        try:
            if call == "status":
                return await client.status(ID), cromwell
            if call == "metadata":
                return (await client.metadata(ID))[0], cromwell
            return await client.submit(SUBMISSION), cromwell
        except WesError as error:
            return error, cromwell


SUBMISSION = CromwellSubmission(
    workflow_source="version 1.0\nworkflow w {}\n",
    workflow_url=None,
    dependencies=None,
    inputs={},
    options={},
    labels={},
)
CUT = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"id": "'
"""Announces 100 bytes, sends 8, closes: a proxy or a crashing Cromwell cut the body."""


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        pytest.param(CUT, "cut its answer to status short", id="truncated-body"),
        pytest.param(
            http_response("200 OK", b"{}", extra=b"X-Huge: " + b"a" * 100_000 + b"\r\n"),
            "malformed answer to status",
            id="oversized-header",
        ),
        pytest.param(
            http_response(
                "200 OK", b"{}", extra=b"".join(b"X-N%d: v\r\n" % n for n in range(20_000))
            ),
            "Too many headers",
            id="too-many-headers",
        ),
        pytest.param(b"NOT HTTP AT ALL\r\n\r\n", "Bad status line", id="bad-status-line"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
            "malformed answer",
            id="bad-chunk",
        ),
        pytest.param(b"", "Cannot reach Cromwell", id="closed-without-answer"),
    ],
)
async def test_broken_answers_are_502_naming_cromwell(
    session: aiohttp.ClientSession, answer: bytes, words: str
) -> None:
    error, cromwell = await answer_of(session, {STATUS: answer})
    assert type(error) is UpstreamError
    assert error.status_code == 502
    assert words in error.msg
    assert cromwell.url in error.msg
    assert len(error.msg) < 400, "aiohttp's text quoting a 100 kB header is cut"


async def test_a_cut_read_is_tried_twice(session: aiohttp.ClientSession) -> None:
    error, cromwell = await answer_of(session, {STATUS: CUT})
    assert isinstance(error, UpstreamError)
    assert cromwell.requested == [STATUS, STATUS]


async def test_a_cut_submit_is_not_sent_again(session: aiohttp.ClientSession) -> None:
    """Cromwell may have accepted the first one."""
    error, cromwell = await answer_of(session, {"/api/workflows/v1": CUT}, call="submit")
    assert isinstance(error, UpstreamError)
    assert cromwell.requested == ["/api/workflows/v1"]


def small_body(recorded: Callable[[str], Any], case: str) -> bytes:
    entry = recorded("more/small-bodies-recorded.json")[case]
    return (
        entry["body_text"].encode() if "body_text" in entry else json.dumps(entry["body"]).encode()
    )


async def test_json_sent_as_text_plain_is_read_as_json(
    session: aiohttp.ClientSession, recorded: Callable[[str], Any]
) -> None:
    """Cromwell 91's raw status body, served as text/plain."""
    body = small_body(recorded, "status_succeeded_v91")
    answer, _ = await answer_of(
        session, {STATUS: http_response("200 OK", body, content_type="text/plain")}
    )
    assert answer == {"status": "Succeeded", "id": "a6b2bbe8-5435-4490-98f8-16ab5afd7436"}


async def test_a_json_404_sent_as_text_plain_is_no_such_run(
    session: aiohttp.ClientSession, recorded: Callable[[str], Any]
) -> None:
    """Cromwell 34 answered an unknown id with its JSON error as text/plain (issue #3911)."""
    body = small_body(recorded, "releaseHold_unknown_id_404_text_plain_v34")
    answer = http_response("404 Not Found", body, content_type="text/plain; charset=UTF-8")
    error, _ = await answer_of(session, {STATUS: answer})
    assert type(error) is RunNotFound
    assert error.status_code == 404


async def test_a_plain_404_of_a_missing_route_is_not_no_such_run(
    session: aiohttp.ClientSession, recorded: Callable[[str], Any]
) -> None:
    """The HTTP framework's own 404 means Cromwell has no such route (a wrong cromwell.url):
    saying the run does not exist would be false."""
    body = small_body(recorded, "unknown_route_plain_text_v21")
    answer = http_response("404 Not Found", body, content_type="text/plain")
    error, _ = await answer_of(session, {STATUS: answer})
    assert type(error) is UpstreamError
    assert error.status_code == 502
    assert "The requested resource could not be found." in error.msg


async def test_method_not_allowed_is_502_with_cromwells_text(
    session: aiohttp.ClientSession, recorded: Callable[[str], Any]
) -> None:
    entry = recorded("errors.json")["wrong_method"]
    answer = http_response(
        "405 Method Not Allowed", entry["body_text"].encode(), content_type=entry["content_type"]
    )
    error, _ = await answer_of(session, {STATUS: answer})
    assert type(error) is UpstreamError
    assert "answered 405 to status: HTTP method not allowed, supported methods: GET" in error.msg


@pytest.mark.parametrize(
    ("path", "call", "body", "words"),
    [
        pytest.param(
            "/api/workflows/v1", "submit", "submit-batch.json", "without a workflow id",
            id="submit-answered-as-a-batch",
        ),
        pytest.param(STATUS, "status", "query-empty.json", "without a workflow id", id="status"),
        pytest.param(
            METADATA, "metadata", "submit-batch.json", "no JSON object", id="metadata-array"
        ),
    ],
)  # fmt: skip
async def test_answers_of_the_wrong_shape_are_502(
    session: aiohttp.ClientSession,
    recorded: Callable[[str], Any],
    path: str,
    call: str,
    body: str,
    words: str,
) -> None:
    """`submit-batch.json` is what `POST /api/workflows/v1/batch` answers: an array, which a
    gateway that reads `id` from its submit answer must refuse rather than crash on."""
    answer = http_response("201 Created", json.dumps(recorded(body)).encode())
    error, _ = await answer_of(session, {path: answer}, call=call)
    assert type(error) is UpstreamError
    assert words in error.msg
