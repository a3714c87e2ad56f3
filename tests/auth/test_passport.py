"""PASSPORT mode: scope `wes` and the route's `workbench.runs.*` action on `<audience><path>`."""

from typing import Any

import pytest
from aiohttp import web

from cromwes.api.middlewares import is_public
from cromwes.app import create_app
from cromwes.auth.passport import ALIASES, ROUTE_ACTIONS, covers, route_action
from cromwes.config.settings import AuthMethod, Settings
from cromwes.models import BASE_PATH
from tests.auth.conftest import Client, Gateway, error_body, token_auth
from tests.auth.issuer import AUDIENCE, Issuer, KeyPair, bearer

WES = AUDIENCE + BASE_PATH
ALL_ACTIONS = sorted(set(ROUTE_ACTIONS.values()))
RUN = f"{BASE_PATH}/runs/not-a-run"
BATCH = f"{BASE_PATH}/batches/not-a-batch"
"""A run id the handlers refuse with 404 before calling Cromwell: a 404 proves the caller got
through authorization."""


@pytest.fixture
async def client(gateway: Gateway, issuer: Issuer) -> Client:
    return await gateway(token_auth(AuthMethod.PASSPORT, issuer))


def passport(issuer: Issuer, key: KeyPair, actions: dict[str, list[str]], **claims: Any) -> str:
    return issuer.token(key, actions=actions, **claims)


async def test_a_grant_on_the_gateway_root_opens_every_route(
    client: Client, issuer: Issuer, rsa_key: KeyPair
) -> None:
    token = passport(issuer, rsa_key, {AUDIENCE + "/": ALL_ACTIONS})
    for method, path in (
        ("GET", RUN),
        ("GET", f"{RUN}/status"),
        ("GET", f"{RUN}/tasks"),
        ("POST", f"{RUN}/cancel"),
        ("GET", f"{RUN}/logs/stderr"),
        ("GET", f"{RUN}/logs/task/some-task/stdout"),
        ("GET", BATCH),
        ("POST", f"{BATCH}/cancel"),
    ):
        response = await client.request(method, path, headers=bearer(token))
        await error_body(response, 404)


async def test_a_token_without_scope_wes_is_403_insufficient_scope(
    client: Client, issuer: Issuer, rsa_key: KeyPair
) -> None:
    token = passport(issuer, rsa_key, {AUDIENCE + "/": ALL_ACTIONS}, scope="openid")
    response = await client.get(f"{RUN}/status", headers=bearer(token))
    body = await error_body(response, 403)
    assert "wes" in body["msg"]
    assert 'error="insufficient_scope", scope="wes"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize(
    ("method", "path", "granted", "needed"),
    [
        ("GET", f"{BASE_PATH}/runs", ["workbench.runs.get"], "workbench.runs.list"),
        ("POST", f"{BASE_PATH}/runs", ["workbench.runs.list"], "workbench.runs.execute"),
        ("GET", f"{RUN}/status", ["workbench.runs.list"], "workbench.runs.get"),
        ("POST", f"{RUN}/cancel", ["workbench.runs.get"], "workbench.runs.cancel"),
        ("GET", f"{RUN}/logs/stderr", ["workbench.runs.get"], "workbench.runs.logs.get"),
        ("GET", f"{RUN}/tasks", ["workbench.runs.logs.get"], "workbench.runs.get"),
        ("POST", f"{BASE_PATH}/batches", ["workbench.runs.execute"], "workbench.batches.execute"),
        ("GET", BATCH, ["workbench.runs.list"], "workbench.batches.get"),
        ("POST", f"{BATCH}/cancel", ["workbench.runs.cancel"], "workbench.batches.cancel"),
        ("GET", f"{RUN}/events", ["workbench.runs.list"], "workbench.runs.get"),
    ],
)
async def test_a_missing_action_is_403(
    client: Client,
    issuer: Issuer,
    rsa_key: KeyPair,
    method: str,
    path: str,
    granted: list[str],
    needed: str,
) -> None:
    token = passport(issuer, rsa_key, {AUDIENCE + "/": granted})
    response = await client.request(method, path, headers=bearer(token))
    body = await error_body(response, 403)
    assert body["msg"] == f"Access denied: the token does not grant {needed} on {AUDIENCE}{path}."


async def test_the_stream_of_every_run_needs_what_listing_them_needs_on_the_same_grant(
    client: Client, issuer: Issuer, rsa_key: KeyPair
) -> None:
    events = f"{BASE_PATH}/events"
    reading = passport(issuer, rsa_key, {f"{WES}/runs": ["workbench.runs.get"]})
    body = await error_body(await client.get(events, headers=bearer(reading)), 403)
    assert (
        body["msg"] == f"Access denied: the token does not grant workbench.runs.list on {WES}/runs."
    )
    listing = passport(issuer, rsa_key, {f"{WES}/runs": ["workbench.runs.list"]})
    for path in (f"{BASE_PATH}/runs", events):
        # Authorized: Cromwell (a closed port here) is what answers.
        await error_body(await client.get(path, headers=bearer(listing)), 502)


async def test_a_token_for_service_info_cannot_list_runs(
    client: Client, issuer: Issuer, rsa_key: KeyPair
) -> None:
    # The reference's own e2e check (reference-service.md §6.1).
    token = passport(issuer, rsa_key, {f"{WES}/service-info": ALL_ACTIONS})
    response = await client.get(f"{BASE_PATH}/runs", headers=bearer(token))
    await error_body(response, 403)


async def test_a_grant_on_one_run_covers_its_sub_resources_only(
    client: Client, issuer: Issuer, rsa_key: KeyPair
) -> None:
    actions = {f"{AUDIENCE}{RUN}": ["workbench.runs.get", "workbench.runs.logs.get"]}
    token = passport(issuer, rsa_key, actions)
    await error_body(await client.get(f"{RUN}/status", headers=bearer(token)), 404)
    await error_body(await client.get(f"{RUN}/logs/stderr", headers=bearer(token)), 404)
    other = f"{BASE_PATH}/runs/not-a-run-either/status"
    await error_body(await client.get(other, headers=bearer(token)), 403)


async def test_an_encoded_slash_cannot_climb_out_of_a_granted_run(
    client: Client, issuer: Issuer, rsa_key: KeyPair
) -> None:
    token = passport(issuer, rsa_key, {f"{AUDIENCE}{RUN}": ["workbench.runs.get"]})
    path = f"{RUN}%2F..%2F..%2Fother/status"
    await error_body(await client.get(path, headers=bearer(token)), 403)


@pytest.mark.parametrize(
    ("claims", "status"),
    [
        pytest.param({"actions": None}, 403, id="no-actions-claim"),
        pytest.param({"actions": ["workbench.runs.get"]}, 403, id="actions-as-a-list"),
        pytest.param({"actions": {AUDIENCE + "/": "workbench.runs.get"}}, 403, id="not-a-list"),
        pytest.param({"actions": {"https://other.example.org/": ALL_ACTIONS}}, 403, id="elsewhere"),
        pytest.param({"actions": {AUDIENCE + "/": ["wes:runs:read"]}}, 404, id="legacy-alias"),
        pytest.param({"actions": {AUDIENCE: ["workbench.runs.get"]}}, 404, id="no-slash"),
    ],
)
async def test_the_actions_claim_must_grant_the_action_on_a_covering_url(
    client: Client, issuer: Issuer, rsa_key: KeyPair, claims: dict[str, Any], status: int
) -> None:
    token = issuer.token(rsa_key, **claims)
    await error_body(await client.get(f"{RUN}/status", headers=bearer(token)), status)


async def test_any_configured_audience_may_carry_the_grant(
    gateway: Gateway, issuer: Issuer, rsa_key: KeyPair
) -> None:
    other = "https://wes.internal.example.org"
    client = await gateway(
        token_auth(AuthMethod.PASSPORT, issuer, audiences=(AUDIENCE, other + "/"))
    )
    token = passport(issuer, rsa_key, {other + "/": ["workbench.runs.get"]}, aud=other)
    await error_body(await client.get(f"{RUN}/status", headers=bearer(token)), 404)


async def test_an_unknown_path_is_404_not_403(
    client: Client, issuer: Issuer, rsa_key: KeyPair
) -> None:
    token = passport(issuer, rsa_key, {})
    response = await client.get(f"{BASE_PATH}/no-such-thing", headers=bearer(token))
    await error_body(response, 404)


async def test_public_paths_need_no_action(client: Client) -> None:
    response = await client.get("/docs/openapi.json")
    assert response.status == 200


def test_every_protected_wes_route_has_an_action() -> None:
    app = create_app(Settings())
    missing = [
        f"{route.method} {route.resource.canonical}"
        for route in app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith(BASE_PATH)
        and not is_public(route.resource.canonical)
        and route_action(route.method, route.resource) is None
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("method", "template", "action"),
    [
        ("HEAD", "/runs/{run_id}", "workbench.runs.get"),
        ("GET", "/runs/{run_id}/file", "workbench.runs.files.get"),
        ("GET", "/runs/{run_id}/files", "workbench.runs.files.list"),
        ("DELETE", "/runs/{run_id}/files", "workbench.runs.files.delete"),
        ("PUT", "/runs/{run_id}", None),
    ],
)
def test_routes_map_to_actions_whatever_their_parameters_are_called(
    method: str, template: str, action: str | None
) -> None:
    app = web.Application()
    route = app.router.add_route(method, BASE_PATH + template, _handler)
    assert route_action(method, route.resource) == action


async def _handler(request: web.Request) -> web.Response:
    return web.Response()


@pytest.mark.parametrize(
    ("granted_on", "resource", "covered"),
    [
        (f"{WES}/runs", f"{WES}/runs", True),
        (f"{WES}/runs", f"{WES}/runs/abc", True),
        (f"{WES}/runs/", f"{WES}/runs/abc", True),
        (f"{WES}/runs", f"{WES}/runs-archive", False),
        (AUDIENCE, f"{AUDIENCE}.evil.org/ga4gh", False),
        (AUDIENCE + "/", AUDIENCE, True),
        ("", f"{WES}/runs", False),
    ],
)
def test_a_grant_covers_urls_below_it_by_whole_path_components(
    granted_on: str, resource: str, covered: bool
) -> None:
    assert covers(granted_on, resource) is covered


def test_legacy_names_alias_current_actions() -> None:
    assert set().union(*ALIASES.values()) == set(ALL_ACTIONS)
