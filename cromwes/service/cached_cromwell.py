"""A CromwellClient that absorbs polling: reads shared, held briefly, and never repeated for
runs that are finished.

WES clients poll. Sixteen clients polling one run every second would be sixteen Cromwell
calls a second, each a database read there, for one answer. Through this client:

* identical concurrent reads (status, labels, query) share one call (`cache.SingleFlight`);
* an answer is held for the next identical read: a run's status and labels for
  `cache.status_ttl`, a query (a page of `GET /runs`) for `cache.query_ttl` (both 1 s);
* a run seen finished (in a status, a query row or its metadata) is remembered with its final
  status, up to `cache.finished_runs` runs, and its status is never asked again: Cromwell never
  changes a finished workflow;
* a submit or an abort through this client forgets what it holds for that run and every query
  it holds, so its caller sees its own change at once; reads already in flight then are still
  shared by those waiting for them, but not held.

Changes this gateway did not make (Cromwell moving a run on, another replica's submit) show
within the TTL. Errors are never held: a 404 just after a submit is asked again.
"""

import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

import aiohttp

from cromwes.cache import Changes, LruCache, SingleFlight
from cromwes.config.settings import CacheSettings, CromwellSettings
from cromwes.cromwell.client import CallObserver, CromwellClient, Params
from cromwes.cromwell.types import CromwellSubmission, Metadata, QueryResponse, WorkflowIdAndStatus
from cromwes.translate.states import wes_state

T = TypeVar("T")
A = TypeVar("A")
SavedObserver = Callable[[str, str], None]
"""Told (operation, reason) for every read answered without its own Cromwell call: `shared`
(it joined a call in flight), `held` (a recent answer) or `finished` (a finished run)."""
HELD_RUNS = 10_000
"""Statuses (and labels) of runs not finished held at once; each is a few hundred bytes."""
QUERY_BYTES = 32 * 1024 * 1024
ROW_BYTES = 1024
"""What a query row is counted for in `QUERY_BYTES` (rows carry their labels: a guess on the
large side)."""


class CachedCromwell(CromwellClient):
    """Cromwell's REST API (`CromwellClient`) with its reads coalesced and held (see module)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: CromwellSettings,
        cache: CacheSettings,
        *,
        observe: CallObserver | None = None,
        headers: Callable[[], dict[str, str]] | None = None,
        saved: SavedObserver | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(session, settings, observe=observe, headers=headers)
        self._status_ttl = float(cache.status_ttl)
        self._query_ttl = float(cache.query_ttl)
        self._finished: LruCache[str, str] = LruCache(cache.finished_runs, clock=clock)
        self._statuses: LruCache[str, WorkflowIdAndStatus] = LruCache(HELD_RUNS, clock=clock)
        self._labels: LruCache[str, dict[str, str]] = LruCache(HELD_RUNS, clock=clock)
        self._queries: LruCache[tuple[tuple[str, str], ...], QueryResponse] = LruCache(
            QUERY_BYTES, clock=clock
        )
        self._flights: SingleFlight[tuple[object, ...], Any] = SingleFlight()
        self._changes: Changes[str] = Changes()
        """The changes made through this client: a read started before its run (for a query:
        any run) changed is not held, nor shared with reads started after."""
        self._saved = saved
        self._listeners: list[Callable[[str | None], None]] = []

    def on_change(self, listener: Callable[[str | None], None]) -> None:
        """Call `listener(run_id)` after every submit or abort through this client (the run id
        may be None: a submit Cromwell refused before naming one)."""
        self._listeners.append(listener)

    async def status(self, workflow_id: str) -> WorkflowIdAndStatus:
        finished = self._finished.get(workflow_id)
        if finished is not None:
            self._count("status", "finished")
            return {"id": workflow_id, "status": finished}
        held = self._statuses.get(workflow_id)
        if held is not None:
            self._count("status", "held")
            return held
        return await self._shared("status", workflow_id, workflow_id, self._load_status)

    async def labels(self, workflow_id: str) -> dict[str, str]:
        held = self._labels.get(workflow_id)
        if held is None:
            held = await self._shared("labels", workflow_id, workflow_id, self._load_labels)
        else:
            self._count("labels", "held")
        return dict(held)  # the caller's own copy: the held one is shared

    async def query(self, params: Params) -> QueryResponse:
        key = tuple(params)
        held = self._queries.get(key)
        if held is not None:
            self._count("query", "held")
            return held
        return await self._shared("query", key, None, self._load_query)

    async def metadata(
        self,
        workflow_id: str,
        *,
        include_keys: Sequence[str] = (),
        exclude_keys: Sequence[str] = (),
        expand_subworkflows: bool = True,
    ) -> tuple[Metadata, int]:
        """Cromwell's metadata, never held here (`RunDetails` keeps what the views need); a
        finished status in it is remembered."""
        metadata, size = await super().metadata(
            workflow_id,
            include_keys=include_keys,
            exclude_keys=exclude_keys,
            expand_subworkflows=expand_subworkflows,
        )
        self._seen(workflow_id, metadata.get("status"))
        return metadata, size

    async def submit(self, submission: CromwellSubmission) -> WorkflowIdAndStatus:
        answer: WorkflowIdAndStatus | None = None
        try:
            answer = await super().submit(submission)
            return answer
        finally:
            # Also when the submit failed: a timed-out submit may still have created the run.
            self._changed(answer["id"] if answer is not None else submission.requested_id)

    async def abort(self, workflow_id: str) -> WorkflowIdAndStatus:
        try:
            return await super().abort(workflow_id)
        finally:
            self._changed(workflow_id)

    async def _shared(
        self,
        operation: str,
        subject: A,
        run_id: str | None,
        load: Callable[[A, int], Coroutine[Any, Any, T]],
    ) -> T:
        """`load(subject, mark)`, or the same load already in flight since the last change of
        `run_id` (of any run, for `None`)."""
        mark = self._changes.mark(run_id)
        flight = (operation, subject, mark)
        if flight in self._flights:
            self._count(operation, "shared")
        answer: T = await self._flights.run(flight, lambda: load(subject, mark))
        return answer

    async def _load_status(self, workflow_id: str, mark: int) -> WorkflowIdAndStatus:
        answer = await super().status(workflow_id)
        if not self._seen(workflow_id, answer["status"]) and self._holds(
            workflow_id, mark, self._status_ttl
        ):
            self._statuses.put(workflow_id, answer, size=1, ttl=self._status_ttl)
        return answer

    async def _load_labels(self, workflow_id: str, mark: int) -> dict[str, str]:
        labels = await super().labels(workflow_id)
        if self._holds(workflow_id, mark, self._status_ttl):
            self._labels.put(workflow_id, labels, size=1, ttl=self._status_ttl)
        return labels

    async def _load_query(self, params: tuple[tuple[str, str], ...], mark: int) -> QueryResponse:
        answer = await super().query(params)
        rows = answer["results"]
        for row in rows:
            if isinstance(workflow_id := row.get("id"), str):
                self._seen(workflow_id, row.get("status"))
        if self._holds(None, mark, self._query_ttl):
            self._queries.put(params, answer, size=ROW_BYTES * (1 + len(rows)), ttl=self._query_ttl)
        return answer

    def _holds(self, run_id: str | None, mark: int, ttl: float) -> bool:
        """Whether an answer read since `mark` may be held: its run (any run, for `None`) did
        not change through this client while it was read (it may predate the change), and
        holding is on."""
        return mark == self._changes.mark(run_id) and ttl > 0

    def _seen(self, workflow_id: str, status: object) -> bool:
        """Remember a finished run's status; whether it is finished."""
        if not isinstance(status, str) or not wes_state(status).is_terminal:
            return False
        self._finished.put(workflow_id, status, size=1, ttl=None)
        self._statuses.discard(workflow_id)
        return True

    def _changed(self, workflow_id: str | None) -> None:
        self._changes.change(workflow_id)
        self._queries.clear()
        if workflow_id is not None:
            self._statuses.discard(workflow_id)
            self._labels.discard(workflow_id)
        for listener in self._listeners:
            listener(workflow_id)

    def _count(self, operation: str, reason: str) -> None:
        if self._saved is not None:
            self._saved(operation, reason)
