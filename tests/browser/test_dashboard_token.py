"""The dashboard with OAUTH: a `cromwes dev` stack verifying JWTs with keys it discovers from a
live issuer over HTTP, per-user runs on (config/oauth.yaml), and a browser that has only the
token a person pastes into the page. Pages and the event streams carry it; another user's token
sees none of the first user's runs; a refused token brings the form back with the reason; signing
out forgets the token and stops the page, so that another user signs in in the same tab."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pytest_aiohttp import AiohttpServer

from tests.auth.issuer import AUDIENCE, Issuer, KeyPair, bearer, rsa_pair
from tests.browser.conftest import (
    TERMINAL,
    WAIT_MS,
    Browser,
    MakeBrowser,
    dev_stack,
    screenshot,
    submit,
    wait_for_state,
)
from tests.devstack import WES, Dev

pytestmark = [pytest.mark.external, pytest.mark.wdl]
TOKEN_KEY = "cromwes.bearer-token"
"""Where api.js keeps the pasted token (this tab's sessionStorage)."""
FORM = "This service wants a bearer token"


@dataclass
class TokenStack:
    dev: Dev
    issuer: Issuer
    key: KeyPair

    def token(self, user: str, **changes: Any) -> str:
        return self.issuer.token(self.key, sub=user, **changes)


@asynccontextmanager
async def oauth_stack(tmp_path: Path, server: AiohttpServer) -> AsyncIterator[TokenStack]:
    """`cromwes dev --config` with OAUTH as config/oauth.yaml has it, trusting a live issuer
    whose keys the gateway discovers (`/.well-known/openid-configuration`, then its JWKS)."""
    key = rsa_pair("dashboard-1")
    issuer = Issuer(keys=[key])
    issuer.url = str((await server(issuer.app())).make_url("")).rstrip("/")
    settings = {
        "server": {"address": "127.0.0.1"},
        "auth": {
            "method": "OAUTH",
            "issuer_uri": issuer.url,
            "per_user_runs": True,
            "token_issuer": {"audiences": [AUDIENCE], "scopes": ["wes"]},
        },
    }
    async with dev_stack(tmp_path, settings) as dev:
        yield TokenStack(dev, issuer, key)


@dataclass(frozen=True)
class Call:
    """An API call a page made: what it sent as Authorization, and the answer's status."""

    path: str
    authorization: str | None
    status: int


async def watched(chromium: Browser) -> tuple[Any, list[Call]]:
    """A page, and every WES call it makes (streams included) as the server answered it."""
    page = await chromium.page()
    calls: list[Call] = []

    async def record(response: Any) -> None:
        if WES in response.url:
            sent = await response.request.all_headers()
            path = response.url.split(WES + "/", 1)[1]
            calls.append(Call(path, sent.get("authorization"), response.status))

    page.on("response", record)
    return page, calls


@dataclass
class Sent:
    """A WES call as the page sent it, and whether the server answered or it was aborted."""

    path: str
    authorization: str | None
    answered: bool = False
    failed: bool = False


async def traffic(chromium: Browser) -> tuple[Any, list[Sent]]:
    """A page, and every WES call it sends (streams included) in the order it sends them."""
    page = await chromium.page()
    sent: list[Sent] = []
    by_request: dict[Any, Sent] = {}

    def on_request(request: Any) -> None:
        if WES in request.url:
            path = request.url.split(WES + "/", 1)[1]
            # The Authorization a script sets is among the headers the request starts with.
            by_request[request] = Sent(path, request.headers.get("authorization"))
            sent.append(by_request[request])

    def on_response(response: Any) -> None:
        if response.request in by_request:
            by_request[response.request].answered = True

    def on_failed(request: Any) -> None:
        if request in by_request:
            by_request[request].failed = True

    page.on("request", on_request)
    page.on("response", on_response)
    page.on("requestfailed", on_failed)
    return page, sent


def answered(sent: list[Sent]) -> bool:
    """Whether every call sent so far has its answer (a stream's is its first bytes)."""
    return all(s.answered or s.failed for s in sent)


async def until(condition: Callable[[], bool], never: str) -> None:
    deadline = time.monotonic() + WAIT_MS / 1000
    while not condition():
        assert time.monotonic() < deadline, never
        await asyncio.sleep(0.05)


async def sign_in(page: Any, token: str) -> None:
    await page.locator("#token").fill(token)
    await page.locator("button:text-is('Use token')").click()


async def test_with_oauth_the_dashboard_asks_for_a_token_and_sends_it_to_pages_and_streams(
    tmp_path: Path, aiohttp_server: AiohttpServer, browser: MakeBrowser
) -> None:
    async with oauth_stack(tmp_path, aiohttp_server) as stack:
        alice = stack.token("alice")
        async with aiohttp.ClientSession(headers=bearer(alice)) as session:
            before = await submit(session, stack.dev.wes_url, "hello-world.wdl")
            assert await wait_for_state(session, stack.dev.wes_url, before, TERMINAL) == "COMPLETE"
            chromium = await browser()
            page, calls = await watched(chromium)
            await page.goto(f"{stack.dev.gateway_url}/ui/")
            await page.locator(f"p:has-text('{FORM}')").wait_for(timeout=WAIT_MS)
            assert await page.locator("#runs").count() == 0
            assert await page.locator("#token-error").count() == 0, "no token was refused yet"
            await screenshot(page, "token-sign-in")

            await sign_in(page, alice)
            await page.locator(f'#runs tr[data-run-id="{before}"] .state-complete').wait_for(
                timeout=WAIT_MS
            )
            await page.locator("#live.on").wait_for(timeout=WAIT_MS)
            await page.evaluate("window.notReloaded = true")
            after = await submit(session, stack.dev.wes_url, "hello-world.wdl", tags={"p": "live"})
            row = page.locator(f'#runs tr[data-run-id="{after}"]')
            await row.locator(".state-complete").wait_for(timeout=WAIT_MS)
            assert await page.evaluate("window.notReloaded === true"), "the page was reloaded"
            assert await page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')") == alice
            await screenshot(page, "token-runs")

            await page.locator(f'#runs a:text-is("{before}")').click()
            task = page.locator('#tasks tr[data-task-id="hello_world.say_hello@1"]')
            await task.locator(".state-complete").wait_for(timeout=WAIT_MS)
            assert await page.locator("#run-state").inner_text() == "COMPLETE"
            await screenshot(page, "token-run")
        # Before the token, every call was refused; with it, every call (streams too) carried it.
        assert {c.status for c in calls if c.authorization is None} == {401}
        signed = [c for c in calls if c.authorization is not None]
        assert {(c.authorization, c.status) for c in signed} == {(f"Bearer {alice}", 200)}
        paths = {c.path.split("?")[0] for c in signed}
        assert paths >= {"runs", "events", f"runs/{before}", f"runs/{before}/events"}, paths
        assert chromium.errors_but(401) == []
        assert stack.issuer.jwks_requests >= 1

        await _another_user_sees_none_of_it(stack, browser, before, after)


async def _another_user_sees_none_of_it(
    stack: TokenStack, browser: MakeBrowser, *alices_runs: str
) -> None:
    bob = stack.token("bob")
    async with aiohttp.ClientSession(headers=bearer(bob)) as session:
        chromium = await browser()
        page = await chromium.page()
        await page.goto(f"{stack.dev.gateway_url}/ui/")
        await sign_in(page, bob)
        await page.locator("#live.on").wait_for(timeout=WAIT_MS)
        await page.locator("#runs-status:text-is('No runs match.')").wait_for(timeout=WAIT_MS)
        own = await submit(session, stack.dev.wes_url, "hello-world.wdl")
        await page.locator(f'#runs tr[data-run-id="{own}"] .state-complete').wait_for(
            timeout=WAIT_MS
        )
        assert await page.locator("#runs tbody tr").count() == 1
        # A link to another user's run shows what the API says of it: nothing is there.
        await page.goto(f"{stack.dev.gateway_url}/ui/#/runs/{alices_runs[0]}")
        await page.locator("#notice:has-text('was not found')").wait_for(timeout=WAIT_MS)
        assert await page.locator("#tasks tbody tr").count() == 0
    assert chromium.errors_but(401, 404) == []


async def test_a_refused_token_brings_the_form_back_with_the_reason(
    tmp_path: Path, aiohttp_server: AiohttpServer, browser: MakeBrowser
) -> None:
    async with oauth_stack(tmp_path, aiohttp_server) as stack:
        now = int(time.time())
        forger = KeyPair(stack.key.kid, "RS256", rsa_pair("forger").private_key)
        refused = {
            "signature does not verify": stack.issuer.token(forger, sub="alice"),
            "not meant for this service": stack.token("alice", aud="https://other.example.org"),
            "has expired": stack.token("alice", iat=now - 7200, exp=now - 3600),
            "lacks the scope(s) wes": stack.token("alice", scope="openid"),
        }
        chromium = await browser()
        page, calls = await watched(chromium)
        await page.goto(f"{stack.dev.gateway_url}/ui/")
        for reason, token in refused.items():
            await sign_in(page, token)
            await page.locator(f"#token-error:has-text('{reason}')").wait_for(timeout=WAIT_MS)
            assert await page.locator(f"p:has-text('{FORM}')").is_visible()
            assert await page.locator("#runs").count() == 0
            # Forgotten, so that a reload asks again rather than sending it once more.
            assert await page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')") is None
        await screenshot(page, "token-refused")
        # A token kept in the tab that has expired since: one refusal, the form, no retry loop.
        expired = refused["has expired"]
        await page.evaluate(f"sessionStorage.setItem('{TOKEN_KEY}', '{expired}')")
        typed = len(calls)
        await page.reload()
        await page.locator("#token-error:has-text('has expired')").wait_for(timeout=WAIT_MS)
        await sign_in(page, stack.token("alice"))
        await page.locator("#runs-status:text-is('No runs match.')").wait_for(timeout=WAIT_MS)
        await page.locator("#live.on").wait_for(timeout=WAIT_MS)
        refusals = [c for c in calls[typed:] if c.authorization == f"Bearer {expired}"]
        assert 1 <= len(refusals) <= 2, refusals  # at most the list and the stream, once each
        assert chromium.errors_but(401, 403) == []


async def test_sign_out_forgets_the_token_stops_the_page_and_lets_another_user_sign_in(
    tmp_path: Path, aiohttp_server: AiohttpServer, browser: MakeBrowser
) -> None:
    async with oauth_stack(tmp_path, aiohttp_server) as stack:
        tokens = {user: stack.token(user) for user in ("alice", "bob")}
        runs: dict[str, str] = {}
        for user, token in tokens.items():
            async with aiohttp.ClientSession(headers=bearer(token)) as session:
                wes = stack.dev.wes_url
                runs[user] = await submit(session, wes, "hello-world.wdl", tags={"owner": user})
                assert await wait_for_state(session, wes, runs[user], TERMINAL) == "COMPLETE"
        chromium = await browser()
        page, sent = await traffic(chromium)
        # A filter in the URL is the user's too: it must not outlive the sign-out.
        await page.goto(f"{stack.dev.gateway_url}/ui/#/?tag=owner:alice")
        await page.locator(f"p:has-text('{FORM}')").wait_for(timeout=WAIT_MS)
        assert await page.get_by_role("button", name="Sign out").count() == 0, "no token yet"
        await sign_in(page, tokens["alice"])
        await _sign_out_of_the_runs_page(page, sent, tokens, runs)
        await _sign_out_aborts_the_calls_under_way(page, sent, tokens, runs)
        # Checked while a stream is open (it breaks, and says so, when the stack stops).
        assert chromium.errors_but(401) == []


async def _sign_out_of_the_runs_page(
    page: Any, sent: list[Sent], tokens: dict[str, str], runs: dict[str, str]
) -> None:
    """Alice, on her runs (a stream open), signs out; then Bob signs in, in the same tab."""
    sign_out = page.get_by_role("button", name="Sign out")
    hers = page.locator(f'#runs tr[data-run-id="{runs["alice"]}"]')
    await hers.locator(".state-complete").wait_for(timeout=WAIT_MS)
    await page.locator("#live.on").wait_for(timeout=WAIT_MS)
    await until(lambda: answered(sent), "a call of her page was never answered")
    streams = [s for s in sent if s.path.startswith("events") and s.authorization is not None]
    assert len(streams) == 1, streams

    clicked = len(sent)
    await sign_out.click()
    await page.locator(f"p:has-text('{FORM}')").wait_for(timeout=WAIT_MS)
    assert await page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')") is None
    assert await sign_out.count() == 0
    assert await page.locator("#token-error").count() == 0, "nothing was refused"
    assert await page.locator("#live.on").count() == 0
    assert runs["alice"] not in await page.locator("body").inner_text()
    assert page.url.endswith("/ui/#/"), page.url
    await until(lambda: streams[0].failed, "her event stream was never closed")
    await screenshot(page, "token-signed-out")

    await sign_in(page, tokens["bob"])
    his = page.locator(f'#runs tr[data-run-id="{runs["bob"]}"]')
    await his.locator(".state-complete").wait_for(timeout=WAIT_MS)
    await page.locator("#live.on").wait_for(timeout=WAIT_MS)
    assert await page.locator("#runs tbody tr").count() == 1
    assert await page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')") == tokens["bob"]
    assert await sign_out.is_visible()
    await until(lambda: answered(sent), "a call of his page was never answered")
    # Nothing after the click carried her token, or anything but his: her page stopped at once.
    after = [(s.path, s.authorization) for s in sent[clicked:]]
    assert {authorization for _, authorization in after} == {"Bearer " + tokens["bob"]}, after


async def _sign_out_aborts_the_calls_under_way(
    page: Any, sent: list[Sent], tokens: dict[str, str], runs: dict[str, str]
) -> None:
    """Bob signs out while his run page still waits for its run log and its event stream;
    Alice signs in. Both calls are aborted: the run log answered late would lead the page on to
    his run's tasks and logs, with her token by then."""

    async def hold(route: Any) -> None:
        """Never let the call through: it waits until the page gives it up."""

    await page.route(f"**{WES}/runs/{runs['bob']}**", hold)
    await page.locator(f'#runs a:text-is("{runs["bob"]}")').click()
    his_run = f"runs/{runs['bob']}"
    await until(
        lambda: {his_run, f"{his_run}/events"} <= {s.path.split("?")[0] for s in sent},
        "his run page never asked for its run log and its event stream",
    )
    waiting = [s for s in sent if s.path.startswith(his_run)]

    clicked = len(sent)
    await page.get_by_role("button", name="Sign out").click()
    await page.locator(f"p:has-text('{FORM}')").wait_for(timeout=WAIT_MS)
    await until(lambda: all(s.failed for s in waiting), "his run page's calls were never aborted")
    await sign_in(page, tokens["alice"])
    await page.locator(f'#runs tr[data-run-id="{runs["alice"]}"]').wait_for(timeout=WAIT_MS)
    await page.locator("#live.on").wait_for(timeout=WAIT_MS)
    await until(lambda: answered(sent), "a call of her page was never answered")
    assert await page.locator("#notice").is_hidden()
    after = [(s.path, s.authorization) for s in sent[clicked:]]
    assert {authorization for _, authorization in after} == {"Bearer " + tokens["alice"]}, after
    assert not [path for path, _ in after if path.startswith(his_run)], after
