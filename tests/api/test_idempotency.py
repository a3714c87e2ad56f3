import asyncio
import time
from pathlib import Path

from cromwes.service.submissions import VISIBLE_WITHIN
from tests.api.conftest import Stack, hello_form


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
