"""Fixtures of the dashboard tests: Debian's Chromium driven by Playwright, and a `cromwes dev`.

Chromium is the Debian package `.ci/install-deps` installs (`/usr/bin/chromium`), never a
browser Playwright downloads. Each test gets a fresh profile, and every console error and
uncaught exception of its pages is collected: a test ends by asserting there were none (or
none but the console lines of the API calls it expects to be refused).
"""

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from playwright.async_api import async_playwright

from tests.conftest import skip_or_fail
from tests.devstack import EXAMPLES, PROJECT, Dev, dev_command, start_dev

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
SCREENSHOTS = PROJECT / "test-output" / "screenshots"
"""Where the tests leave pictures of each page (git-ignored; README "Dashboard")."""
TERMINAL = {"COMPLETE", "EXECUTOR_ERROR", "SYSTEM_ERROR", "CANCELED", "PREEMPTED"}
WAIT_MS = 30_000
"""How long a page may take to show what a test waits for."""


@dataclass
class Browser:
    """A Chromium profile of one test and what its pages reported."""

    context: Any
    errors: list[str] = field(default_factory=list)

    async def page(self) -> Any:
        page = await self.context.new_page()
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        return page

    def errors_but(self, *statuses: int) -> list[str]:
        """The errors its pages reported, less Chromium's console line for each API call
        answered with one of `statuses` ("... responded with a status of 401 ...")."""
        refused = tuple(f"status of {status}" for status in statuses)
        return [error for error in self.errors if not any(r in error for r in refused)]


MakeBrowser = Callable[..., Awaitable[Browser]]


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is missing (.ci/install-deps installs Debian's chromium)")
    return CHROMIUM


@pytest.fixture
async def browser(tmp_path: Path, chromium: Path) -> AsyncIterator[MakeBrowser]:
    """`await browser(**context_options)`: a fresh Chromium profile (closed at the end)."""
    async with async_playwright() as playwright:
        contexts: list[Any] = []

        async def make(**options: Any) -> Browser:
            context = await playwright.chromium.launch_persistent_context(
                str(tmp_path / f"profile-{len(contexts)}"),
                executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True,
                viewport={"width": 1280, "height": 900}, **options,
            )  # fmt: skip
            contexts.append(context)
            return Browser(context)

        yield make
        for context in contexts:
            await context.close()


@asynccontextmanager
async def dev_stack(
    tmp_path: Path, settings: Mapping[str, Any] | None = None
) -> AsyncIterator[Dev]:
    """`cromwes dev` on free ports, running real WDL: with its defaults, or with `--config` a
    file of `settings`; stopped at the end, whatever the test did."""
    options: list[str] = []
    if settings is not None:
        config = tmp_path / "config.yaml"
        config.write_text(yaml.safe_dump(settings), encoding="utf-8")
        options = ["--config", str(config)]
    stack = await start_dev(
        dev_command(*options, "--port", "0", "--emulator-port", "0",
                    "--data-dir", str(tmp_path / "data")),
        cwd=tmp_path, log=tmp_path / "dev.log",
    )  # fmt: skip
    try:
        yield stack
    finally:
        await stack.close()


@pytest.fixture
async def dev(tmp_path: Path) -> AsyncIterator[Dev]:
    """`cromwes dev` with its defaults (NO_AUTH)."""
    async with dev_stack(tmp_path) as stack:
        yield stack


async def submit(
    session: aiohttp.ClientSession, wes_url: str, workflow: str, *,
    tags: Mapping[str, str] | None = None, params: Mapping[str, Any] | None = None,
) -> str:  # fmt: skip
    """Submit examples/`workflow` as an attachment, as the README's curl does; its run id."""
    form = aiohttp.FormData()
    form.add_field("workflow_url", workflow)
    form.add_field("workflow_type", "WDL")
    form.add_field("workflow_type_version", "1.0")
    form.add_field("workflow_params", json.dumps(params or {}))
    form.add_field("tags", json.dumps(tags or {}))
    form.add_field("workflow_attachment", (EXAMPLES / workflow).read_bytes(), filename=workflow)
    async with session.post(f"{wes_url}/runs", data=form) as response:
        assert response.status == 200, await response.text()
        run_id: str = (await response.json())["run_id"]
        return run_id


async def state_of(session: aiohttp.ClientSession, wes_url: str, run_id: str) -> str:
    async with session.get(f"{wes_url}/runs/{run_id}/status") as response:
        assert response.status == 200, await response.text()
        state: str = (await response.json())["state"]
        return state


async def wait_for_state(
    session: aiohttp.ClientSession, wes_url: str, run_id: str, states: set[str], within: float = 120
) -> str:
    deadline = time.monotonic() + within
    state = "?"
    while time.monotonic() < deadline:
        state = await state_of(session, wes_url, run_id)
        if state in states:
            return state
        await asyncio.sleep(0.2)
    raise AssertionError(f"run {run_id} never reached {sorted(states)} (last: {state})")


async def screenshot(page: Any, name: str) -> Path:
    """A full-page picture in test-output/screenshots/ (README "Dashboard")."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    if os.environ.get("CROMWES_UPDATE_SCREENSHOTS") == "1":
        # The committed copies the README shows: refreshed on demand, never by a plain test run.
        (PROJECT / "examples" / "screenshots" / path.name).write_bytes(path.read_bytes())
    return path
