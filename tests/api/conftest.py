"""API fixtures: the gateway over a socket, in front of the Cromwell emulator over a socket."""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pytest_aiohttp import AiohttpClient, AiohttpServer

from cromwes.app import create_app
from cromwes.config.loading import settings_from_tree
from cromwes.config.settings import Settings
from cromwes.emulator.config import EmulatorConfig
from cromwes.observability.loglines import LogLines
from tests.api.replay import ReplayingCromwell
from tests.emulated import emulated_cromwell
from tests.wes_spec import BASE, assert_matches_spec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@dataclass
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Wes:
    """A WES client for tests: every answer to a WES operation is checked against the spec."""

    def __init__(self, client: TestClient[Any, Any]) -> None:
        self.client = client

    async def call(
        self, method: str, path: str, *, expect: int | None = None, **kwargs: Any
    ) -> Reply:
        url = path if path.startswith("/") else f"{BASE}/{path}"
        async with self.client.request(method, url, **kwargs) as response:
            reply = Reply(response.status, response.headers, await response.read())
        if url.startswith(BASE) and "/logs/" not in url:
            assert_matches_spec(
                method, url.split("?")[0], reply.status, reply.body,
                reply.headers.get("Content-Type", "").split(";")[0],
            )  # fmt: skip
        if expect is not None:
            assert reply.status == expect, f"{method} {url}: {reply.status} {reply.body[:500]!r}"
        return reply

    async def get(self, path: str, **kwargs: Any) -> Reply:
        return await self.call("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> Reply:
        return await self.call("POST", path, **kwargs)

    async def submit(self, form: aiohttp.FormData, *, expect: int = 200) -> str:
        reply = await self.post("runs", data=form, expect=expect)
        return str(reply.json.get("run_id"))

    async def wait_for_state(
        self,
        run_id: str,
        states: set[str],
        *,
        within: float = 60,
        headers: Mapping[str, str] | None = None,
    ) -> str:
        """Poll the run's status until it is in `states`; fail saying what never happened."""
        deadline = time.monotonic() + within
        state = "?"
        while time.monotonic() < deadline:
            reply = await self.get(f"runs/{run_id}/status", headers=headers, expect=200)
            state = reply.json["state"]
            if state in states:
                return str(state)
            await asyncio.sleep(0.2)
        raise AssertionError(f"run {run_id} never reached {sorted(states)} (last: {state})")


@dataclass
class Stack:
    wes: Wes
    cromwell: TestClient[Any, Any]
    """A client of the emulator: its Cromwell API, and its `/_emulator` control and test API
    (sent to the admin listener; the Cromwell port does not serve it)."""
    settings: Settings
    data_dir: Path

    async def requests_to_cromwell(self, path_part: str = "") -> list[dict[str, Any]]:
        async with self.cromwell.get("/_emulator/requests") as response:
            entries: list[dict[str, Any]] = await response.json()
        return [entry for entry in entries if path_part in entry["path"]]

    async def move(self, run_id: str, status: str, **shape: Any) -> None:
        async with self.cromwell.post(
            f"/_emulator/workflows/{run_id}/status", json={"status": status, **shape}
        ) as response:
            assert response.status == 200, await response.text()

    async def synthetic(self, **request: Any) -> list[str]:
        async with self.cromwell.post("/_emulator/workflows", json=request) as response:
            assert response.status == 201, await response.text()
            ids: list[str] = (await response.json())["ids"]
        return ids

    async def faults(self, document: Any) -> None:
        async with self.cromwell.put("/_emulator/faults", json=document) as response:
            assert response.status == 200, await response.text()


MakeStack = Callable[..., Awaitable[Stack]]


class GatewayServer(TestServer):
    """The gateway served as `cromwes serve` serves it: aiohttp's TestServer cancels a handler
    when its client hangs up, `web.run_app` does not, and what a hang-up does must be tested as
    shipped."""

    async def _make_runner(self, **kwargs: Any) -> web.AppRunner:
        return web.AppRunner(self.app, **{**kwargs, "handler_cancellation": False})


def merged(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    tree = dict(base)
    for key, value in overlay.items():
        tree[key] = (
            merged(tree[key], value) if isinstance(value, Mapping) and key in tree else value
        )
    return tree


@pytest.fixture
async def make_stack(
    aiohttp_server: AiohttpServer, aiohttp_client: AiohttpClient, tmp_path: Path
) -> MakeStack:
    """Start an emulator (EmulatorConfig fields in `emulator`) and a gateway in front of it
    (settings as a tree in `settings`, merged over a test default; access and audit lines to
    `log_lines`, else through `logging`)."""

    async def make(
        *,
        emulator: Mapping[str, Any] | None = None,
        settings: Mapping[str, Any] | None = None,
        log_lines: LogLines | None = None,
    ) -> Stack:
        data_dir = tmp_path / "emulator"
        config = EmulatorConfig(**{"data_dir": data_dir, "mode": "controlled", **(emulator or {})})
        cromwell = await emulated_cromwell(aiohttp_server, config)
        tree = merged(
            {
                "cromwell": {"url": cromwell.url},
                "blob_storage_client": {
                    "local": {
                        "staging_path": str(tmp_path / "uploads"),
                        # As the shipped config.yaml: the execution root, not the data dir.
                        "allowed_read_roots": [str(data_dir / "cromwell-executions")],
                    }
                },
                "observability": {"log_format": "text"},
            },
            settings or {},
        )
        gateway_settings = settings_from_tree(tree)
        wes_client: TestClient[Any, Any] = await aiohttp_client(
            GatewayServer(create_app(gateway_settings, log_lines=log_lines))
        )
        cromwell_client: TestClient[Any, Any] = await aiohttp_client(
            cromwell.api, middlewares=(cromwell.routing(),)
        )
        return Stack(Wes(wes_client), cromwell_client, gateway_settings, data_dir)

    return make


@pytest.fixture
async def stack(make_stack: MakeStack) -> Stack:
    """Gateway + emulator in controlled mode: runs move only when a test moves them."""
    return await make_stack()


@pytest.fixture
async def wdl_stack(make_stack: MakeStack) -> Stack:
    """Gateway + emulator that really runs WDL through miniwdl on the host."""
    return await make_stack(emulator={"mode": "execute"})


def workflow_form(
    url: str,
    files: Mapping[str, bytes],
    *,
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
    extra: Mapping[str, str] | None = None,
) -> aiohttp.FormData:
    """A POST /runs form for WDL 1.0 with `files` attached (names may have directories)."""
    form = aiohttp.FormData()
    form.add_field("workflow_url", url)
    form.add_field("workflow_type", "WDL")
    form.add_field("workflow_type_version", "1.0")
    if params is not None:
        form.add_field("workflow_params", json.dumps(params))
    if tags is not None:
        form.add_field("tags", json.dumps(tags))
    for name, value in (extra or {}).items():
        form.add_field(name, value)
    for name, content in files.items():
        form.add_field("workflow_attachment", content, filename=name)
    return form


def example_form(*names: str, params: Mapping[str, Any] | None = None) -> aiohttp.FormData:
    """Submit files of examples/ (the first is the workflow), attached at their relative paths."""
    base = EXAMPLES / Path(names[0]).parent
    files = {str((EXAMPLES / n).relative_to(base)): (EXAMPLES / n).read_bytes() for n in names}
    return workflow_form(Path(names[0]).name, files, params=params)


def hello_form(
    *,
    url: str = "hello-world.wdl",
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
    extra: Mapping[str, str] | None = None,
    attachments: Mapping[str, bytes] | None = None,
    controlled: bool = False,
) -> aiohttp.FormData:
    """A POST /runs form submitting examples/hello-world.wdl as an attachment.

    `controlled`: the emulator does not run it, whatever its mode (a test moves it instead).
    """
    files = {"hello-world.wdl": (EXAMPLES / "hello-world.wdl").read_bytes(), **(attachments or {})}
    all_tags = {**(tags or {}), **({"cromwes-emulator": "controlled"} if controlled else {})}
    return workflow_form(
        url, files, params=params or {"hello_world.name": "test"}, tags=all_tags, extra=extra
    )


@dataclass
class Replay:
    wes: Wes
    cromwell: ReplayingCromwell


MakeReplay = Callable[..., Awaitable[Replay]]


@pytest.fixture
async def make_replay(
    aiohttp_server: AiohttpServer, aiohttp_client: AiohttpClient, tmp_path: Path
) -> MakeReplay:
    """A replaying Cromwell and a gateway in front of it (default settings, except that running
    runs are not cached, so a test sees each answer as Cromwell gives it)."""

    async def make(cromwell: ReplayingCromwell | None = None, **settings: Any) -> Replay:
        cromwell = cromwell or ReplayingCromwell()
        server = await aiohttp_server(cromwell.app())
        tree = merged(
            {
                "cromwell": {"url": str(server.make_url("")).rstrip("/")},
                "cache": {"running_ttl": 0},
                "blob_storage_client": {"local": {"staging_path": str(tmp_path / "uploads")}},
                "observability": {"log_format": "text"},
            },
            settings,
        )
        app = create_app(settings_from_tree(tree))
        gateway: TestClient[Any, Any] = await aiohttp_client(GatewayServer(app))
        return Replay(Wes(gateway), cromwell)

    return make
