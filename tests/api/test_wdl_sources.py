"""Through the gateway: an attached WDL cannot make the emulator read a host file or itself, and
the run's failures (`GET /runs/{id}/logs/stderr`) name the attachment and quote nothing read."""

import json
import uuid
from pathlib import Path

import pytest

from tests.api.conftest import Stack, hello_form, workflow_form

pytestmark = pytest.mark.wdl

SECRET = f"SECRET-{uuid.uuid4().hex}"


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "host" / "secret.wdl"
    path.parent.mkdir()
    path.write_text(f"{SECRET}\n")
    return path


def importing(uri: str) -> bytes:
    return f'version 1.0\nimport "{uri}" as imported\n\nworkflow w {{}}\n'.encode()


async def failures_of_failed_run(stack: Stack, files: dict[str, bytes]) -> str:
    run_id = await stack.wes.submit(workflow_form(next(iter(files)), files))
    state = await stack.wes.wait_for_state(run_id, {"EXECUTOR_ERROR", "COMPLETE"})
    assert state == "EXECUTOR_ERROR"
    failures = await stack.wes.get(f"runs/{run_id}/logs/stderr", expect=200)
    assert json.loads(failures.body)[0]["message"] == "Workflow input processing failed"
    return failures.body.decode()


@pytest.mark.parametrize(
    "uri",
    [
        pytest.param("file:///etc/passwd", id="etc-passwd"),
        pytest.param("file:///proc/self/environ", id="proc-environ"),
        pytest.param("file://{secret}", id="file-url"),
        pytest.param("../../../../../../../../../..{secret}", id="dot-dot"),
    ],
)
async def test_an_import_of_a_host_file_fails_the_run_without_its_content(
    wdl_stack: Stack, secret_file: Path, uri: str
) -> None:
    text = await failures_of_failed_run(
        wdl_stack, {"main.wdl": importing(uri.format(secret=secret_file))}
    )
    for content in (SECRET, "root:x:0:0", "PATH="):
        assert content not in text


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/api/workflows/v1/{id}/metadata", id="cromwell-api"),
        pytest.param("/_emulator/requests", id="request-log"),
    ],
)
async def test_an_import_of_the_emulator_itself_fails_the_run(wdl_stack: Stack, path: str) -> None:
    marker = f"ANOTHER-USERS-INPUT-{uuid.uuid4().hex}"
    other = await wdl_stack.wes.submit(hello_form(params={"hello_world.name": marker}))
    cromwell = wdl_stack.settings.cromwell.url
    text = await failures_of_failed_run(
        wdl_stack, {"main.wdl": importing(cromwell + path.format(id=other))}
    )
    assert marker not in text
    assert "the emulator does not fetch from itself" in text


async def test_an_invalid_workflow_is_named_by_its_attachment(wdl_stack: Stack) -> None:
    text = await failures_of_failed_run(
        wdl_stack, {"lib/broken.wdl": b"version 1.0\nworkflow w {\n"}
    )
    assert "(lib/broken.wdl line 2, column 12)" in text
    assert "workflow.wdl" not in text
