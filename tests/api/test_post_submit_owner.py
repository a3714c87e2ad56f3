"""Just after a submit Cromwell knows no labels (404): the owner checks still fail closed
(issue 18 item 8). The gateway reads the owner back from the run id it minted."""

from dataclasses import replace

import pytest
from pytest_aiohttp import AiohttpClient

from cromwes.app import create_app
from tests.api.basic import PER_USER_BASIC_AUTH, as_user
from tests.api.conftest import MakeStack, Stack, Wes, hello_form

WINDOW = 120.0
"""The emulator's post-submit 404, longer than any test: every request below falls inside it."""


@pytest.fixture
async def fresh(make_stack: MakeStack) -> Stack:
    return await make_stack(
        emulator={"post_submit_404": WINDOW},
        settings={**PER_USER_BASIC_AUTH, "secret": "shared-by-replicas-5e8a1f"},
    )


async def submitted_by_alice(stack: Stack) -> str:
    reply = await stack.wes.post("runs", data=hello_form(), headers=as_user("alice"), expect=200)
    run_id: str = reply.json["run_id"]
    # Cromwell itself does not show the run yet.
    async with stack.cromwell.get(f"/api/workflows/v1/{run_id}/labels") as response:
        assert response.status == 404
    return run_id


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "cancel"), ("GET", "status"), ("GET", ""), ("GET", "tasks"), ("GET", "files")],
)
async def test_another_user_is_refused_in_the_window(fresh: Stack, method: str, path: str) -> None:
    run_id = await submitted_by_alice(fresh)
    url = f"runs/{run_id}/{path}".rstrip("/")
    reply = await fresh.wes.call(method, url, headers=as_user("bob"), expect=404)
    assert run_id in reply.json["msg"]
    assert await fresh.requests_to_cromwell("/abort") == []
    status = await fresh.wes.get(f"runs/{run_id}/status", headers=as_user("alice"), expect=200)
    assert status.json["state"] == "QUEUED"


async def test_the_owner_may_read_and_cancel_in_the_window(fresh: Stack) -> None:
    run_id = await submitted_by_alice(fresh)
    alice = as_user("alice")
    await fresh.wes.get(f"runs/{run_id}", headers=alice, expect=200)
    reply = await fresh.wes.post(f"runs/{run_id}/cancel", headers=alice, expect=200)
    assert reply.json == {"run_id": run_id}
    assert len(await fresh.requests_to_cromwell(f"/{run_id}/abort")) == 1


async def test_a_replica_sharing_the_secret_knows_the_owner_and_others_refuse(
    fresh: Stack, aiohttp_client: AiohttpClient
) -> None:
    run_id = await submitted_by_alice(fresh)

    async def replica(secret: str | None) -> Wes:
        return Wes(await aiohttp_client(create_app(replace(fresh.settings, secret=secret))))

    sharing, alone = await replica(fresh.settings.secret), await replica(None)
    await sharing.get(f"runs/{run_id}/status", headers=as_user("alice"), expect=200)
    await sharing.get(f"runs/{run_id}/status", headers=as_user("bob"), expect=404)
    # Without the secret a replica cannot tell the owner yet: it refuses, it never guesses.
    await alone.get(f"runs/{run_id}/status", headers=as_user("alice"), expect=404)
