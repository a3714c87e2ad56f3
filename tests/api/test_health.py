"""Liveness, readiness (Cromwell's engine status) and build info, at our and actuator paths."""

import pytest

from cromwes import __version__
from tests.api.basic import BASIC_AUTH
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
