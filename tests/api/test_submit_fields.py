"""Every field a client sends reaches the run, or the submission is refused naming it."""

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pytest_aiohttp import AiohttpServer

from tests.api.conftest import EXAMPLES, Stack, hello_form
from tests.conftest import skip_or_fail
from tests.live import live_stack

WDL = (EXAMPLES / "hello-world.wdl").read_bytes()
REQUIRED = {
    "workflow_url": "hello-world.wdl",
    "workflow_type": "WDL",
    "workflow_type_version": "1.0",
}


async def submitted(stack: Stack, run_id: str) -> dict[str, Any]:
    async with stack.cromwell.get(f"/_emulator/workflows/{run_id}") as response:
        assert response.status == 200, await response.text()
        record: dict[str, Any] = await response.json()
    return dict(record["submitted"])


async def submits_seen_by_cromwell(stack: Stack) -> int:
    posts = await stack.requests_to_cromwell("/api/workflows/v1")
    return sum(1 for entry in posts if entry["method"] == "POST")


async def test_fields_sent_as_files_are_those_fields(stack: Stack) -> None:
    """`curl -F workflow_params=@inputs.json` sends a part with a file name: still the field."""
    form = aiohttp.FormData()
    for name, value in REQUIRED.items():
        form.add_field(name, value, filename=f"{name}.txt", content_type="text/plain")
    form.add_field(
        "workflow_params",
        json.dumps({"hello_world.name": "from a file"}).encode(),
        filename="inputs.json",
        content_type="application/json",
    )
    form.add_field(
        "tags",
        b'{"project": "files"}',
        filename="tags.json",
        content_type="application/octet-stream",
    )
    form.add_field(
        "workflow_engine_parameters",
        b'{"write_to_cache": "true"}',
        filename="options.json",
        content_type="application/json",
    )
    form.add_field("workflow_attachment", WDL, filename="hello-world.wdl")
    run_id = await stack.wes.submit(form)
    files = await submitted(stack, run_id)
    assert files["inputs"] == {"hello_world.name": "from a file"}
    assert files["labels"]["project"] == "files"
    assert files["options"]["write_to_cache"] is True
    request = (await stack.wes.get(f"runs/{run_id}", expect=200)).json["request"]
    assert request["workflow_params"] == {"hello_world.name": "from a file"}
    assert request["tags"] == {"project": "files"}


@pytest.mark.wdl
async def test_curl_at_file_fields_change_what_the_run_does(
    aiohttp_server: AiohttpServer, tmp_path: Path
) -> None:
    """The issue's exact command line: the run must greet the name from inputs.json."""
    if shutil.which("curl") is None:
        skip_or_fail("curl is not installed")
    live = await live_stack(aiohttp_server, tmp_path)
    (tmp_path / "inputs.json").write_text('{"hello_world.name": "curl file"}')
    (tmp_path / "tags.json").write_text('{"project": "curl"}')
    shutil.copy(EXAMPLES / "hello-world.wdl", tmp_path / "hello-world.wdl")
    answer = await _curl(
        f"{live.wes_url}/runs",
        "-F", "workflow_url=hello-world.wdl",
        "-F", "workflow_type=WDL",
        "-F", "workflow_type_version=1.0",
        "-F", "workflow_params=@inputs.json",
        "-F", "tags=@tags.json",
        "-F", "workflow_attachment=@hello-world.wdl",
        cwd=tmp_path,
    )  # fmt: skip
    run_id = json.loads(answer)["run_id"]
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{live.admin_url}/_emulator/workflows/{run_id}") as response:
            record = await response.json()
        assert record["submitted"]["inputs"] == {"hello_world.name": "curl file"}
        log = await _finished_log(session, f"{live.wes_url}/runs/{run_id}")
    assert log["request"]["workflow_params"] == {"hello_world.name": "curl file"}
    assert log["request"]["tags"] == {"project": "curl"}
    assert log["outputs"]["hello_world.message"] == "Hello curl file!"


async def _curl(url: str, *args: str, cwd: Path) -> bytes:
    process = await asyncio.create_subprocess_exec(
        "curl", "-sS", "--fail-with-body", url, *args, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, (out, err)
    return out


async def _finished_log(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + 120
    log: dict[str, Any] = {}
    while asyncio.get_running_loop().time() < deadline:
        async with session.get(url) as response:
            log = await response.json()
        if log.get("state") in ("COMPLETE", "EXECUTOR_ERROR", "SYSTEM_ERROR"):
            return log
        await asyncio.sleep(0.2)
    raise AssertionError(f"the run never finished: {log.get('state')}")


@pytest.mark.parametrize(
    ("add", "named"),
    [
        pytest.param(lambda f: f.add_field("inputs", "{}"), "'inputs'", id="unknown-text-part"),
        pytest.param(
            lambda f: f.add_field("file", b"data", filename="data.txt"), "'file'", id="unknown-file"
        ),
        pytest.param(
            lambda f: f.add_field("workflow_parms", '{"a": 1}'), "'workflow_parms'", id="typo"
        ),
        pytest.param(
            lambda f: f.add_field("tags", '{"b": "2"}'), "tags was sent more than once", id="twice"
        ),
    ],
)
async def test_unknown_or_repeated_parts_are_400_and_nothing_runs(
    stack: Stack, add: Any, named: str
) -> None:
    form = hello_form(tags={"a": "1"})
    add(form)
    reply = await stack.wes.post("runs", data=form, expect=400)
    assert named in reply.json["msg"]
    assert await submits_seen_by_cromwell(stack) == 0


async def test_a_part_without_a_name_is_400(stack: Stack) -> None:
    body = (
        b"".join(
            b'--B\r\nContent-Disposition: form-data; name="' + k.encode() + b'"\r\n\r\n'
            + v.encode() + b"\r\n"
            for k, v in REQUIRED.items()
        )
        + b"--B\r\nContent-Disposition: form-data\r\n\r\nlost\r\n--B--\r\n"
    )  # fmt: skip
    headers = {"Content-Type": "multipart/form-data; boundary=B"}
    reply = await stack.wes.post("runs", data=body, headers=headers, expect=400)
    assert "a part without a name" in reply.json["msg"]


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        pytest.param({"inputs": {"a": 1}}, "'inputs'", id="unknown"),
        pytest.param({"workflow_attachment": "x.txt"}, "multipart/form-data", id="attachment"),
    ],
)
async def test_unknown_fields_of_json_and_urlencoded_bodies_are_400(
    stack: Stack, extra: dict[str, Any], named: str
) -> None:
    body = {**REQUIRED, "workflow_url": "https://example.org/hello.wdl", **extra}
    reply = await stack.wes.post("runs", json=body, expect=400)
    assert named in reply.json["msg"]
    fields = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in body.items()}
    reply = await stack.wes.post("runs", data=fields, expect=400)
    assert named in reply.json["msg"]
    assert await submits_seen_by_cromwell(stack) == 0


async def test_a_repeated_urlencoded_field_is_400(stack: Stack) -> None:
    body = "&".join(f"{k}={v}" for k, v in REQUIRED.items()) + "&tags=%7B%7D&tags=%7B%7D"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    reply = await stack.wes.post("runs", data=body, headers=headers, expect=400)
    assert "tags was sent more than once" in reply.json["msg"]


async def test_curl_sends_sub_directories_only_when_told(
    aiohttp_server: AiohttpServer, tmp_path: Path
) -> None:
    """The README's example for imports in sub-directories, and why it needs `;filename=`."""
    if shutil.which("curl") is None:
        skip_or_fail("curl is not installed")
    live = await live_stack(aiohttp_server, tmp_path, mode="controlled")
    folder = EXAMPLES / "subworkflow"
    fields = ["-F", "workflow_url=main.wdl", "-F", "workflow_type=WDL"]
    fields += ["-F", "workflow_type_version=1.0", "-F", "workflow_attachment=@main.wdl"]
    told = "workflow_attachment=@lib/greet.wdl;filename=lib/greet.wdl"
    answers = [
        json.loads(await _curl(f"{live.wes_url}/runs", *fields, "-F", greet, cwd=folder))
        for greet in (told, "workflow_attachment=@lib/greet.wdl")
    ]
    async with aiohttp.ClientSession() as session:
        sent = []
        for answer in answers:
            url = f"{live.admin_url}/_emulator/workflows/{answer['run_id']}"
            async with session.get(url) as response:
                sent.append(sorted((await response.json())["submitted"]["dependencies"]))
    assert sent == [["lib/greet.wdl", "main.wdl"], ["greet.wdl", "main.wdl"]]
