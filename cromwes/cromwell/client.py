"""CromwellClient: one method per Cromwell REST endpoint cromwes uses, returning parsed JSON.

Every aiohttp failure is turned into a `cromwes.errors` error here and nowhere else; no
`ClientResponse` leaves this module. The client borrows the application's one `ClientSession`.
"""

import asyncio
import json
import logging
import time
from collections.abc import Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, cast

import aiohttp
import orjson

from cromwes.config.settings import CromwellSettings
from cromwes.cromwell.errors import cromwell_error
from cromwes.cromwell.types import CromwellSubmission, Metadata, QueryResponse, WorkflowIdAndStatus
from cromwes.errors import CromwellUnavailable, UpstreamError, UpstreamTimeout
from cromwes.jsontext import compact_json

logger = logging.getLogger(__name__)

CallObserver = Callable[[str, str, float], None]
"""Told (operation, outcome, seconds) after every Cromwell call, for metrics."""
Params = Sequence[tuple[str, str]]
QUEUE_RETRY_AFTER = 1
MAX_REASON = 200


class CromwellClient:
    """Cromwell's REST API at `settings.url`, with timeouts, one retry and a concurrency cap."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: CromwellSettings,
        *,
        observe: CallObserver | None = None,
        headers: Callable[[], dict[str, str]] | None = None,
    ) -> None:
        self._session = session
        self._settings = settings
        self.url = settings.url.rstrip("/")
        self._auth_header = (
            {"Authorization": aiohttp.encode_basic_auth(settings.username, settings.password)}
            if settings.username is not None and settings.password is not None
            else {}
        )
        self._slots = asyncio.Semaphore(settings.max_concurrent_calls)
        self._observe = observe
        self._headers = headers or dict
        self._timeout = aiohttp.ClientTimeout(
            total=settings.timeout, sock_connect=settings.connect_timeout
        )
        self._metadata_timeout = aiohttp.ClientTimeout(
            total=settings.metadata_timeout, sock_connect=settings.connect_timeout
        )

    async def version(self) -> str:
        body = await self._json("GET", "/engine/v1/version", operation="version")
        return str(body.get("cromwell", "")) if isinstance(body, dict) else ""

    async def engine_status(self) -> Any:
        return await self._json("GET", "/engine/v1/status", operation="engine_status")

    async def submit(self, submission: CromwellSubmission) -> WorkflowIdAndStatus:
        body = await self._json(
            "POST",
            "/api/workflows/v1",
            operation="submit",
            data=lambda: _submission_form(submission),
        )
        return self._id_and_status(body, "submit")

    async def status(self, workflow_id: str) -> WorkflowIdAndStatus:
        body = await self._json(
            "GET",
            f"/api/workflows/v1/{workflow_id}/status",
            operation="status",
            workflow_id=workflow_id,
        )
        return self._id_and_status(body, "status")

    async def metadata(
        self,
        workflow_id: str,
        *,
        include_keys: Sequence[str] = (),
        exclude_keys: Sequence[str] = (),
        expand_subworkflows: bool = True,
    ) -> tuple[Metadata, int]:
        """The workflow's metadata and the size of Cromwell's answer in bytes."""
        params = [("expandSubWorkflows", "true" if expand_subworkflows else "false")]
        params += [("includeKey", key) for key in include_keys]
        params += [("excludeKey", key) for key in exclude_keys]
        raw = await self._call(
            "GET",
            f"/api/workflows/v1/{workflow_id}/metadata",
            operation="metadata",
            workflow_id=workflow_id,
            params=params,
            client_timeout=self._metadata_timeout,
        )
        metadata = self._decode(raw, "metadata")
        if not isinstance(metadata, dict):
            raise UpstreamError(f"Cromwell at {self.url} answered metadata with no JSON object.")
        return cast(Metadata, metadata), len(raw)

    async def labels(self, workflow_id: str) -> dict[str, str]:
        body = await self._json(
            "GET",
            f"/api/workflows/v1/{workflow_id}/labels",
            operation="labels",
            workflow_id=workflow_id,
        )
        labels = body.get("labels") if isinstance(body, dict) else None
        return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}

    async def abort(self, workflow_id: str) -> WorkflowIdAndStatus:
        body = await self._json(
            "POST",
            f"/api/workflows/v1/{workflow_id}/abort",
            operation="abort",
            workflow_id=workflow_id,
        )
        return self._id_and_status(body, "abort")

    async def query(self, params: Params) -> QueryResponse:
        body = await self._json("GET", "/api/workflows/v1/query", operation="query", params=params)
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            raise UpstreamError(f"Cromwell at {self.url} answered a query without results.")
        if not isinstance(body.get("totalResultsCount"), int):
            # Servers before Cromwell 30 answer without it (small-bodies-recorded.json); pages
            # cannot be cut without it, and listing one page as if it were all would hide runs.
            raise UpstreamError(
                f"Cromwell at {self.url} answered a query without totalResultsCount; paging "
                "runs needs Cromwell 30 or later."
            )
        return cast(QueryResponse, body)

    async def _json(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        workflow_id: str | None = None,
        params: Params | None = None,
        data: Callable[[], aiohttp.FormData] | None = None,
    ) -> Any:
        raw = await self._call(
            method, path, operation=operation, workflow_id=workflow_id, params=params, data=data
        )
        return self._decode(raw, operation)

    def _id_and_status(self, body: Any, operation: str) -> WorkflowIdAndStatus:
        """Cromwell's `{id, status}` answer; anything else (a batch's list, an error object) is
        no answer a WES client can be given."""
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("id"), str)
            or not isinstance(body.get("status"), str)
        ):
            raise UpstreamError(
                f"Cromwell at {self.url} answered {operation} without a workflow id and status."
            )
        return cast(WorkflowIdAndStatus, body)

    def _decode(self, raw: bytes, operation: str) -> Any:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise UpstreamError(
                f"Cromwell at {self.url} answered {operation} with a body that is not JSON."
            ) from exc

    async def _call(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        workflow_id: str | None = None,
        params: Params | None = None,
        data: Callable[[], aiohttp.FormData] | None = None,
        client_timeout: aiohttp.ClientTimeout | None = None,
    ) -> bytes:
        """Cromwell's answer body on a 2xx; a mapped error otherwise."""
        started = time.monotonic()
        outcome = "error"
        try:
            async with self._slot(operation):
                status, body = await self._send_retrying(
                    method, path, params, data, client_timeout, operation=operation
                )
            outcome = str(status)
            if 200 <= status < 300:
                return body
            raise cromwell_error(
                status,
                body.decode("utf-8", "replace"),
                operation=operation,
                cromwell_url=self.url,
                workflow_id=workflow_id,
            )
        except TimeoutError as exc:
            outcome = "timeout"
            seconds = (client_timeout or self._timeout).total
            raise UpstreamTimeout(
                f"Cromwell at {self.url} did not answer {operation} within {seconds:g} s."
            ) from exc
        finally:
            if self._observe is not None:
                self._observe(operation, outcome, time.monotonic() - started)

    async def _send_retrying(
        self,
        method: str,
        path: str,
        params: Params | None,
        data: Callable[[], aiohttp.FormData] | None,
        client_timeout: aiohttp.ClientTimeout | None,
        *,
        operation: str,
    ) -> tuple[int, bytes]:
        """Send once; a GET that could not connect, or whose answer was cut short, is sent once
        more (it is idempotent). Every aiohttp failure becomes an UpstreamError (502)."""
        tries = 2 if method == "GET" else 1
        for attempt in range(1, tries + 1):
            try:
                return await self._send(
                    method, path, params, data() if data else None, client_timeout
                )
            except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
                if attempt == tries:
                    raise UpstreamError(self._failure(operation, exc)) from exc
                logger.info("retrying %s after %s", operation, type(exc).__name__)
            except aiohttp.ClientError as exc:
                raise UpstreamError(self._failure(operation, exc)) from exc
        raise AssertionError("unreachable")

    def _failure(self, operation: str, exc: aiohttp.ClientError) -> str:
        """What went wrong, naming the Cromwell URL; aiohttp's text is cut (it may quote a
        whole oversized header)."""
        if isinstance(exc, aiohttp.ClientResponseError):
            reason = exc.message
        else:
            reason = str(exc) or type(exc).__name__
        reason = " ".join(reason.split())
        if len(reason) > MAX_REASON:
            reason = reason[:MAX_REASON] + "…"
        if isinstance(exc, aiohttp.ClientConnectionError):
            return f"Cannot reach Cromwell at {self.url} for {operation}: {reason}"
        if isinstance(exc, aiohttp.ClientPayloadError):
            return f"Cromwell at {self.url} cut its answer to {operation} short: {reason}"
        return f"Cromwell at {self.url} sent a malformed answer to {operation}: {reason}"

    async def _send(
        self,
        method: str,
        path: str,
        params: Params | None,
        data: aiohttp.FormData | None,
        client_timeout: aiohttp.ClientTimeout | None,
    ) -> tuple[int, bytes]:
        async with self._session.request(
            method,
            self.url + path,
            params=list(params) if params else None,
            data=data,
            timeout=client_timeout or self._timeout,
            headers={**self._headers(), **self._auth_header},
        ) as response:
            return response.status, await response.read()

    @asynccontextmanager
    async def _slot(self, operation: str) -> Any:
        try:
            async with asyncio.timeout(self._settings.queue_timeout):
                await self._slots.acquire()
        except TimeoutError as exc:
            raise CromwellUnavailable(
                f"Too many requests to Cromwell are in flight ({operation} waited "
                f"{self._settings.queue_timeout:g} s for a slot); retry shortly.",
                retry_after=QUEUE_RETRY_AFTER,
            ) from exc
        try:
            yield
        finally:
            self._slots.release()


def _submission_form(submission: CromwellSubmission) -> aiohttp.FormData:
    form = aiohttp.FormData()
    if submission.workflow_source is not None:
        form.add_field(
            "workflowSource", submission.workflow_source, filename=submission.source_name
        )
    if submission.workflow_url is not None:
        form.add_field("workflowUrl", submission.workflow_url)
    form.add_field("workflowType", submission.workflow_type)
    form.add_field(
        "workflowInputs", compact_json(submission.inputs), content_type="application/json"
    )
    form.add_field(
        "workflowOptions", compact_json(submission.options), content_type="application/json"
    )
    form.add_field("labels", compact_json(submission.labels), content_type="application/json")
    if submission.dependencies is not None:
        form.add_field(
            "workflowDependencies",
            submission.dependencies,
            filename="dependencies.zip",
            content_type="application/zip",
        )
    if submission.requested_id is not None:
        # Cromwell reads this part as a JSON string, quotes included (cromwell-api.md §2.2).
        form.add_field("requestedWorkflowId", json.dumps(submission.requested_id))
    return form
