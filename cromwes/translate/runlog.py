"""Build a WES RunLog from Cromwell workflow metadata."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from cromwes.cromwell.types import Metadata
from cromwes.models import Log, RunLog, State, TaskLog
from cromwes.translate.request import run_request
from cromwes.translate.states import wes_state
from cromwes.translate.tasklogs import Task, failure_messages, task_log
from cromwes.translate.times import rfc3339


@dataclass(frozen=True, slots=True)
class RunUrls:
    """The absolute URLs of one run's resources, as this request's client must see them."""

    run: str
    """`.../ga4gh/wes/v1/runs/{run_id}`"""

    @property
    def tasks(self) -> str:
        return f"{self.run}/tasks"

    @property
    def task_logs(self) -> str:
        return f"{self.run}/logs/task"

    @property
    def stderr(self) -> str:
        return f"{self.run}/logs/stderr"


def failures_document(metadata: Metadata) -> bytes:
    """What `run_log.stderr` serves: Cromwell's `failures` as JSON; `[]` when there are none
    (it is served as application/json, which an empty body is not)."""
    return orjson.dumps(metadata.get("failures") or [])


NOT_YET_VISIBLE = (
    "Cromwell does not show this run yet: it was submitted moments ago, and Cromwell lists a new "
    "run after a short delay. Its request, tasks and outputs appear here once Cromwell does."
)


def pending_run_log(run_id: str, *, urls: RunUrls) -> RunLog:
    """The RunLog of a run just submitted that Cromwell does not show yet.

    The gateway keeps nothing of a request, and an empty request would read as one that asked
    for nothing, so `request` is left out (WES makes it optional) and `system_logs` says why.
    """
    return RunLog(
        run_id=run_id,
        request=None,
        state=State.QUEUED,
        run_log=Log(stderr=urls.stderr, system_logs=(NOT_YET_VISIBLE,)),
        task_logs_url=urls.tasks,
        task_logs=(),
        outputs={},
    )


ARCHIVED_AND_DELETED = "ArchivedAndDeleted"


def archive_notice(metadata: Metadata) -> tuple[str, ...]:
    """Cromwell's word that it archived and deleted the run's details (tasks, outputs, request),
    for `run_log.system_logs`: without it the empty run log would look like a run that did
    nothing."""
    if metadata.get("metadataArchiveStatus") != ARCHIVED_AND_DELETED:
        return ()
    return (
        metadata.get("message")
        or "Cromwell has archived this run's metadata and deleted it from its database.",
    )


_EXIT_CODES = {State.COMPLETE: 0, State.EXECUTOR_ERROR: 1}
"""Cromwell reports no workflow exit code; clients such as toil-wes-cwl-runner exit with
`run_log.exit_code` (defaulting to 1), so finished runs get the conventional 0 or 1."""


def run_log(
    metadata: Metadata,
    tasks: Sequence[Task],
    *,
    urls: RunUrls,
    inline_limit: int,
    translate_outputs: Callable[[Any], Any],
    workflow_url_label: str,
    hidden_labels: frozenset[str],
) -> RunLog:
    """The RunLog of a run; `task_logs` is null when there are more than `inline_limit` tasks.

    `run_log.stderr` is always a URL (the run's failures, `[]` when there are none) because
    wes-client reads that key unconditionally (conformance.md §2).
    """
    state = wes_state(metadata.get("status"))
    task_logs: tuple[TaskLog, ...] | None = None
    if len(tasks) <= inline_limit:
        task_logs = tuple(task_log(task, urls.task_logs) for task in tasks)
    failures = (*archive_notice(metadata), *failure_messages(metadata.get("failures") or []))
    return RunLog(
        run_id=metadata.get("id", ""),
        request=run_request(
            metadata, workflow_url_label=workflow_url_label, hidden_labels=hidden_labels
        ),
        state=state,
        run_log=Log(
            name=metadata.get("workflowName"),
            start_time=rfc3339(metadata.get("start")),
            end_time=rfc3339(metadata.get("end")),
            stderr=urls.stderr,
            exit_code=_EXIT_CODES.get(state),
            system_logs=failures or None,
        ),
        task_logs_url=urls.tasks,
        task_logs=task_logs,
        outputs=translate_outputs(metadata.get("outputs") or {}),
    )
