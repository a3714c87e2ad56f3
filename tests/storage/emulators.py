"""The real servers and keys the storage tests use: Azurite, and a service-account key.

Recipes and their pitfalls: ../shared/reference/emulator-recipes.md §2-§4.
"""

import ctypes
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

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
    command = [
        str(binary),
        *("--blobHost", "127.0.0.1", "--blobPort", "0"),
        *("--inMemoryPersistence", "--disableTelemetry"),
    ]
    with running_server(command, LISTENING, cwd=workdir) as (address, output):
        yield Azurite(f"{address}/{AZURITE_ACCOUNT}", output)


GCS_EMULATOR_SCRIPT = """
import sys
from gcp_storage_emulator.server import create_server
server = create_server("127.0.0.1", 0, in_memory=True)
server.start()
print("GCS emulator listens on http://%s:%d" % server._api._httpd.server_address, flush=True)
sys.stdin.read()  # until the parent closes our stdin
server.stop()
"""
GCS_LISTENING = re.compile(r"GCS emulator listens on (http://\S+)")


@contextmanager
def gcs_emulator_process() -> Iterator[str]:
    """The GCS emulator in a child process: the objects it holds in memory are not ours."""
    with running_server([sys.executable, "-c", GCS_EMULATOR_SCRIPT], GCS_LISTENING) as (url, _):
        yield url


@contextmanager
def running_server(
    command: list[str], listening_line: re.Pattern[str], cwd: Path | None = None
) -> Iterator[tuple[str, list[str]]]:
    """Run a server in its own process group until it prints `listening_line`; kill the group after.

    Yields the line's first group (the address) and the output so far.
    """
    process = subprocess.Popen(
        command,
        cwd=cwd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=_die_with_parent(),
    )
    try:
        output: list[str] = []
        address: list[str] = []
        listening = threading.Event()
        # Keep draining stdout for the server's lifetime so that it never blocks on a full pipe.
        threading.Thread(
            target=_drain, args=(process, listening_line, output, address, listening), daemon=True
        ).start()
        if not listening.wait(STARTUP_TIMEOUT) or not address:
            raise RuntimeError(f"{command[0]} did not start listening; it said: {''.join(output)}")
        yield address[0], output
    finally:
        _stop_group(process)


def _drain(
    process: subprocess.Popen[str],
    listening_line: re.Pattern[str],
    output: list[str],
    address: list[str],
    listening: threading.Event,
) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        output.append(line)
        if (match := listening_line.search(line)) and not listening.is_set():
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
    if process.stdin is not None:
        process.stdin.close()  # a polite stop for servers that wait on stdin
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


TEST_UNIVERSE = "cromwes.test"
"""The key's universe domain. In Google's own universe (googleapis.com) google-auth fetches an
access token from the key's token_uri and then looks up a "regional access boundary" at
iamcredentials.googleapis.com; in any other universe it signs its own JWT bearer tokens, so no
request leaves the machine. cromwes must honour a key's universe anyway (sovereign clouds)."""

UNREACHABLE_TOKEN_URI = "http://127.0.0.1:9/token"
"""Required in a key, never called in its universe; were it called, it would fail at once."""


def service_account_info(email: str = "cromwes-test") -> dict[str, str]:
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
        "client_email": f"{email}@cromwes-test.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": UNREACHABLE_TOKEN_URI,
        "universe_domain": TEST_UNIVERSE,
    }
