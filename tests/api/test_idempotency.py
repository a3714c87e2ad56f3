import asyncio
import logging
import time
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from pytest_aiohttp import AiohttpClient

from cromwes.app import create_app
from cromwes.service.submissions import VISIBLE_WITHIN
from tests.api.conftest import MakeStack, Stack, Wes, hello_form

SECRET = "replicas-share-this-4f2d9c"
OTHER_SECRET = "another-deployment-7b1e0a"


async def stats(stack: Stack) -> dict[str, int]:
    async with stack.cromwell.get("/_emulator/stats") as response:
        body: dict[str, int] = await response.json()
    return body


async def test_a_retried_submit_returns_the_same_run(stack: Stack, tmp_path: Path) -> None:
    headers = {"Idempotency-Key": "order-42"}
    files = {"names.txt": b"Frank\n"}
    first = await stack.wes.post("runs", data=hello_form(attachments=files), headers=headers)
    again = await stack.wes.post("runs", data=hello_form(attachments=files), headers=headers)
    assert first.status == again.status == 200
    assert first.json == again.json
    assert (await stats(stack))["submissions"] == 1
    staged = list((tmp_path / "uploads").rglob("names.txt"))
    assert len(staged) == 1, "the retry's staged copy is removed again"
    # Under the run's own folder, in the first attempt's sub-folder: a retry stages its copy
    # before it can know it is a retry, and must not collide with the first.
    run_folder, _attempt, name = staged[0].relative_to(tmp_path / "uploads").parts
    assert (run_folder, name) == (first.json["run_id"], "names.txt")
    assert list((tmp_path / "uploads" / run_folder).iterdir()) == [staged[0].parent]
    log = (await stack.wes.get(f"runs/{first.json['run_id']}", expect=200)).json
    assert log["request"]["tags"] == {}, "idempotency bookkeeping is not a tag"


async def test_the_same_key_for_another_request_is_409(stack: Stack) -> None:
    headers = {"Idempotency-Key": "order-43"}
    await stack.wes.post("runs", data=hello_form(), headers=headers, expect=200)
    other = hello_form(params={"hello_world.name": "someone else"})
    reply = await stack.wes.post("runs", data=other, headers=headers, expect=409)
    assert "Idempotency-Key" in reply.json["msg"]
    assert (await stats(stack))["submissions"] == 1


async def test_different_keys_make_different_runs(stack: Stack) -> None:
    one = await stack.wes.post("runs", data=hello_form(), headers={"Idempotency-Key": "a"})
    two = await stack.wes.post("runs", data=hello_form(), headers={"Idempotency-Key": "b"})
    assert one.json["run_id"] != two.json["run_id"]


async def test_a_bad_key_is_400(stack: Stack) -> None:
    reply = await stack.wes.post(
        "runs", data=hello_form(), headers={"Idempotency-Key": "has space"}, expect=400
    )
    assert "Idempotency-Key" in reply.json["msg"]


async def test_refusals_under_a_key_are_not_delayed(stack: Stack) -> None:
    """A refused submission must not wait, as a retried one does, for Cromwell to show a run."""
    bad = hello_form(attachments={"options.json": b'{"backend": {"not": "allowed"}}'})
    started = time.monotonic()
    reply = await stack.wes.post("runs", data=bad, headers={"Idempotency-Key": "c"}, expect=400)
    assert "Cromwell refused the workflow" in reply.json["msg"]
    assert time.monotonic() - started < VISIBLE_WITHIN / 2


async def test_concurrent_retries_make_one_workflow(stack: Stack) -> None:
    headers = {"Idempotency-Key": "order-44"}
    replies = await asyncio.gather(
        *(stack.wes.post("runs", data=hello_form(), headers=headers) for _ in range(4))
    )
    assert {reply.status for reply in replies} == {200}
    assert len({reply.json["run_id"] for reply in replies}) == 1
    assert (await stats(stack))["submissions"] == 1


async def test_run_ids_of_keys_are_keyed_with_the_server_secret(
    stack: Stack, aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Replicas sharing `secret` agree on a key's run id; nobody without it can compute one."""

    async def replica(secret: str) -> Wes:
        return Wes(await aiohttp_client(create_app(replace(stack.settings, secret=secret))))

    with caplog.at_level(logging.WARNING, logger="cromwes.app"):
        first, second, foreign = (
            await replica(SECRET),
            await replica(SECRET),
            await replica(OTHER_SECRET),
        )
    assert [r for r in caplog.records if r.name == "cromwes.app"] == []
    key = "nightly-2026-12-02"
    headers = {"Idempotency-Key": key}
    run_id = (await first.post("runs", data=hello_form(), headers=headers, expect=200)).json
    retried = (await second.post("runs", data=hello_form(), headers=headers, expect=200)).json
    assert retried == run_id, "a retry through another replica finds the same run"
    assert (await stats(stack))["submissions"] == 1
    elsewhere = (await foreign.post("runs", data=hello_form(), headers=headers, expect=200)).json
    assert elsewhere != run_id
    # The name-based id anyone could compute from the key is not it.
    guessable = uuid.uuid5(uuid.UUID("6d0c4a43-2d7e-4a0f-9d5e-1c9b2b6e7f10"), f"\n{key}")
    assert uuid.UUID(run_id["run_id"]) != guessable
    assert uuid.UUID(run_id["run_id"]).version == 8


async def test_a_gateway_without_a_secret_says_so_at_start(
    make_stack: MakeStack, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="cromwes.app"):
        await make_stack()
    warnings = [r.getMessage() for r in caplog.records if r.name == "cromwes.app"]
    assert len(warnings) == 1
    assert "secret is not set" in warnings[0]
    assert "WES_SECRET" in warnings[0]
