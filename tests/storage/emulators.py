"""The real servers the storage tests talk to: Azurite, and a Google OAuth token endpoint.

Recipes and their pitfalls: ../shared/reference/emulator-recipes.md §2-§4.
"""

import ctypes
import json
import os
import re
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
"""Azurite's well-known development account (public, documented by Azurite itself)."""
LISTENING = re.compile(r"Azurite Blob service successfully listens on (http://\S+)")
STARTUP_TIMEOUT = 30.0
PR_SET_PDEATHSIG = 1


@dataclass
class Azurite:
    """A running Azurite blob service; `account_url` ends with the account name (path style)."""

    process: subprocess.Popen[str]
    account_url: str
    output: list[str] = field(default_factory=list)

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};"
            f"AccountKey={AZURITE_KEY};BlobEndpoint={self.account_url};"
        )


@contextmanager
def running_azurite(binary: Path, workdir: Path) -> Iterator[Azurite]:
    """Start Azurite on a port it picks itself (`--blobPort 0`) and stop its whole group after."""
    process = subprocess.Popen(
        [
            str(binary),
            *("--blobHost", "127.0.0.1", "--blobPort", "0"),
            *("--inMemoryPersistence", "--disableTelemetry"),
        ],
        cwd=workdir,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=_die_with_parent(),
    )
    try:
        output: list[str] = []
        listening = threading.Event()
        address: list[str] = []
        # Keep draining stdout for the whole session so that Azurite never blocks on a full pipe.
        threading.Thread(
            target=_drain, args=(process, output, address, listening), daemon=True
        ).start()
        if not listening.wait(STARTUP_TIMEOUT) or not address:
            raise RuntimeError(f"Azurite did not start listening; it said: {''.join(output)}")
        yield Azurite(process, f"{address[0]}/{AZURITE_ACCOUNT}", output)
    finally:
        _stop_group(process)


def _drain(
    process: subprocess.Popen[str],
    output: list[str],
    address: list[str],
    listening: threading.Event,
) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        output.append(line)
        if (match := LISTENING.search(line)) and not listening.is_set():
            address.append(match[1])
            listening.set()
    listening.set()  # exited before listening: let the waiter fail at once


def _die_with_parent() -> Callable[[], None]:
    """PR_SET_PDEATHSIG, so that Azurite dies with pytest even if pytest is killed with -9.

    libc is loaded here, before the fork, so that the child runs no loader code.
    """
    prctl = ctypes.CDLL("libc.so.6", use_errno=True).prctl

    def set_death_signal() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)

    return set_death_signal


def _stop_group(process: subprocess.Popen[str]) -> None:
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(wait)
            break
        except subprocess.TimeoutExpired:
            continue
    if process.stdout is not None:
        process.stdout.close()


@dataclass
class TokenServer:
    """A Google OAuth 2.0 token endpoint on loopback: what a service account's `token_uri` calls.

    Service-account credentials fetch an access token before their first API call; the emulator
    accepts any bearer token, so this one hands out a fixed token and counts the requests.
    """

    token_uri: str
    requests: list[dict[str, list[str]]]


@contextmanager
def running_token_server() -> Iterator[TokenServer]:
    requests: list[dict[str, list[str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            requests.append(parse_qs(self.rfile.read(length).decode()))
            body = json.dumps(
                {"access_token": "test-access-token", "expires_in": 3600, "token_type": "Bearer"}
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the token requests are asserted on, not printed

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield TokenServer(f"http://{host!s}:{port}/token", requests)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


TEST_UNIVERSE = "cromwes.test"
"""The key's universe domain. In Google's own universe (googleapis.com) google-auth looks up a
"regional access boundary" at iamcredentials.googleapis.com after each token refresh; tests must
not reach outside the machine, and cromwes must honour a key's universe anyway."""


def service_account_info(token_uri: str) -> dict[str, str]:
    """A service-account key made here: it signs V4 URLs offline like a real one."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "project_id": "cromwes-test",
        "private_key_id": "test-key-1",
        "private_key": pem,
        "client_email": "cromwes-test@cromwes-test.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": token_uri,
        "universe_domain": TEST_UNIVERSE,
    }
