"""Fetch, flatten and cache what a RunLog, the task pages and the log endpoints need of a run.

Cromwell builds metadata from raw rows on every request, and for wide runs that takes seconds
(cromwell-api.md §2.6.3). So the metadata request names only the keys these views use
(`includeKey`), concurrent requests for one run share one fetch, and the flattened result is
cached: runs in a terminal state until evicted (their metadata no longer changes), running runs
for a short TTL only.
"""

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import cast

from cromwes.cache import Changes, LruCache, SingleFlight
from cromwes.cromwell.client import CromwellClient
from cromwes.cromwell.types import Metadata
from cromwes.errors import RunNotFound
from cromwes.service.run_ids import minted_within
from cromwes.translate.states import wes_state
from cromwes.translate.tasklogs import Task, flat_tasks

RUN_KEYS = (
    # workflow level
    "id",
    "status",
    "workflowName",
    "submission",
    "start",
    "end",
    "outputs",
    "labels",
    "failures",
    "submittedFiles",
    "actualWorkflowLanguage",
    "workflowRoot",
    "parentWorkflowId",
    # call level (Cromwell always adds calls, shardIndex and attempt)
    "executionStatus",
    "backendStatus",
    "commandLine",
    "returnCode",
    "stdout",
    "stderr",
    "retryableFailure",
    "subWorkflowId",
    "subWorkflowMetadata",
)
"""Prefixes, as Cromwell matches them: `start` also keeps nothing else; `actualWorkflowLanguage`
also keeps `actualWorkflowLanguageVersion`. Call inputs, runtime attributes, call caching and
execution events are left behind, which is most of a wide run's metadata."""


@dataclass(frozen=True, slots=True)
class RunDetail:
    """One run as the gateway's views need it: workflow-level metadata and its flat tasks."""

    metadata: Metadata
    """Without `calls`: the tasks below replace them."""
    tasks: tuple[Task, ...]
    visible: bool = True
    """False for a run this gateway just submitted that Cromwell does not show yet: then the
    metadata holds only its id and status, nothing of what was submitted."""
    tasks_by_id: Mapping[str, Task] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tasks_by_id", {task.id: task for task in self.tasks})


class RunDetails:
    """Run details from Cromwell through a byte-bounded cache."""

    def __init__(
        self,
        client: CromwellClient,
        *,
        max_bytes: int,
        running_ttl: float,
        submit_grace_period: float,
    ) -> None:
        self._client = client
        self._cache: LruCache[str, RunDetail] = LruCache(max_bytes)
        self._flights: SingleFlight[tuple[str, int], RunDetail] = SingleFlight()
        self._running_ttl = running_ttl
        self._grace = submit_grace_period
        self._changes: Changes[str] = Changes()
        """The runs `forget` was told of: a load started before its run changed is not cached."""

    @property
    def cache(self) -> LruCache[str, RunDetail]:
        return self._cache

    async def get(self, run_id: str) -> RunDetail:
        if (detail := self._cache.get(run_id)) is not None:
            return detail
        mark = self._changes.mark(run_id)
        return await self._flights.run((run_id, mark), lambda: self._load(run_id, mark))

    def forget(self, run_id: str | None) -> None:
        """Drop what is held of a run this gateway just changed (`CachedCromwell.on_change`)."""
        self._changes.change(run_id)
        if run_id is not None:
            self._cache.discard(run_id)

    async def _load(self, run_id: str, mark: int) -> RunDetail:
        try:
            metadata, size = await self._client.metadata(run_id, include_keys=RUN_KEYS)
        except RunNotFound:
            if minted_within(run_id, seconds=self._grace, now=time.time()):
                return RunDetail(
                    metadata={"id": run_id, "status": "Submitted"}, tasks=(), visible=False
                )
            raise
        if "status" not in metadata:
            # Cromwell answers metadata it has archived and deleted with only a message
            # (errors.json `metadata_archived_and_deleted`); its summary still has the status,
            # so the run log and /status agree and a finished run is cached as finished.
            status = (await self._client.status(run_id))["status"]
            metadata = cast(Metadata, {**metadata, "status": status})
        tasks = tuple(flat_tasks(metadata))
        workflow_level = cast(Metadata, {k: v for k, v in metadata.items() if k != "calls"})
        detail = RunDetail(metadata=workflow_level, tasks=tasks)
        terminal = wes_state(metadata.get("status")).is_terminal
        if terminal or (mark == self._changes.mark(run_id) and self._running_ttl > 0):
            ttl = None if terminal else self._running_ttl
            self._cache.put(run_id, detail, size=size, ttl=ttl)
        return detail
