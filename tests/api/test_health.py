"""Liveness, readiness (Cromwell's engine status) and build info, at our and actuator paths."""

import asyncio

import pytest

from cromwes import __version__
from tests.api.basic import ALICE, BASIC_AUTH
from tests.api.conftest import MakeStack, Stack

LIVENESS = ["/health/live", "/actuator/health/liveness"]
READINESS = ["/health/ready", "/actuator/health", "/actuator/health/readiness"]


@pytest.mark.parametrize("path", LIVENESS + READINESS)
async def test_probes_are_up_with_cromwell_up(stack: Stack, path: str) -> None:
    reply = await stack.wes.get(path, expect=200)
    assert reply.json["status"] == "UP"
    assert reply.headers["Content-Type"] == "application/json"


async def test_readiness_asks_cromwells_engine_status(stack: Stack) -> None:
    await stack.wes.get("/health/ready", expect=200)
    assert await stack.requests_to_cromwell("/engine/v1/status")


@pytest.mark.parametrize("path", READINESS)
async def test_not_ready_while_cromwell_is_down(make_stack: MakeStack, path: str) -> None:
    stack = await make_stack(settings={"cromwell": {"url": "http://127.0.0.1:9"}})
    reply = await stack.wes.get(path, expect=503)
    assert reply.json["status_code"] == 503
    assert reply.json["status"] == "DOWN"
    assert "http://127.0.0.1:9" in reply.json["msg"]


async def test_not_ready_while_cromwell_reports_a_failing_subsystem(stack: Stack) -> None:
    unhealthy = '{"Engine Database": {"ok": false, "messages": ["Unknown status"]}}'
    await stack.faults([{"route": "engine_status", "kind": "error", "status": 500,
                         "body": unhealthy}])  # fmt: skip
    reply = await stack.wes.get("/actuator/health/readiness", expect=503)
    assert reply.json["msg"].startswith("Not ready: ")


@pytest.mark.parametrize("path", LIVENESS)
async def test_liveness_does_not_depend_on_cromwell(make_stack: MakeStack, path: str) -> None:
    stack = await make_stack(settings={"cromwell": {"url": "http://127.0.0.1:9"}})
    await stack.wes.get(path, expect=200)


async def test_info_names_the_build_version(stack: Stack) -> None:
    info = (await stack.wes.get("/actuator/info", expect=200)).json
    assert info["build"]["version"] == __version__
    assert info["build"]["name"] == "cromwes"


@pytest.mark.parametrize("path", [*LIVENESS, *READINESS, "/actuator/info"])
async def test_probes_need_no_credentials_when_auth_is_on(make_stack: MakeStack, path: str) -> None:
    stack = await make_stack(settings=BASIC_AUTH)
    await stack.wes.get(path, expect=200)


@pytest.mark.parametrize(
    "path",
    [
        "/healthX",
        "/health-check",
        "/docsX",
        "/docs.json",
        "/servicesX",
        "/actuator/healthX",
        "/actuator/infoX",
        "/ga4gh/wes/v1/service-infoX",
    ],
)
async def test_public_paths_are_whole_segments(make_stack: MakeStack, path: str) -> None:
    """`/health` is public and so is what lies below it; `/healthX` is another path."""
    stack = await make_stack(settings=BASIC_AUTH)
    reply = await stack.wes.get(path, expect=401)
    assert "WWW-Authenticate" in reply.headers
    assert (await stack.wes.get(path, headers=ALICE)).status == 404


async def test_dot_segments_do_not_lead_out_of_a_public_path(make_stack: MakeStack) -> None:
    stack = await make_stack(settings=BASIC_AUTH)
    for target in (
        "/health/../ga4gh/wes/v1/runs",
        "/docs/%2E%2E/ga4gh/wes/v1/runs",
        "/health/..%2Fga4gh/wes/v1/runs",
        "/services/./../ga4gh/wes/v1/runs",
    ):
        reader, writer = await asyncio.open_connection("127.0.0.1", stack.wes.client.port)
        writer.write(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 30)
        writer.close()
        status = int(answer.split(b" ", 2)[1])
        assert status in (401, 404), (target, answer[:300])
        assert b'"runs"' not in answer, target
