"""A small synchronous WES client for the end-to-end suite (standard library only).

It talks to any WES at a base URI, as a deployed client would: no test fixture reaches inside
the service, and every request goes over the network.
"""

import json
import ssl
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import Message
from typing import Any

WES_PATH = "/ga4gh/wes/v1"
TERMINAL = frozenset({"COMPLETE", "EXECUTOR_ERROR", "SYSTEM_ERROR", "CANCELED", "PREEMPTED"})
POLL_INTERVAL = 2.0
OCTETS = "application/octet-stream"


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Message
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


@dataclass(frozen=True)
class Attachment:
    name: str
    content: bytes


class WesClient:
    """WES at `base_uri` (`https://host[:port][/prefix]`), with optional credentials."""

    def __init__(
        self,
        base_uri: str,
        *,
        credentials: Mapping[str, str],
        max_wait: float,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.base_uri = base_uri.rstrip("/")
        self.wes = self.base_uri + WES_PATH
        self.credentials = dict(credentials)
        self.max_wait = max_wait
        self._tls = tls

    @property
    def auth_on(self) -> bool:
        return bool(self.credentials)

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        anonymous: bool = False,
    ) -> Reply:
        """`path` is below the WES base (`runs`), absolute on the host (`/services`) or a URL."""
        if path.startswith(("http://", "https://")):
            url = path
        elif path.startswith("/"):
            url = self.base_uri + path
        else:
            url = f"{self.wes}/{path}"
        sent = {**({} if anonymous else self.credentials), **(headers or {})}
        request = urllib.request.Request(url, data=body, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=60, context=self._tls) as response:
                return Reply(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.headers, error.read())

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request("GET", path, **kwargs)

    def submit(
        self, fields: Mapping[str, str], attachments: Sequence[Attachment] = (), **kwargs: Any
    ) -> Reply:
        """POST /runs as multipart/form-data, each attachment a `workflow_attachment` part."""
        boundary = uuid.uuid4().hex
        parts: list[bytes] = []
        for name, value in fields.items():
            parts.append(_part(boundary, f'name="{name}"', "text/plain", value.encode()))
        for attachment in attachments:
            disposition = f'name="workflow_attachment"; filename="{attachment.name}"'
            parts.append(
                _part(boundary, disposition, "application/octet-stream", attachment.content)
            )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        return self.request("POST", "runs", headers=headers, body=body, **kwargs)

    def wait_until_terminal(self, run_id: str) -> str:
        """Poll the run's status until it ends; fail saying what it was stuck in."""
        deadline = time.monotonic() + self.max_wait
        state = "?"
        while time.monotonic() < deadline:
            reply = self.get(f"runs/{run_id}/status")
            assert reply.status == 200, f"status of {run_id}: {reply.status} {reply.text}"
            state = reply.json["state"]
            if state in TERMINAL:
                return str(state)
            time.sleep(POLL_INTERVAL)
        raise AssertionError(f"run {run_id} did not finish within {self.max_wait:g} s ({state})")


def _part(boundary: str, disposition: str, content_type: str, content: bytes) -> bytes:
    head = (
        f"--{boundary}\r\nContent-Disposition: form-data; {disposition}\r\n"
        f"Content-Type: {content_type}\r\n\r\n"
    )
    return head.encode() + content + b"\r\n"
