"""Where a submitted WDL's sources come from: the submission itself and http(s) URLs, never a
host file named by the submission, never the emulator's own listeners; and what a failure to
load says (the submitted file's name, at most a short excerpt of the submitter's own text)."""

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer

from cromwes.emulator.config import EmulatorConfig
from cromwes.emulator.server import EmulatorServer
from tests.emulator.helpers import API, HELLO_1_0, get_json, submit, wait_status

pytestmark = [pytest.mark.wdl, pytest.mark.asyncio(loop_scope="module")]

SECRET = f"SECRET-{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def secret_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A host folder the submissions name but must never read: a text file and a WDL."""
    folder = tmp_path_factory.mktemp("host-secrets")
    (folder / "secret.txt").write_text(f"{SECRET}\nsecond line {SECRET}\n")
    (folder / "main.wdl").write_text('version 1.0\nimport "secret.txt" as s\nworkflow w {}\n')
    return folder


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmulatorServer]:
    config = EmulatorConfig(data_dir=tmp_path_factory.mktemp("sources-emulator"))
    async with EmulatorServer(config, port=0, admin_port=0) as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def emulator(server: EmulatorServer) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=server.url) as session:
        yield session


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def web_page() -> AsyncIterator[str]:
    """The URL of a page on another loopback server that is not WDL."""

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=f"<html>{SECRET}</html>\n")

    app = web.Application()
    app.router.add_get("/page.wdl", page)
    async with TestServer(app) as other:
        yield str(other.make_url("/page.wdl"))


def importing(uri: str) -> str:
    return f'version 1.0\nimport "{uri}" as imported\n\nworkflow w {{}}\n'


async def failures_of(session: aiohttp.ClientSession, workflow_id: str) -> Any:
    await wait_status(session, workflow_id, "Failed", "Succeeded")
    body = await get_json(session, f"{API}/{workflow_id}/metadata")
    assert body["status"] == "Failed", body
    assert body["failures"][0]["message"] == "Workflow input processing failed"
    return body["failures"]


@pytest.mark.parametrize(
    "uri",
    [
        pytest.param("file://{dir}/secret.txt", id="file-url"),
        pytest.param("file:///etc/passwd", id="file-url-etc-passwd"),
        pytest.param("file:///proc/self/environ", id="file-url-proc-environ"),
        pytest.param("{dir}/secret.txt", id="absolute-path"),
        pytest.param("../../../../../../../../../..{dir}/secret.txt", id="dot-dot"),
    ],
)
async def test_an_import_never_reads_a_host_file(
    emulator: aiohttp.ClientSession, secret_dir: Path, uri: str
) -> None:
    submitted = await submit(emulator, importing(uri.format(dir=secret_dir)))
    failures = json.dumps(await failures_of(emulator, submitted["id"]))
    assert SECRET not in failures
    assert "root:x:0:0" not in failures
    assert "PATH=" not in failures


async def test_a_refused_import_says_why_in_full(emulator: aiohttp.ClientSession) -> None:
    submitted = await submit(emulator, importing("file:///etc/passwd"))
    failures = await failures_of(emulator, submitted["id"])
    reason = failures[0]["causedBy"][0]["causedBy"][0]["message"]
    assert reason == (
        "Failed to resolve 'file:///etc/passwd': host files are never read; "
        "import from the submission or an http(s) URL"
    )


async def test_a_file_workflow_url_is_refused_at_submit(
    emulator: aiohttp.ClientSession, secret_dir: Path
) -> None:
    # The main file imports "secret.txt" beside it: reading it would echo the secret.
    refused = await submit(
        emulator, None, parts={"workflowUrl": (secret_dir / "main.wdl").as_uri()}, expect=400
    )
    assert refused["message"].startswith("Error(s): Error while validating workflow url: ")
    assert "loopback http(s)" in refused["message"]
    assert SECRET not in refused["message"]


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/_emulator/requests", id="request-log"),
        pytest.param("/api/workflows/v1/query", id="cromwell-api"),
    ],
)
@pytest.mark.parametrize("listener", ["api", "admin"])
async def test_an_import_never_fetches_from_the_emulator_itself(
    emulator: aiohttp.ClientSession, server: EmulatorServer, listener: str, path: str
) -> None:
    marker = f"SOURCE-OF-ANOTHER-USER-{uuid.uuid4().hex}"
    await submit(emulator, HELLO_1_0.replace("to stderr", marker), labels={"who": marker})
    base = server.url if listener == "api" else server.admin_url
    submitted = await submit(emulator, importing(f"{base}{path}"))
    failures = await failures_of(emulator, submitted["id"])
    text = json.dumps(failures)
    assert marker not in text
    assert "the emulator does not fetch from itself" in text


async def test_a_workflow_url_of_the_emulator_itself_fails_the_workflow(
    emulator: aiohttp.ClientSession, server: EmulatorServer
) -> None:
    marker = f"SOURCE-OF-ANOTHER-USER-{uuid.uuid4().hex}"
    await submit(emulator, HELLO_1_0.replace("to stderr", marker))
    url = f"{server.admin_url}/_emulator/requests"
    submitted = await submit(emulator, None, parts={"workflowUrl": url})
    text = json.dumps(await failures_of(emulator, submitted["id"]))
    assert marker not in text
    assert f"the emulator does not fetch from itself: {url}" in text


async def test_an_invalid_workflow_is_named_as_submitted(emulator: aiohttp.ClientSession) -> None:
    form = aiohttp.FormData()
    form.add_field("workflowSource", "version 1.0\nworkflow w {\n", filename="broken.wdl")
    async with emulator.post(API, data=form) as response:
        assert response.status == 201
        workflow_id = (await response.json())["id"]
    text = json.dumps(await failures_of(emulator, workflow_id))
    assert "(broken.wdl line 2, column 12)" in text
    assert "workflow.wdl" not in text


async def test_a_parse_error_quotes_only_a_short_excerpt_of_the_source(
    emulator: aiohttp.ClientSession,
) -> None:
    tail = f"TAIL-{uuid.uuid4().hex}"
    source = "version 1.0\nworkflow w { @@@ " + "x" * 400 + f" {tail}\n" + "y" * 4000 + "\n}\n"
    submitted = await submit(emulator, source)
    [cause] = (await failures_of(emulator, submitted["id"]))[0]["causedBy"]
    assert "@@@" in cause["message"], "a short excerpt helps find the error"
    assert tail not in cause["message"]
    assert len(cause["message"]) < 1000


async def test_an_imported_file_that_is_not_wdl_is_not_quoted(
    emulator: aiohttp.ClientSession, web_page: str
) -> None:
    submitted = await submit(emulator, importing(web_page))
    text = json.dumps(await failures_of(emulator, submitted["id"]))
    assert SECRET not in text
    assert "could not be parsed as WDL" in text


async def test_a_dependency_named_like_the_main_file_does_not_replace_it(
    emulator: aiohttp.ClientSession,
) -> None:
    main = 'version 1.0\nimport "workflow.wdl" as lib\n\nworkflow main {\n  call lib.hello\n}\n'
    library = "version 1.0\n\ntask hello {\n  command <<< echo hi >>>\n}\n"
    submitted = await submit(emulator, main, dependencies={"workflow.wdl": library})
    assert await wait_status(emulator, submitted["id"], "Succeeded", "Failed") == "Succeeded"
