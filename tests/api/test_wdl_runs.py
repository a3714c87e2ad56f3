"""Real WDL through the whole stack: gateway -> emulator -> miniwdl on the host."""

from urllib.parse import urlsplit

import pytest

from tests.api.conftest import Stack, example_form, hello_form

pytestmark = pytest.mark.wdl


async def test_hello_world_completes_with_outputs_and_readable_logs(wdl_stack: Stack) -> None:
    wes = wdl_stack.wes
    run_id = await wes.submit(hello_form(params={"hello_world.name": "Some sort of String"}))
    assert await wes.wait_for_state(run_id, {"COMPLETE", "EXECUTOR_ERROR"}) == "COMPLETE"
    log = (await wes.get(f"runs/{run_id}", expect=200)).json
    assert log["outputs"]["hello_world.message"] == "Hello Some sort of String!"
    [task] = log["task_logs"]
    assert task["exit_code"] == 0
    base = f"/ga4gh/wes/v1/runs/{run_id}/logs/task/{task['id']}"
    assert task["stdout"].endswith(f"{base}/stdout")

    stdout = await wes.get(f"{base}/stdout", expect=200)
    assert stdout.body == b"Hello Some sort of String!\n"
    assert stdout.headers["Accept-Ranges"] == "bytes"
    stderr = await wes.get(f"{base}/stderr", expect=200)
    assert stderr.body == b"Goodbye Some sort of String!\n"

    size = len(stdout.body)
    ranges = {
        "bytes=0-4": (b"Hello", "bytes 0-4/27"),
        "bytes=6-": (b"Some sort of String!\n", "bytes 6-26/27"),
        "bytes=1-3": (b"ell", "bytes 1-3/27"),
        "bytes=-7": (b"tring!\n", "bytes 20-26/27"),
        "bytes=26-": (b"\n", "bytes 26-26/27"),
        "bytes=0-999": (stdout.body, "bytes 0-26/27"),
    }
    assert size == 27
    for header, (expected, content_range) in ranges.items():
        reply = await wes.get(f"{base}/stdout", headers={"Range": header}, expect=206)
        assert reply.body == expected, header
        assert reply.headers["Content-Range"] == content_range
    for header in ("bytes=1-3,6-9", f"bytes={len(stdout.body)}-"):
        reply = await wes.get(f"{base}/stdout", headers={"Range": header}, expect=416)
        assert reply.json["status_code"] == 416
        assert reply.headers["Content-Range"] == f"bytes */{len(stdout.body)}"
    legacy = await wes.get(
        f"/ga4gh/wes/v1/runs/{run_id}/logs/task/hello_world.say_hello/0/stdout", expect=200
    )
    assert legacy.body == stdout.body
    none = await wes.get(f"/ga4gh/wes/v1/runs/{run_id}/logs/stderr", expect=200)
    assert none.body == b"[]"


async def test_long_run_is_canceled(wdl_stack: Stack) -> None:
    wes = wdl_stack.wes
    form = example_form("long-running.wdl")
    run_id = await wes.submit(form)
    await wes.wait_for_state(run_id, {"RUNNING"})
    await wes.post(f"runs/{run_id}/cancel", expect=200)
    assert await wes.wait_for_state(run_id, {"CANCELED"}, within=30) == "CANCELED"
    await wes.post(f"runs/{run_id}/cancel", expect=409)


async def test_subworkflow_tasks_are_flattened(wdl_stack: Stack) -> None:
    wes = wdl_stack.wes
    form = example_form(
        "subworkflow/main.wdl", "subworkflow/lib/greet.wdl",
        params={"greet_all.names": ["ada", "bob"]},
    )  # fmt: skip
    run_id = await wes.submit(form)
    assert await wes.wait_for_state(run_id, {"COMPLETE", "EXECUTOR_ERROR"}) == "COMPLETE"
    log = (await wes.get(f"runs/{run_id}", expect=200)).json
    assert log["outputs"]["greet_all.greetings"] == ["HELLO ADA", "HELLO BOB"]
    assert len(log["task_logs"]) == 2
    for task in log["task_logs"]:
        assert "~" in task["id"], "a task inside a sub-workflow carries its call path"
        reply = await wes.get(urlsplit(task["stdout"]).path, expect=200)
        assert reply.body.startswith(b"HELLO ")
