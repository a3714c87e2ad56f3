"""POST /batches, GET /batches/{id}, POST /batches/{id}/cancel, over sockets to the emulator."""

import asyncio
import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpServer

from tests.api.basic import PER_USER_BASIC_AUTH, as_user
from tests.api.conftest import EXAMPLES, MakeStack, Stack

BATCHES = "/ga4gh/wes/v1/batches"
NAMES = ["ada", "bob", "cy"]


def batch_form(
    params: Sequence[Any] | str,
    *,
    tags: Mapping[str, str] | None = None,
    attachments: Mapping[str, bytes] | None = None,
    controlled: bool = True,
) -> aiohttp.FormData:
    """A POST /batches form running examples/hello-world.wdl once per element of `params`."""
    form = aiohttp.FormData()
    form.add_field("workflow_url", "hello-world.wdl")
    form.add_field("workflow_type", "WDL")
    form.add_field("workflow_type_version", "1.0")
    form.add_field("workflow_params", params if isinstance(params, str) else json.dumps(params))
    all_tags = {**(tags or {}), **({"cromwes-emulator": "controlled"} if controlled else {})}
    form.add_field("tags", json.dumps(all_tags))
    files = {"hello-world.wdl": (EXAMPLES / "hello-world.wdl").read_bytes(), **(attachments or {})}
    for name, content in files.items():
        form.add_field("workflow_attachment", content, filename=name)
    return form


def hello_params(*names: str) -> list[dict[str, str]]:
    return [{"hello_world.name": name} for name in names]


async def submit_batch(
    stack: Stack, form: aiohttp.FormData, *, expect: int = 200, **kwargs: Any
) -> dict[str, Any]:
    reply = await stack.wes.post(BATCHES, data=form, expect=expect, **kwargs)
    body: dict[str, Any] = reply.json
    return body


async def workflows(stack: Stack) -> int:
    """How many workflows Cromwell created (refused submits are not counted)."""
    async with stack.cromwell.get("/_emulator/stats") as response:
        return int((await response.json())["submissions"])


async def submits(stack: Stack) -> list[dict[str, Any]]:
    return [
        entry
        for entry in await stack.requests_to_cromwell("/api/workflows/v1")
        if entry["method"] == "POST" and entry["path"] == "/api/workflows/v1"
    ]


async def test_a_batch_submits_one_run_per_element_in_input_order(
    stack: Stack, tmp_path: Path
) -> None:
    reads = {"reads.txt": b"ACGT\n"}
    params = [{"hello_world.name": name, "extra": "reads.txt"} for name in NAMES]
    body = await submit_batch(stack, batch_form(params, tags={"project": "p1"}, attachments=reads))
    batch_id, run_ids = body["batch_id"], body["run_ids"]
    assert body == {"batch_id": batch_id, "run_ids": run_ids}
    assert len(set(run_ids)) == 3
    staged = list((tmp_path / "uploads").rglob("reads.txt"))
    assert [p.relative_to(tmp_path / "uploads").parts for p in staged] == [
        (batch_id, "reads.txt")
    ], "the attachment is staged once, under the batch"
    forms = {json.loads(entry["form"]["requestedWorkflowId"]): entry["form"] for entry in
             await submits(stack)}  # fmt: skip
    assert sorted(forms) == sorted(run_ids)
    for index, (name, run_id) in enumerate(zip(NAMES, run_ids, strict=True)):
        labels = json.loads(forms[run_id]["labels"])
        assert labels["wes-batch-id"] == batch_id
        assert labels["wes-batch-index"] == str(index)
        inputs = json.loads(forms[run_id]["workflowInputs"])
        assert inputs == {"hello_world.name": name, "extra": str(staged[0])}
        log = (await stack.wes.get(f"runs/{run_id}", expect=200)).json
        assert log["request"]["workflow_params"] == params[index]
        assert log["request"]["tags"] == {"project": "p1", "cromwes-emulator": "controlled"}, (
            "the batch's labels are bookkeeping, not tags"
        )
    listed = await stack.wes.get("runs?tag=project:p1", expect=200)
    assert sorted(run["run_id"] for run in listed.json["runs"]) == sorted(run_ids)


async def batch_after_moves(
    stack: Stack, batch_id: str, counts: dict[str, int], within: float = 5
) -> dict[str, Any]:
    """The batch once it shows `counts`, or as last seen after `within` seconds (more than
    `cache.query_ttl`, after which moves made behind the gateway's back show)."""
    deadline = time.monotonic() + within
    while True:
        status: dict[str, Any] = (await stack.wes.get(f"{BATCHES}/{batch_id}", expect=200)).json
        if status["state_counts"] == counts or time.monotonic() > deadline:
            return status
        await asyncio.sleep(0.05)


async def test_a_batch_is_listed_counted_and_cancelled(make_stack: MakeStack) -> None:
    # Default settings: a move behind the gateway's back (the emulator's control API) shows
    # within `cache.query_ttl`; a cancel through the gateway shows at once.
    stack = await make_stack()
    body = await submit_batch(stack, batch_form(hello_params(*NAMES)))
    batch_id, run_ids = body["batch_id"], body["run_ids"]
    status = (await stack.wes.get(f"{BATCHES}/{batch_id}", expect=200)).json
    assert status == {
        "batch_id": batch_id,
        "state": "QUEUED",
        "run_ids": run_ids,
        "state_counts": {"QUEUED": 3},
    }
    await stack.move(run_ids[0], "Succeeded")
    await stack.move(run_ids[1], "Running")
    status = await batch_after_moves(
        stack, batch_id.upper(), {"COMPLETE": 1, "RUNNING": 1, "QUEUED": 1}
    )
    assert status["state"] == "RUNNING"
    assert status["state_counts"] == {"COMPLETE": 1, "RUNNING": 1, "QUEUED": 1}

    cancelled = await stack.wes.post(f"{BATCHES}/{batch_id}/cancel", expect=200)
    assert cancelled.json == {"batch_id": batch_id, "run_ids": run_ids[1:]}
    aborts = [e["path"] for e in await stack.requests_to_cromwell("/abort")]
    assert sorted(aborts) == sorted(f"/api/workflows/v1/{r}/abort" for r in run_ids[1:])
    status = (await stack.wes.get(f"{BATCHES}/{batch_id}", expect=200)).json
    assert status["state_counts"]["COMPLETE"] == 1
    assert set(status["state_counts"]) <= {"COMPLETE", "CANCELING", "CANCELED"}
    await stack.move(run_ids[1], "Aborted")
    await stack.move(run_ids[2], "Aborted")
    status = await batch_after_moves(stack, batch_id, {"COMPLETE": 1, "CANCELED": 2})
    assert (status["state"], status["state_counts"]) == ("CANCELED", {"COMPLETE": 1, "CANCELED": 2})
    again = await stack.wes.post(f"{BATCHES}/{batch_id}/cancel", expect=200)
    assert again.json == {"batch_id": batch_id, "run_ids": []}, "nothing left to cancel"


async def test_an_unknown_batch_is_404(stack: Stack) -> None:
    for batch_id in ("not-a-batch", "0190e0b8-4a0e-7c3e-8000-000000000000"):
        reply = await stack.wes.get(f"{BATCHES}/{batch_id}", expect=404)
        assert batch_id in reply.json["msg"]
        await stack.wes.post(f"{BATCHES}/{batch_id}/cancel", expect=404)


async def test_an_idempotent_batch_is_submitted_once(stack: Stack, tmp_path: Path) -> None:
    headers = {"Idempotency-Key": "nightly-7"}
    files = {"reads.txt": b"ACGT\n"}
    first = await submit_batch(stack, batch_form(hello_params(*NAMES), attachments=files),
                               headers=headers)  # fmt: skip
    again = await submit_batch(stack, batch_form(hello_params(*NAMES), attachments=files),
                               headers=headers)  # fmt: skip
    assert first == again
    assert await workflows(stack) == 3
    assert len(list((tmp_path / "uploads").rglob("reads.txt"))) == 1, "the retry's copy is gone"
    other = batch_form(hello_params("ada", "bob", "dee"), attachments=files)
    reply = await stack.wes.post(BATCHES, data=other, headers=headers)
    assert reply.status == 409, reply.body
    assert "Idempotency-Key" in reply.json["msg"]
    assert await workflows(stack) == 3


async def test_an_element_cromwell_refuses_is_reported_and_a_retry_completes_the_batch(
    make_stack: MakeStack,
) -> None:
    stack = await make_stack(settings={"batches": {"submit_concurrency": 1}})
    await stack.faults([{"route": "submit", "kind": "error", "status": 400, "times": 1}])
    headers = {"Idempotency-Key": "retry-me"}
    partial = await submit_batch(stack, batch_form(hello_params(*NAMES)), expect=207,
                                 headers=headers)  # fmt: skip
    run_ids = partial["run_ids"]
    assert run_ids[0] is None
    assert None not in run_ids[1:]
    [failure] = partial["failures"]
    assert (failure["index"], failure["status_code"]) == (0, 400)
    status = (await stack.wes.get(f"{BATCHES}/{partial['batch_id']}", expect=200)).json
    assert status["run_ids"] == run_ids[1:]

    complete = await submit_batch(stack, batch_form(hello_params(*NAMES)), headers=headers)
    assert complete["batch_id"] == partial["batch_id"]
    assert complete["run_ids"][1:] == run_ids[1:]
    assert complete["run_ids"][0] is not None
    status = (await stack.wes.get(f"{BATCHES}/{partial['batch_id']}", expect=200)).json
    assert status["run_ids"] == complete["run_ids"]


async def test_a_batch_cromwell_fails_from_the_start_submits_nothing(
    make_stack: MakeStack, tmp_path: Path
) -> None:
    stack = await make_stack(settings={"batches": {"submit_concurrency": 1}})
    await stack.faults([{"route": "submit", "kind": "error", "status": 500, "times": 1}])
    files = {"reads.txt": b"ACGT\n"}
    form = batch_form(hello_params(*NAMES), attachments=files)
    reply = await stack.wes.post(BATCHES, data=form, expect=502)
    assert reply.json["msg"].startswith("No run of the batch was submitted; workflow_params[0]")
    assert len(await submits(stack)) == 1, "the elements after Cromwell failed are not sent"
    assert list((tmp_path / "uploads").rglob("reads.txt")) == []


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        pytest.param(json.dumps({"hello_world.name": "x"}), 400, "JSON array", id="an-object"),
        pytest.param("[]", 400, "non-empty", id="empty"),
        pytest.param('[{"a": 1}, 2]', 400, "element 1", id="not-an-object"),
        pytest.param("[{", 400, "not valid JSON", id="not-json"),
        pytest.param(json.dumps(hello_params(*["x"] * 4)), 413, "batches.max_runs", id="too-many"),
    ],
)
async def test_bad_batches_are_refused_with_nothing_submitted(
    make_stack: MakeStack, tmp_path: Path, params: str, status: int, words: str
) -> None:
    stack = await make_stack(settings={"batches": {"max_runs": 3}})
    form = batch_form(params, attachments={"reads.txt": b"ACGT\n"})
    reply = await stack.wes.post(BATCHES, data=form, expect=status)
    assert words in reply.json["msg"]
    assert await submits(stack) == []
    assert list((tmp_path / "uploads").rglob("reads.txt")) == []


async def test_a_tag_may_not_claim_a_batch(stack: Stack) -> None:
    form = batch_form(hello_params("ada"), tags={"wes-batch-id": "someone-elses"})
    reply = await stack.wes.post(BATCHES, data=form, expect=400)
    assert "reserved" in reply.json["msg"]
    single = aiohttp.FormData()
    for name, value in (
        ("workflow_url", "hello-world.wdl"),
        ("workflow_type", "WDL"),
        ("workflow_type_version", "1.0"),
        ("tags", '{"wes-batch-index": "0"}'),
    ):
        single.add_field(name, value)  # fmt: skip
    single.add_field("workflow_attachment", (EXAMPLES / "hello-world.wdl").read_bytes(),
                     filename="hello-world.wdl")  # fmt: skip
    reply = await stack.wes.post("runs", data=single, expect=400)
    assert "reserved" in reply.json["msg"]
    assert await submits(stack) == []


async def test_unknown_fields_name_the_batch_endpoint(stack: Stack) -> None:
    reply = await stack.wes.post(BATCHES, json={"workflow_url": "x.wdl", "runs": 3}, expect=400)
    assert reply.json["msg"].startswith("POST /batches has no field 'runs'")


async def test_a_json_batch_of_a_workflow_url_is_accepted(
    stack: Stack, aiohttp_server: AiohttpServer
) -> None:
    async def wdl(request: web.Request) -> web.Response:
        return web.Response(body=(EXAMPLES / "hello-world.wdl").read_bytes())

    source = web.Application()
    source.router.add_get("/hello.wdl", wdl)
    server = await aiohttp_server(source)
    body = {
        "workflow_url": str(server.make_url("/hello.wdl")),
        "workflow_type": "WDL",
        "workflow_type_version": "1.0",
        "workflow_params": hello_params("ada", "bob"),
        "tags": {"cromwes-emulator": "controlled"},
    }
    reply = await stack.wes.post(BATCHES, json=body, expect=200)
    assert len(reply.json["run_ids"]) == 2


async def test_batches_are_per_user(make_stack: MakeStack) -> None:
    stack = await make_stack(settings=PER_USER_BASIC_AUTH)
    alice = as_user("alice")
    body = await submit_batch(stack, batch_form(hello_params(*NAMES)), headers=alice)
    batch = f"{BATCHES}/{body['batch_id']}"
    await stack.wes.get(batch, headers=alice, expect=200)
    await stack.wes.get(batch, headers=as_user("bob"), expect=404)
    await stack.wes.post(f"{batch}/cancel", headers=as_user("bob"), expect=404)
    assert await stack.requests_to_cromwell("/abort") == []
    for run_id in body["run_ids"]:
        await stack.wes.get(f"runs/{run_id}/status", headers=alice, expect=200)


async def test_each_run_of_a_batch_serves_the_attachment_staged_once_and_no_one_else_does(
    stack: Stack, tmp_path: Path
) -> None:
    params = [{"hello_world.name": name, "extra": "reads.txt"} for name in NAMES[:2]]
    body = await submit_batch(stack, batch_form(params, attachments={"reads.txt": b"ACGT\n"}))
    [staged] = [str(p) for p in (tmp_path / "uploads").rglob("reads.txt")]
    octets = {"Accept": "application/octet-stream"}
    for run_id in body["run_ids"]:
        await stack.move(run_id, "Running")
        files = (await stack.wes.get(f"runs/{run_id}/files", expect=200)).json["runFiles"]
        assert {"file_type": "INPUT", "path": staged} in files
        reply = await stack.wes.get(f"runs/{run_id}/file", params={"path": staged},
                                    headers=octets, expect=200)  # fmt: skip
        assert reply.body == b"ACGT\n"
    single = batch_form([{"hello_world.name": "eve", "extra": staged}])
    other = (await submit_batch(stack, single))["run_ids"][0]
    await stack.move(other, "Running")
    files = (await stack.wes.get(f"runs/{other}/files", expect=200)).json["runFiles"]
    assert all(f["path"] != staged for f in files), "named by another batch's run, not its own"
    await stack.wes.get(f"runs/{other}/file", params={"path": staged}, headers=octets, expect=404)
