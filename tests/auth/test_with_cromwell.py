"""Valid callers against the Cromwell emulator: each mode lets them work, the caller's id labels
their runs, and with `per_user_runs` neither of two users sees or touches the other's runs."""

import base64
import dataclasses
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pytest_aiohttp import AiohttpServer

from cromwes.auth.passport import ROUTE_ACTIONS
from cromwes.config.settings import AuthMethod, AuthSettings, BasicAuthSettings, BasicAuthUser
from cromwes.emulator.config import EmulatorConfig
from tests.auth.conftest import Client, Gateway, error_body, token_auth
from tests.auth.issuer import AUDIENCE, Issuer, KeyPair
from tests.emulated import EmulatedCromwell, emulated_cromwell

WES = "/ga4gh/wes/v1"
HELLO = """version 1.0

workflow hello {
  input {
    String name
  }
  output {
    String greeting = "Hello ~{name}!"
  }
}
"""
Headers = dict[str, str]
Caller = Callable[[str], Headers]
"""User name -> the headers that make a request come from that user."""


@pytest.fixture
async def emulator(aiohttp_server: AiohttpServer, tmp_path: Path) -> EmulatedCromwell:
    """A controlled-mode Cromwell emulator: submitted runs stay put until a test moves them."""
    config = EmulatorConfig(data_dir=tmp_path / "emulator", mode="controlled")
    return await emulated_cromwell(aiohttp_server, config)


@pytest.fixture
def cromwell_url(emulator: EmulatedCromwell) -> str:
    return emulator.url


async def emulator_json(url: str) -> Any:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200, await response.text()
        return await response.json()


def submission() -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("workflow_url", "hello.wdl")
    form.add_field("workflow_type", "WDL")
    form.add_field("workflow_type_version", "1.0")
    form.add_field("workflow_params", json.dumps({"hello.name": "world"}))
    form.add_field("workflow_attachment", HELLO.encode(), filename="hello.wdl")
    return form


async def submit(client: Client, headers: Headers) -> str:
    response = await client.post(f"{WES}/runs", data=submission(), headers=headers)
    assert response.status == 200, await response.text()
    run_id: str = (await response.json())["run_id"]
    return run_id


async def run_ids(client: Client, headers: Headers) -> set[str]:
    response = await client.get(f"{WES}/runs", headers=headers)
    assert response.status == 200, await response.text()
    return {run["run_id"] for run in (await response.json())["runs"]}


async def state_counts(client: Client, headers: Headers) -> dict[str, int]:
    response = await client.get(f"{WES}/service-info", headers=headers)
    assert response.status == 200, await response.text()
    counts: dict[str, int] = (await response.json())["system_state_counts"]
    return counts


def bearer(issuer: Issuer, key: KeyPair) -> Caller:
    def headers(user: str) -> Headers:
        grants = {AUDIENCE + "/": sorted(set(ROUTE_ACTIONS.values()))}
        return {"Authorization": f"Bearer {issuer.token(key, sub=user, actions=grants)}"}

    return headers


def basic(user: str) -> Headers:
    credentials = base64.b64encode(f"{user}:{user}-password".encode()).decode()
    return {"Authorization": f"Basic {credentials}"}


BASIC_USERS = BasicAuthSettings(
    users=tuple(BasicAuthUser(username=u, password=f"{u}-password") for u in ("alice", "bob"))
)


StartMode = Callable[[bool], Awaitable[tuple[Client, Caller]]]


@pytest.fixture(params=[AuthMethod.BASIC_AUTH, AuthMethod.OAUTH, AuthMethod.PASSPORT])
def start(
    request: pytest.FixtureRequest, gateway: Gateway, issuer: Issuer, rsa_key: KeyPair
) -> StartMode:
    """Start the gateway in one mode in front of the emulator (`per_user_runs` as asked)."""
    method: AuthMethod = request.param

    async def go(per_user_runs: bool) -> tuple[Client, Caller]:
        if method is AuthMethod.BASIC_AUTH:
            auth = AuthSettings(method=method, basic_auth=BASIC_USERS, per_user_runs=per_user_runs)
            return await gateway(auth), basic
        auth = dataclasses.replace(token_auth(method, issuer), per_user_runs=per_user_runs)
        return await gateway(auth), bearer(issuer, rsa_key)

    return go


async def test_a_valid_caller_submits_lists_reads_and_cancels(
    start: StartMode, emulator: EmulatedCromwell
) -> None:
    client, caller = await start(False)
    alice = caller("alice")
    run_id = await submit(client, alice)
    assert run_id in await run_ids(client, alice)
    response = await client.get(f"{WES}/runs/{run_id}", headers=alice)
    assert response.status == 200, await response.text()
    assert (await response.json())["run_id"] == run_id
    response = await client.get(f"{WES}/runs/{run_id}/status", headers=alice)
    assert (await response.json())["state"] in ("QUEUED", "INITIALIZING")
    response = await client.post(f"{WES}/runs/{run_id}/cancel", headers=alice)
    assert response.status == 200, await response.text()
    workflow = await emulator_json(f"{emulator.admin_url}/_emulator/workflows/{run_id}")
    assert workflow["status"] in ("Aborting", "Aborted")


async def test_the_caller_id_labels_the_run(start: StartMode, emulator: EmulatedCromwell) -> None:
    client, caller = await start(False)
    run_id = await submit(client, caller("alice"))
    labels = await emulator_json(f"{emulator.url}/api/workflows/v1/{run_id}/labels")
    assert labels["labels"]["user_id"] == "alice"


async def test_an_authenticated_caller_sees_state_counts(start: StartMode) -> None:
    client, caller = await start(False)
    await submit(client, caller("alice"))
    assert sum((await state_counts(client, caller("alice"))).values()) == 1
    anonymous = await client.get(f"{WES}/service-info")
    assert (await anonymous.json())["system_state_counts"] == {}


async def test_without_scoping_every_caller_sees_every_run(start: StartMode) -> None:
    client, caller = await start(False)
    alice_run = await submit(client, caller("alice"))
    bob_run = await submit(client, caller("bob"))
    assert await run_ids(client, caller("alice")) == {alice_run, bob_run}


async def test_with_scoping_users_see_and_touch_only_their_own_runs(
    start: StartMode, emulator: EmulatedCromwell
) -> None:
    client, caller = await start(True)
    alice, bob = caller("alice"), caller("bob")
    alice_run = await submit(client, alice)
    bob_run = await submit(client, bob)

    assert await run_ids(client, alice) == {alice_run}
    assert await run_ids(client, bob) == {bob_run}
    assert sum((await state_counts(client, alice)).values()) == 1
    assert sum((await state_counts(client, bob)).values()) == 1

    for path in ("", "/status", "/tasks", "/logs/stderr"):
        response = await client.get(f"{WES}/runs/{alice_run}{path}", headers=bob)
        await error_body(response, 404)
        own = await client.get(f"{WES}/runs/{alice_run}{path}", headers=alice)
        assert own.status == 200, (path, await own.text())
    await error_body(await client.post(f"{WES}/runs/{alice_run}/cancel", headers=bob), 404)
    workflow = await emulator_json(f"{emulator.admin_url}/_emulator/workflows/{alice_run}")
    assert workflow["status"] == "Submitted"
