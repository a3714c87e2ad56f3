"""The dashboard in a real browser (headless Chromium) against `cromwes dev` running real WDL:
the runs list, live updates without a reload, a run's tasks and timeline, its log tail, cancel."""

import asyncio
import base64
import secrets
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.browser.conftest import (
    TERMINAL,
    WAIT_MS,
    MakeBrowser,
    dev_stack,
    screenshot,
    submit,
    wait_for_state,
)
from tests.devstack import Dev, hello_run

pytestmark = [pytest.mark.external, pytest.mark.wdl]
NO_SIGN_OUT = "only a pasted bearer token can be dropped by the page; the browser keeps the rest"


async def test_the_runs_page_lists_a_finished_run_and_shows_a_new_one_without_a_reload(
    dev: Dev, browser: MakeBrowser
) -> None:
    async with aiohttp.ClientSession() as session:
        finished = (await hello_run(session, dev.wes_url, "dashboard"))["run_id"]
        chromium = await browser()
        page = await chromium.page()
        await page.goto(f"{dev.gateway_url}/ui/")
        row = page.locator(f'#runs tr[data-run-id="{finished}"]')
        await row.wait_for(timeout=WAIT_MS)
        assert "COMPLETE" in await row.inner_text()
        assert "hello_world" in await row.inner_text()
        await page.locator("#live.on").wait_for(timeout=WAIT_MS)
        await page.evaluate("window.notReloaded = true")
        fresh = await submit(session, dev.wes_url, "scatter.wdl", tags={"project": "live"})
        new_row = page.locator(f'#runs tr[data-run-id="{fresh}"]')
        await new_row.wait_for(timeout=WAIT_MS)
        await new_row.locator(".state-complete").wait_for(timeout=WAIT_MS)
        assert await page.evaluate("window.notReloaded === true"), "the page was reloaded"
        assert "project: live" in await new_row.inner_text()
        assert await page.locator("#runs tbody tr").first.get_attribute("data-run-id") == fresh
        assert await page.get_by_role("button", name="Sign out").count() == 0, NO_SIGN_OUT
        await screenshot(page, "runs")
    assert chromium.errors == []


async def test_the_run_page_shows_tasks_timeline_and_a_log_tail(
    dev: Dev, browser: MakeBrowser
) -> None:
    async with aiohttp.ClientSession() as session:
        run_id = await submit(session, dev.wes_url, "scatter.wdl", tags={"project": "squares"})
        assert await wait_for_state(session, dev.wes_url, run_id, TERMINAL) == "COMPLETE"
    chromium = await browser()
    page = await chromium.page()
    await page.goto(f"{dev.gateway_url}/ui/")
    await page.locator(f'#runs a:text-is("{run_id}")').click()
    await page.locator("#tasks tbody tr").nth(5).wait_for(timeout=WAIT_MS)
    assert page.url.endswith(f"/ui/#/runs/{run_id}")
    rows = await page.locator("#tasks tbody tr").all_inner_texts()
    assert len(rows) == 6
    assert sum("squares.square[" in row for row in rows) == 5
    assert all("COMPLETE" in row for row in rows), rows
    assert await page.locator("#timeline rect.bar-complete").count() == 6
    assert await page.locator("#run-state").inner_text() == "COMPLETE"
    assert '"squares.sum": 55' in await page.locator("#outputs").inner_text()
    assert "project: squares" in await page.locator("#tags").inner_text()
    await page.locator('#tasks tr[data-task-id="squares.square:3@1"] button').click()
    await page.locator("#tail:text-is('16')").wait_for(timeout=WAIT_MS)
    await screenshot(page, "run")
    assert chromium.errors == []


async def test_a_running_run_grows_its_timeline_and_cancel_stops_it(
    dev: Dev, browser: MakeBrowser
) -> None:
    async with aiohttp.ClientSession() as session:
        run_id = await submit(session, dev.wes_url, "long-running.wdl", tags={"project": "long"})
        chromium = await browser()
        page = await chromium.page()
        await page.goto(f"{dev.gateway_url}/ui/#/runs/{run_id}")
        bar = page.locator("#timeline rect.bar-running")
        await bar.wait_for(timeout=WAIT_MS)
        await grows(bar)
        await page.locator('#tasks tr[data-task-id="long_running.wait@1"] button').click()
        await page.locator("#tail:has-text('waiting 600 s')").wait_for(timeout=WAIT_MS)
        await screenshot(page, "run-running")
        await page.locator("#cancel").click()
        await page.locator("#run-state .state-canceled").wait_for(timeout=60_000)
        assert await state_of_run(session, dev, run_id) == "CANCELED"
        assert await page.locator("#cancel").is_hidden()
    assert chromium.errors == []


async def grows(bar: Any) -> None:
    """Return once the bar reaches further in time than it did (the timeline redraws a running
    task each second; the page's CSP forbids the eval a `wait_for_function` string needs)."""
    first = float(await bar.get_attribute("data-ms") or 0)
    deadline = time.monotonic() + WAIT_MS / 1000
    while float(await bar.get_attribute("data-ms") or 0) <= first:
        assert time.monotonic() < deadline, "the running task's bar never grew"
        await asyncio.sleep(0.2)


async def state_of_run(session: aiohttp.ClientSession, dev: Dev, run_id: str) -> str:
    return await wait_for_state(session, dev.wes_url, run_id, TERMINAL)


async def test_with_basic_auth_the_browser_signs_in_once_for_pages_and_streams(
    tmp_path: Path, browser: MakeBrowser
) -> None:
    password = secrets.token_urlsafe(16)
    users = [{"username": "ada", "password": password}]
    settings = {
        "server": {"address": "127.0.0.1"},
        "auth": {"method": "BASIC_AUTH", "basic_auth": {"users": users}},
    }
    async with dev_stack(tmp_path, settings) as stack:
        await _signed_in_and_refused(stack, browser, password)


async def _signed_in_and_refused(stack: Dev, browser: MakeBrowser, password: str) -> None:
    credentials = {
        "Authorization": "Basic " + base64.b64encode(f"ada:{password}".encode()).decode()
    }
    async with aiohttp.ClientSession(headers=credentials) as session:
        signed_in = await browser(http_credentials={"username": "ada", "password": password})
        page = await signed_in.page()
        await page.goto(f"{stack.gateway_url}/ui/")
        await page.locator("#live.on").wait_for(timeout=WAIT_MS)
        await page.locator("#runs-status:text-is('No runs match.')").wait_for(timeout=WAIT_MS)
        run_id = await submit(session, stack.wes_url, "hello-world.wdl", params=_name("ada"))
        row = page.locator(f'#runs tr[data-run-id="{run_id}"] .state-complete')
        await row.wait_for(timeout=WAIT_MS)
        assert await page.get_by_role("button", name="Sign out").count() == 0, NO_SIGN_OUT
    assert signed_in.errors == []
    # Headless Chromium waits for ever for someone to type into the sign-in prompt; wrong
    # credentials are refused as a stranger's are, and the page says what it needs.
    stranger = await browser(http_credentials={"username": "ada", "password": "not-" + password})
    page = await stranger.page()
    await page.goto(f"{stack.gateway_url}/ui/")
    await page.locator("#notice:has-text('Sign-in needed')").wait_for(timeout=WAIT_MS)
    assert await page.locator("#runs tbody tr").count() == 0
    assert stranger.errors_but(401) == [], "only the refused API calls may show as errors"


def _name(name: str) -> dict[str, Any]:
    return {"hello_world.name": name}
