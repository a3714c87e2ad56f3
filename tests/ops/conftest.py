"""Fixtures of the deployment tests: certificates from nginx/make-certs.sh, and real nginx.

nginx is the Debian package that .ci/install-deps installs. The fixture renders
nginx/nginx.conf.template into the test's directory, starts nginx in the foreground with that
directory as its prefix (pid, logs and temporary files inside it) on a free loopback port, waits
until the port accepts and stops nginx afterwards.
"""

import asyncio
import json
import os
import shutil
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from pytest_aiohttp import AiohttpServer

from cromwes.emulator.config import EmulatorConfig
from tests.conftest import skip_or_fail
from tests.emulated import EmulatedCromwell, emulated_cromwell
from tests.servers import free_port, stop, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
NGINX_DIR = ROOT / "nginx"
TEMPLATE_VARIABLES = ("NGINX_LISTEN", "CROMWES_UPSTREAMS", "CROMWES_PREFIX")
CLIENT_SUBJECT = "CN=cromwes-client,O=cromwes"
"""The subject nginx reports for make-certs.sh's client certificate (RFC 2253 order)."""
WES = "/ga4gh/wes/v1"
"""The WES API's base path, as the spec writes it (nginx serves it below a prefix)."""


@dataclass(frozen=True)
class Certs:
    dir: Path

    def client_context(self, name: str | None = "client") -> ssl.SSLContext:
        """A TLS client trusting the test CA, presenting `<name>.crt` (None: no certificate)."""
        context = ssl.create_default_context(cafile=self.dir / "ca.crt")
        if name is not None:
            context.load_cert_chain(self.dir / f"{name}.crt", self.dir / f"{name}.key")
        return context


@dataclass(frozen=True)
class Nginx:
    port: int
    prefix: str
    dir: Path

    @property
    def url(self) -> str:
        """The external base of cromwes through this proxy (path prefix included)."""
        return f"https://127.0.0.1:{self.port}{self.prefix}"

    @property
    def access_log(self) -> Path:
        return self.dir / "logs" / "access.log"


StartNginx = Callable[..., Awaitable[Nginx]]


def render(template: str, values: Mapping[str, str]) -> str:
    """What `envsubst '${NGINX_LISTEN} ${CROMWES_UPSTREAMS} ${CROMWES_PREFIX}'` does: replace
    exactly these variables and leave nginx's own `$variables` alone."""
    for name in TEMPLATE_VARIABLES:
        template = template.replace("${" + name + "}", values[name])
    return template


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    if shutil.which("openssl") is None:
        skip_or_fail("openssl is not installed")
    directory = tmp_path_factory.mktemp("certs")
    subprocess.run(
        ["bash", str(NGINX_DIR / "make-certs.sh"), str(directory)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return Certs(directory)


@pytest.fixture(scope="session")
def nginx_binary() -> str:
    # Debian installs it in /usr/sbin, which a non-root PATH may not include.
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        skip_or_fail("nginx is not installed (.ci/install-deps installs it)")
    assert found is not None
    return found


@pytest.fixture
async def start_nginx(tmp_path: Path, certs: Certs, nginx_binary: str) -> AsyncIterator[StartNginx]:
    """`await start_nginx(upstreams=["127.0.0.1:8090", ...], prefix="/wes")`."""
    processes: list[asyncio.subprocess.Process] = []

    async def start(*, upstreams: Sequence[str], prefix: str = "") -> Nginx:
        directory = tmp_path / f"nginx-{len(processes)}"
        for sub in ("logs", "temp"):
            (directory / sub).mkdir(parents=True)
        shutil.copytree(certs.dir, directory / "certs")
        port = free_port()
        config = render(
            (NGINX_DIR / "nginx.conf.template").read_text(encoding="utf-8"),
            {
                "NGINX_LISTEN": f"127.0.0.1:{port}",
                "CROMWES_UPSTREAMS": " ".join(f"server {upstream};" for upstream in upstreams),
                "CROMWES_PREFIX": prefix,
            },
        )
        (directory / "nginx.conf").write_text(config, encoding="utf-8")
        # As root, nginx's workers would switch to `nobody`, who cannot enter the test's
        # directory; keep them as the invoking user.
        directives = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
        process = await asyncio.create_subprocess_exec(
            nginx_binary, "-p", f"{directory}/", "-c", "nginx.conf",
            "-e", "logs/error.log", "-g", directives,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        processes.append(process)
        error_log = directory / "logs" / "error.log"
        await wait_for_port(port, process, what="nginx", log=error_log)
        return Nginx(port=port, prefix=prefix, dir=directory)

    yield start
    for process in processes:
        await stop(process)


@dataclass
class GatewayProcess:
    """`cromwes serve` as a process, its log lines (one JSON object each) in a file."""

    port: int
    process: asyncio.subprocess.Process
    log: Path

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def lines(self) -> list[dict[str, Any]]:
        return [
            json.loads(line)
            for line in self.log.read_text(encoding="utf-8").splitlines()
            if line.startswith("{")
        ]

    async def lines_until(
        self, wanted: Callable[[dict[str, Any]], bool], *, within: float = 10.0
    ) -> list[dict[str, Any]]:
        """Every line so far, once one is `wanted`: the gateway writes its lines from a thread
        of its own, in batches, a moment after the answer."""
        deadline = time.monotonic() + within
        while True:
            lines = self.lines()
            if any(wanted(line) for line in lines):
                return lines
            if time.monotonic() > deadline:
                raise AssertionError(f"no such line in {self.log} within {within} s")
            await asyncio.sleep(0.02)


StartGateway = Callable[[Mapping[str, Any]], Awaitable[GatewayProcess]]


@pytest.fixture
async def start_gateway(tmp_path: Path) -> AsyncIterator[StartGateway]:
    """Start `cromwes serve` with `CROMWES_CONFIG` pointing at the given settings tree."""
    started: list[GatewayProcess] = []

    async def start(tree: Mapping[str, Any]) -> GatewayProcess:
        port = free_port()
        config = tmp_path / f"gateway-{len(started)}.yaml"
        config.write_text(
            yaml.safe_dump({**tree, "server": {"address": "127.0.0.1", "port": port}}),
            encoding="utf-8",
        )
        log = tmp_path / f"gateway-{len(started)}.log"
        with log.open("wb") as sink:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "cromwes", "serve",
                env={**os.environ, "CROMWES_CONFIG": str(config)},
                stdout=sink, stderr=sink,
            )  # fmt: skip
        gateway = GatewayProcess(port, process, log)
        started.append(gateway)
        await wait_for_port(port, process, what="cromwes serve", log=log)
        return gateway

    yield start
    for gateway in started:
        await stop(gateway.process)


PREFIX = "/wes"
"""The path prefix the proxied tests serve the gateway under (X-Forwarded-Prefix)."""


@pytest.fixture
async def emulator(aiohttp_server: AiohttpServer, tmp_path: Path) -> EmulatedCromwell:
    config = EmulatorConfig(data_dir=tmp_path / "emulator", mode="controlled")
    return await emulated_cromwell(aiohttp_server, config)


async def move(emulator: EmulatedCromwell, run_id: str, status: str) -> None:
    """Move a run of the controlled `emulator` to the Cromwell `status` (the emulator README,
    "Moving a controlled workflow")."""
    async with aiohttp.ClientSession() as session:
        url = f"{emulator.admin_url}/_emulator/workflows/{run_id}/status"
        async with session.post(url, data=json.dumps({"status": status})) as response:
            assert response.status == 200, await response.text()


def proxied_gateway_settings(
    emulator: EmulatedCromwell, tmp_path: Path, **extra: Any
) -> dict[str, Any]:
    """Settings of a NO_AUTH gateway in front of `emulator`, as behind the mTLS proxy."""
    return {
        "cromwell": {"url": emulator.url},
        "auth": {"method": "NO_AUTH"},
        "blob_storage_client": {
            "local": {
                "staging_path": str(tmp_path / "uploads"),
                "allowed_read_roots": [str(tmp_path / "emulator" / "cromwell-executions")],
            }
        },
        **extra,
    }


@pytest.fixture
async def proxy(start_nginx: StartNginx, gateway: GatewayProcess) -> Nginx:
    """nginx with mTLS in front of the test module's `gateway` fixture, under PREFIX."""
    return await start_nginx(upstreams=[gateway.address], prefix=PREFIX)
