"""The service under test: `E2E_BASE_URI` if set, else a live stack this suite starts itself.

Environment (as the reference service's e2e suite, reference-service.md §9b):

* `E2E_BASE_URI`: where the service is (`https://host[:port][/prefix]`, without /ga4gh/wes/v1).
  Unset: `cromwes dev` (the Cromwell emulator, which really runs WDL, and a gateway in
  BASIC_AUTH mode) is started on free loopback ports for the session, as `make test` does.
* `E2E_TOKEN`: a bearer token; or `E2E_BASIC_AUTH` as `user:password`. Neither: no auth, and the
  tests of refusals are skipped.
* `E2E_MAX_WORKFLOW_WAIT_TIME`: how long a run may take, in seconds or as `PT10M` (10 minutes).
* `E2E_CA_CERT`, `E2E_CLIENT_CERT`, `E2E_CLIENT_KEY`: TLS trust and a client certificate, to
  test through the mTLS proxy of nginx/.
"""

import base64
import os
import re
import secrets
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.e2e.client import Attachment, Reply, WesClient
from tests.servers import free_port

WORKFLOWS = Path(__file__).resolve().parent / "workflows"
DEFAULT_MAX_WAIT = 600.0
STARTUP_TIMEOUT = 60.0
SHARED_NAME = "Some sort of String"
_ISO_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$", re.IGNORECASE)


def max_wait(environ: Mapping[str, str]) -> float:
    text = environ.get("E2E_MAX_WORKFLOW_WAIT_TIME", "").strip()
    if not text:
        return DEFAULT_MAX_WAIT
    if match := _ISO_DURATION.match(text):
        hours, minutes, seconds = (float(part or 0) for part in match.groups())
        return hours * 3600 + minutes * 60 + seconds
    return float(text)


def credentials(environ: Mapping[str, str]) -> dict[str, str]:
    if token := environ.get("E2E_TOKEN"):
        return {"Authorization": f"Bearer {token}"}
    if basic := environ.get("E2E_BASIC_AUTH"):
        return {"Authorization": "Basic " + base64.b64encode(basic.encode()).decode()}
    return {}


def tls_context(environ: Mapping[str, str]) -> ssl.SSLContext | None:
    if not any(environ.get(name) for name in ("E2E_CA_CERT", "E2E_CLIENT_CERT")):
        return None
    context = ssl.create_default_context(cafile=environ.get("E2E_CA_CERT") or None)
    if certificate := environ.get("E2E_CLIENT_CERT"):
        context.load_cert_chain(certificate, environ.get("E2E_CLIENT_KEY") or None)
    return context


@pytest.fixture(scope="session")
def wes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WesClient]:
    environ = os.environ
    if base_uri := environ.get("E2E_BASE_URI"):
        yield WesClient(
            base_uri,
            credentials=credentials(environ),
            max_wait=max_wait(environ),
            tls=tls_context(environ),
        )
        return
    with _dev_stack(tmp_path_factory.mktemp("e2e-stack")) as (base_uri, user):
        yield WesClient(base_uri, credentials=credentials({"E2E_BASIC_AUTH": user}),
                        max_wait=max_wait(environ))  # fmt: skip


@dataclass(frozen=True)
class Submitted:
    """The runs the suite shares, all submitted at the start so that they run side by side."""

    hello: Reply
    """echo.wdl (draft-2) as attachment, tags WES=TestRun, engine parameter write_to_cache."""
    imports: Reply
    """A WDL 1.0 main file and the file it imports (structs, a sub-workflow): four tasks."""
    options: Reply
    """echo.wdl with an options.json attachment."""
    frank: Reply
    """An attachment used as an input: name.txt holds "Frank"."""
    files: Reply
    """two_files.wdl: a FINAL output, a SECONDARY (intermediate) file and task logs."""

    def run_id(self, name: str) -> str:
        reply: Reply = getattr(self, name)
        assert reply.status == 200, f"submitting {name}: {reply.status} {reply.text}"
        return str(reply.json["run_id"])


@pytest.fixture(scope="session")
def submitted(wes: WesClient) -> Submitted:
    echo = Attachment("echo.wdl", (WORKFLOWS / "echo.wdl").read_bytes())
    return Submitted(
        hello=wes.submit(
            {
                "workflow_url": "echo.wdl",
                "workflow_type": "WDL",
                "workflow_type_version": "draft-2",
                "workflow_params": f'{{"hello_world.name": "{SHARED_NAME}"}}',
                "workflow_engine_parameters": '{"write_to_cache": false}',
                "tags": '{"WES": "TestRun"}',
            },
            [echo],
        ),
        imports=wes.submit(
            {
                "workflow_url": "workflow_with_imports.wdl",
                "workflow_type": "WDL",
                "workflow_type_version": "1.0",
                "workflow_params": "{}",
            },
            [
                Attachment(name, (WORKFLOWS / name).read_bytes())
                for name in ("workflow_with_imports.wdl", "people.wdl")
            ],
        ),
        options=wes.submit(
            {
                "workflow_url": "echo.wdl",
                "workflow_type": "WDL",
                "workflow_type_version": "draft-2",
                "workflow_params": '{"hello_world.name": "options"}',
            },
            [echo, Attachment("options.json", b'{"write_to_cache": false}')],
        ),
        frank=wes.submit(
            {
                "workflow_url": "read_input.wdl",
                "workflow_type": "WDL",
                "workflow_type_version": "1.0",
                "workflow_params": '{"test.input_file": "name.txt"}',
            },
            [
                Attachment("read_input.wdl", (WORKFLOWS / "read_input.wdl").read_bytes()),
                Attachment("name.txt", b"Frank"),
            ],
        ),
        files=wes.submit(
            {
                "workflow_url": "two_files.wdl",
                "workflow_type": "WDL",
                "workflow_type_version": "1.0",
            },
            [Attachment("two_files.wdl", (WORKFLOWS / "two_files.wdl").read_bytes())],
        ),
    )


class _DevStack:
    """`cromwes dev` with its own data directory and free ports, stopped at the end."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.password = secrets.token_urlsafe(16)
        self.port, emulator_port = free_port(), free_port()
        data = directory / "emulator"
        config = directory / "config.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    # cromwell.url and the read roots come from the emulator cromwes dev starts.
                    "server": {"address": "127.0.0.1", "port": self.port},
                    "auth": {
                        "method": "BASIC_AUTH",
                        "basic_auth": {"users": [{"username": "e2e", "password": self.password}]},
                    },
                    "blob_storage_client": {"local": {"staging_path": str(directory / "uploads")}},
                }
            ),
            encoding="utf-8",
        )
        self.log = directory / "dev.log"
        with self.log.open("wb") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cromwes", "dev", "--config", str(config),
                 "--data-dir", str(data), "--emulator-port", str(emulator_port)],
                stdout=sink, stderr=sink, cwd=directory,
            )  # fmt: skip

    @property
    def base_uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"cromwes dev exited with {self.process.returncode}{self._tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.base_uri}/health/ready", timeout=5) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, OSError) as exc:
                last = str(exc)
            time.sleep(0.1)
        raise AssertionError(f"cromwes dev never became ready ({last}){self._tail()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _tail(self) -> str:
        return ":\n" + "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])


@contextmanager
def _dev_stack(directory: Path) -> Iterator[tuple[str, str]]:
    """The base URI of a ready `cromwes dev`, and its user as `user:password`."""
    stack = _DevStack(directory)
    try:
        stack.wait_until_ready()
        yield stack.base_uri, f"e2e:{stack.password}"
    finally:
        stack.stop()
