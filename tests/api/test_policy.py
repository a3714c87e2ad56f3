"""Submission policy through the API: path translations and workflow authorizers."""

import hashlib
from pathlib import Path
from typing import Any

from tests.api.conftest import EXAMPLES, MakeStack, hello_form

HELLO_MD5 = hashlib.md5((EXAMPLES / "hello-world.wdl").read_bytes()).hexdigest()


async def test_translated_inputs_reach_cromwell_and_the_run_log_shows_the_originals(
    make_stack: MakeStack,
) -> None:
    stack = await make_stack(settings={"path_translations": [
        {"prefix": "/data", "replacement": "gs://bucket/data", "location": "INPUTS"},
        {"prefix": "https://(\\w+)\\.blob\\.core\\.windows\\.net/", "replacement": "/$1/",
         "location": "ALL"},
    ]})  # fmt: skip
    params = {
        "hello_world.name": "/data/in.bam",
        "hello_world.extra": ["https://acct.blob.core.windows.net/c/x.bam", "/data-other/y"],
    }
    run_id = await stack.wes.submit(hello_form(params=params))
    async with stack.cromwell.get(f"/_emulator/workflows/{run_id}") as response:
        record: dict[str, Any] = await response.json()
    assert record["submitted"]["inputs"] == {
        "hello_world.name": "gs://bucket/data/in.bam",
        "hello_world.extra": ["/acct/c/x.bam", "/data-other/y"],
    }
    log = (await stack.wes.get(f"runs/{run_id}", expect=200)).json
    assert log["request"]["workflow_params"] == params


async def test_url_allow_list(make_stack: MakeStack) -> None:
    stack = await make_stack(
        settings={
            "workflows": {
                "authorizers": {
                    "url_allow_list": {
                        "enabled": True,
                        "allowed_urls": ["hello-world\\.wdl", "https://trusted\\.org/.*"],
                    }
                }
            }
        }
    )
    await stack.wes.submit(hello_form())
    reply = await stack.wes.post("runs", data=hello_form(url="https://evil.org/x.wdl"), expect=403)
    assert "url_allow_list" in reply.json["msg"]
    assert "trusted" not in reply.json["msg"]


async def test_checksum_allow_list_refuses_a_tampered_attachment(make_stack: MakeStack) -> None:
    stack = await make_stack(
        settings={
            "workflows": {
                "authorizers": {
                    "checksum": {
                        "enabled": True,
                        "allowed_checksums": [HELLO_MD5.upper()],
                        "excluded_files": ["options.json"],
                    }
                }
            }
        }
    )
    await stack.wes.submit(hello_form(attachments={"options.json": b"{}"}))
    tampered = hello_form(attachments={"hello-world.wdl": b"version 1.0\nworkflow evil {}\n"})
    reply = await stack.wes.post("runs", data=tampered, expect=403)
    assert "checksum" in reply.json["msg"]
    assert "hello-world.wdl" in reply.json["msg"]


async def test_refused_submissions_stage_nothing(make_stack: MakeStack, tmp_path: Path) -> None:
    stack = await make_stack(
        settings={
            "workflows": {
                "authorizers": {"url_allow_list": {"enabled": True, "allowed_urls": ["nothing"]}}
            }
        }
    )
    await stack.wes.post("runs", data=hello_form(attachments={"data.txt": b"x"}), expect=403)
    assert not [p for p in (tmp_path / "uploads").rglob("*") if p.is_file()]
