import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from tests.api.conftest import EXAMPLES, MakeStack, Stack, example_form, hello_form


async def submitted_to_cromwell(stack: Stack, run_id: str) -> dict[str, Any]:
    async with stack.cromwell.get(f"/_emulator/workflows/{run_id}") as response:
        assert response.status == 200, await response.text()
        record: dict[str, Any] = await response.json()
    return record


async def test_submit_returns_the_cromwell_id_we_chose(stack: Stack) -> None:
    run_id = await stack.wes.submit(hello_form())
    assert run_id.count("-") == 4
    submits = await stack.requests_to_cromwell("/api/workflows/v1")
    form = next(entry["form"] for entry in submits if entry["method"] == "POST")
    assert json.loads(form["requestedWorkflowId"]) == run_id
    assert form["workflowType"] == "WDL"
    assert "workflowTypeVersion" not in form, "Cromwell detects the version from the file"


async def test_labels_options_and_inputs_reach_cromwell(stack: Stack) -> None:
    form = hello_form(
        tags={"project": "demo"},
        params={"hello_world.name": "Ada"},
        extra={"workflow_engine_parameters": json.dumps({"write_to_cache": True})},
    )
    run_id = await stack.wes.submit(form)
    record = await submitted_to_cromwell(stack, run_id)
    files = record["submitted"]
    assert files["labels"] == {"project": "demo", "workflow_url": "hello-world.wdl"}
    assert files["inputs"] == {"hello_world.name": "Ada"}
    assert files["options"]["write_to_cache"] is True
    assert files["options"]["read_from_cache"] is False


async def test_json_and_urlencoded_bodies_are_accepted(
    stack: Stack, aiohttp_server: AiohttpServer
) -> None:
    """ai4gh posts a JSON RunRequest, weskit-client urlencoded fields; both must run."""
    wdl = (EXAMPLES / "hello-world.wdl").read_bytes()

    async def serve_wdl(request: web.Request) -> web.Response:
        return web.Response(body=wdl)

    published = web.Application()
    published.router.add_get("/hello.wdl", serve_wdl)
    host: TestServer = await aiohttp_server(published)
    body = {
        "workflow_url": str(host.make_url("/hello.wdl")),
        "workflow_type": "WDL",
        "workflow_type_version": "1.0",
        "workflow_params": {"hello_world.name": "json"},
        "tags": {"client": "ai4gh"},
    }
    fields = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in body.items()}
    for sent in ({"json": body}, {"data": fields}):
        run_id = (await stack.wes.post("runs", expect=200, **sent)).json["run_id"]
        submitted = (await submitted_to_cromwell(stack, run_id))["submitted"]
        assert submitted["inputs"] == {"hello_world.name": "json"}
        assert submitted["labels"]["client"] == "ai4gh"
        log = (await stack.wes.get(f"runs/{run_id}", expect=200)).json
        assert log["request"]["workflow_url"] == body["workflow_url"]


async def test_json_parts_with_any_content_type(stack: Stack) -> None:
    form = aiohttp.FormData()
    form.add_field("workflow_url", "hello-world.wdl")
    form.add_field("workflow_type", "wdl")
    form.add_field("workflow_type_version", "1.0")
    form.add_field("workflow_params", '{"hello_world.name": "x"}', content_type="application/json")
    form.add_field("tags", "{}", content_type="text/plain")
    form.add_field("workflow_engine_parameters", "{}", content_type="application/octet-stream")
    form.add_field(
        "workflow_attachment",
        (EXAMPLES / "hello-world.wdl").read_bytes(),
        filename="hello-world.wdl",
    )
    await stack.wes.submit(form)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        pytest.param(
            {"workflow_type": "WDL", "workflow_type_version": "1.0"}, "workflow_url", id="no-url"
        ),
        pytest.param(
            {"workflow_url": "x.wdl", "workflow_type_version": "1.0"}, "workflow_type", id="no-type"
        ),
        pytest.param(
            {"workflow_url": "x.wdl", "workflow_type": "CWL", "workflow_type_version": "v1.0"},
            "not supported",
            id="cwl",
        ),
        pytest.param(
            {"workflow_url": "x.wdl", "workflow_type": "WDL", "workflow_type_version": "1.0"},
            "no workflow_attachment",
            id="relative-alone",
        ),
        pytest.param(
            {
                "workflow_url": "x.wdl",
                "workflow_type": "WDL",
                "workflow_type_version": "1.0",
                "workflow_params": "[1]",
            },
            "workflow_params",
            id="params-not-object",
        ),
        pytest.param(
            {
                "workflow_url": "x.wdl",
                "workflow_type": "WDL",
                "workflow_type_version": "1.0",
                "tags": '{"a": {"b": 1}}',
            },
            "tags",
            id="nested-tag",
        ),
        pytest.param(
            {
                "workflow_url": "x.wdl",
                "workflow_type": "WDL",
                "workflow_type_version": "1.0",
                "tags": "{not json",
            },
            "tags",
            id="tags-not-json",
        ),
    ],
)
async def test_bad_forms_are_400(stack: Stack, form: dict[str, str], message: str) -> None:
    reply = await stack.wes.post("runs", data=form, expect=400)
    assert message in reply.json["msg"]


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        pytest.param(b"", {}, id="empty"),
        pytest.param(b"garbage", {"Content-Type": "text/plain"}, id="text"),
        pytest.param(b"--x\r\nnope", {"Content-Type": "multipart/form-data"}, id="no-boundary"),
        pytest.param(
            b"--b\r\ngarbage", {"Content-Type": "multipart/form-data; boundary=b"}, id="garbled"
        ),
        pytest.param(b"[1, 2]", {"Content-Type": "application/json"}, id="json-array"),
        pytest.param(b"{oops", {"Content-Type": "application/json"}, id="bad-json"),
    ],
)
async def test_malformed_bodies_are_400_not_500(
    stack: Stack, body: bytes, headers: dict[str, str]
) -> None:
    await stack.wes.post("runs", data=body, headers=headers, expect=400)


@pytest.mark.parametrize(
    "name", [b"../evil.wdl", b"/etc/passwd", b"a/../../b.txt", b"bad\x01name.txt", b"..%2Fx"]
)
async def test_bad_attachment_names_are_400(stack: Stack, name: bytes) -> None:
    wdl = (EXAMPLES / "hello-world.wdl").read_bytes()
    parts = [
        (b'name="workflow_url"', b"hello-world.wdl"),
        (b'name="workflow_type"', b"WDL"),
        (b'name="workflow_type_version"', b"1.0"),
        (b'name="workflow_attachment"; filename="hello-world.wdl"', wdl),
        (b'name="workflow_attachment"; filename="' + name + b'"', b"x"),
    ]
    body = (
        b"".join(
            b"--B\r\nContent-Disposition: form-data; " + disposition + b"\r\n\r\n" + value + b"\r\n"
            for disposition, value in parts
        )
        + b"--B--\r\n"
    )
    headers = {"Content-Type": "multipart/form-data; boundary=B"}
    reply = await stack.wes.post("runs", data=body, headers=headers, expect=400)
    assert "workflow_attachment name" in reply.json["msg"] or "malformed" in reply.json["msg"]


async def test_imports_are_zipped_with_their_paths(stack: Stack) -> None:
    form = example_form("subworkflow/main.wdl", "subworkflow/lib/greet.wdl")
    run_id = await stack.wes.submit(form)
    record = await submitted_to_cromwell(stack, run_id)
    assert sorted(record["submitted"]["dependencies"]) == ["lib/greet.wdl", "main.wdl"]


async def test_data_attachments_are_staged_and_inputs_point_at_them(
    stack: Stack, tmp_path: Path
) -> None:
    form = hello_form(
        attachments={"data/names.txt": b"Frank\n"}, params={"hello_world.name": "data/names.txt"}
    )
    run_id = await stack.wes.submit(form)
    record = await submitted_to_cromwell(stack, run_id)
    staged = Path(record["submitted"]["inputs"]["hello_world.name"])
    folder, *name = staged.relative_to(tmp_path / "uploads").parts
    assert name == ["data", "names.txt"]
    assert folder == run_id, "staged under <staging root>/<run id>/"
    assert await asyncio.to_thread(staged.read_bytes) == b"Frank\n"
    log = (await stack.wes.get(f"runs/{run_id}", expect=200)).json
    assert log["request"]["workflow_params"] == {"hello_world.name": "data/names.txt"}


async def test_staged_files_are_removed_when_cromwell_refuses(stack: Stack, tmp_path: Path) -> None:
    options = json.dumps({"backend": {"not": "allowed"}}).encode()
    form = hello_form(attachments={"names.txt": b"Frank\n", "options.json": options})
    reply = await stack.wes.post("runs", data=form, expect=400)
    assert "Unsupported key/value pair" in reply.json["msg"]
    assert not any((tmp_path / "uploads").rglob("*.txt"))


async def test_oversize_attachment_is_413_and_leaves_nothing(
    make_stack: MakeStack, tmp_path: Path
) -> None:
    stack = await make_stack(
        settings={"uploads": {"max_file_size": 1024, "max_request_size": 4096}}
    )
    form = hello_form(attachments={"small.txt": b"ok", "big.bin": b"x" * 2000})
    reply = await stack.wes.post("runs", data=form, expect=413)
    assert "1024" in reply.json["msg"]
    assert not any(p.is_file() for p in (tmp_path / "uploads").rglob("*"))
    total = hello_form(attachments={f"f{i}.txt": b"x" * 1000 for i in range(5)})
    reply = await stack.wes.post("runs", data=total, expect=413)
    assert "request" in reply.json["msg"]


async def test_options_json_attachment_goes_to_options(stack: Stack) -> None:
    options = json.dumps({"write_to_cache": False, "final_workflow_outputs_dir": "/out"}).encode()
    run_id = await stack.wes.submit(hello_form(attachments={"options.json": options}))
    record = await submitted_to_cromwell(stack, run_id)
    assert record["submitted"]["options"]["final_workflow_outputs_dir"] == "/out"
    assert "options.json" not in record["submitted"]["dependencies"]
