import asyncio
import uuid

import pytest

from tests.api.conftest import MakeStack, Stack, hello_form


async def test_status_follows_cromwell(make_stack: MakeStack) -> None:
    # Each move is made behind the gateway's back, so each would show only once the held
    # status expires (tests/api/test_polling.py); here the mapping is what is checked.
    stack = await make_stack(settings={"cache": {"status_ttl": 0}})
    run_id = await stack.wes.submit(hello_form())
    expected = [
        ("Submitted", "QUEUED"),
        ("Running", "RUNNING"),
        ("Aborting", "CANCELING"),
        ("Aborted", "CANCELED"),
    ]
    for status, state in expected:
        await stack.move(run_id, status)
        reply = await stack.wes.get(f"runs/{run_id}/status", expect=200)
        assert reply.json == {"run_id": run_id, "state": state}


async def test_on_hold_is_paused(stack: Stack) -> None:
    run_id = await stack.wes.submit(hello_form())
    await stack.move(run_id, "On Hold")
    reply = await stack.wes.get(f"runs/{run_id}/status", expect=200)
    assert reply.json["state"] == "PAUSED"


@pytest.mark.parametrize(
    "run_id",
    ["not-a-uuid", str(uuid.uuid4()), "01a20049-008c-74c2-8047-e97884547557"],
    ids=["malformed", "unknown-v4", "unknown-old-v7"],
)
@pytest.mark.parametrize("suffix", ["", "/status", "/tasks", "/logs/stderr"])
async def test_unknown_runs_are_404(stack: Stack, run_id: str, suffix: str) -> None:
    reply = await stack.wes.get(f"runs/{run_id}{suffix}", expect=404)
    assert reply.json["status_code"] == 404


async def test_cancel_unknown_run_is_404(stack: Stack) -> None:
    await stack.wes.post(f"runs/{uuid.uuid4()}/cancel", expect=404)


async def test_cancel_running_run_then_finished_run_is_409(stack: Stack) -> None:
    run_id = await stack.wes.submit(hello_form())
    await stack.move(run_id, "Running")
    reply = await stack.wes.post(f"runs/{run_id}/cancel", expect=200)
    assert reply.json == {"run_id": run_id}
    assert (await stack.wes.get(f"runs/{run_id}/status")).json["state"] == "CANCELING"
    await stack.move(run_id, "Aborted")
    reply = await stack.wes.post(f"runs/{run_id}/cancel", expect=409)
    assert "already CANCELED" in reply.json["msg"]


async def test_cancel_queued_run_is_canceled_at_once(stack: Stack) -> None:
    run_id = await stack.wes.submit(hello_form())
    await stack.wes.post(f"runs/{run_id}/cancel", expect=200)
    assert (await stack.wes.get(f"runs/{run_id}/status")).json["state"] == "CANCELED"


async def test_run_log_of_a_fresh_run(stack: Stack) -> None:
    run_id = await stack.wes.submit(hello_form(tags={"project": "demo"}))
    log = (await stack.wes.get(f"runs/{run_id}", expect=200)).json
    assert log["run_id"] == run_id
    assert log["state"] == "QUEUED"
    assert log["request"]["tags"] == {"project": "demo"}
    assert log["request"]["workflow_url"] == "hello-world.wdl"
    assert log["request"]["workflow_type"] == "WDL"
    assert log["request"]["workflow_type_version"] == "1.0"
    assert log["task_logs_url"].endswith(f"/ga4gh/wes/v1/runs/{run_id}/tasks")
    assert log["outputs"] == {}


async def test_run_log_urls_follow_forwarded_headers(stack: Stack) -> None:
    run_id = await stack.wes.submit(hello_form())
    headers = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "wes.example.org",
        "X-Forwarded-Port": "8443",
        "X-Forwarded-Prefix": "/proxy",
    }
    log = (await stack.wes.get(f"runs/{run_id}", headers=headers, expect=200)).json
    base = f"https://wes.example.org:8443/proxy/ga4gh/wes/v1/runs/{run_id}"
    assert log["task_logs_url"] == f"{base}/tasks"
    assert log["run_log"]["stderr"] == f"{base}/logs/stderr"


async def test_failed_run_has_task_logs_and_failures(stack: Stack) -> None:
    run_id = await stack.wes.submit(hello_form())
    await stack.move(run_id, "Running")
    await stack.move(run_id, "Failed")
    log = (await stack.wes.get(f"runs/{run_id}", expect=200)).json
    assert log["state"] == "EXECUTOR_ERROR"
    assert log["run_log"]["exit_code"] == 1
    assert log["task_logs"], "a failed run shows its tasks"
    stderr = await stack.wes.get(f"runs/{run_id}/logs/stderr", expect=200)
    assert b"message" in stderr.body


async def test_etag_gives_304_when_nothing_changed(stack: Stack) -> None:
    run_id = await stack.wes.submit(hello_form())
    for path in (f"runs/{run_id}/status", f"runs/{run_id}", f"runs/{run_id}/tasks"):
        first = await stack.wes.get(path, expect=200)
        etag = first.headers["ETag"]
        again = await stack.wes.get(path, headers={"If-None-Match": etag})
        assert again.status == 304, path
    await stack.move(run_id, "Running")
    changed = await stack.wes.get(
        f"runs/{run_id}/status", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert changed.status == 200


async def test_grace_period_reports_a_just_submitted_run_as_queued(make_stack: MakeStack) -> None:
    stack = await make_stack(emulator={"post_submit_404": 60})
    run_id = await stack.wes.submit(hello_form())
    reply = await stack.wes.get(f"runs/{run_id}/status", expect=200)
    assert reply.json["state"] == "QUEUED"
    log = (await stack.wes.get(f"runs/{run_id}", expect=200)).json
    assert log["state"] == "QUEUED"
    status = await stack.requests_to_cromwell(f"/{run_id}/status")
    assert status, "the gateway asked Cromwell, which did not know the run yet"


async def test_a_run_cromwell_does_not_show_yet_claims_no_request(make_stack: MakeStack) -> None:
    """Empty workflow_url, params and tags would read as what the client asked for."""
    stack = await make_stack(emulator={"post_submit_404": 60})
    form = hello_form(tags={"project": "demo"}, params={"hello_world.name": "Ada"})
    run_id = await stack.wes.submit(form)
    log = (await stack.wes.get(f"runs/{run_id}", expect=200)).json
    assert await stack.requests_to_cromwell(f"/{run_id}/metadata"), "Cromwell was asked"
    assert log["state"] == "QUEUED"
    assert "request" not in log
    [note] = log["run_log"]["system_logs"]
    assert "Cromwell does not show this run yet" in note
    assert (log["task_logs"], log["outputs"]) == ([], {})


async def test_routing_errors_are_wes_errors(stack: Stack) -> None:
    reply = await stack.wes.get("no-such-thing", expect=404)
    assert reply.json["status_code"] == 404
    reply = await stack.wes.call("PUT", "runs", expect=405)
    assert "POST" in reply.headers["Allow"]
    assert reply.json["status_code"] == 405


async def test_trailing_slash_is_tolerated(stack: Stack) -> None:
    run_id = await stack.wes.submit(hello_form())
    reply = await stack.wes.get(f"runs/{run_id}/", expect=200)
    assert reply.json["run_id"] == run_id


async def test_the_trailing_slash_redirect_stays_on_this_origin(stack: Stack) -> None:
    # An absolute-form target (RFC 9112 §3.2.2), as a forward proxy sends: only its path counts.
    reader, writer = await asyncio.open_connection(stack.wes.client.host, stack.wes.client.port)
    writer.write(
        b"GET http://evil.example/ga4gh/wes/v1/runs/?page_size=2 HTTP/1.1\r\n"
        b"Host: evil.example\r\nConnection: close\r\n\r\n"
    )
    head = (await reader.read()).split(b"\r\n\r\n", 1)[0].decode()
    writer.close()
    assert head.startswith("HTTP/1.1 308"), head
    assert "\r\nLocation: /ga4gh/wes/v1/runs?page_size=2\r\n" in head, head
