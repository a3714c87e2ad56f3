"""Properties every recorded metadata body must keep once translated (one test per recording,
found by globbing ../shared/cromwell and its more/ folder)."""

import copy
import random
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from cromwes.api.render import json_bytes
from cromwes.models import State
from cromwes.translate.runlog import RunUrls, run_log
from cromwes.translate.tasklogs import flat_tasks
from tests.recordings import STATUS_LEFT_OUT, metadata_recordings, replayable
from tests.translate.test_states import EXPECTED
from tests.wes_spec import BASE, assert_matches_spec

ONE_FORM = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
RECORDINGS = metadata_recordings()


def attempts(metadata: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(expected task id, call element) of every call attempt, from the README's id grammar:
    `<call fqn>[:<shard>]@<attempt>`, sub-workflow steps joined by `~`."""
    for fqn, elements in (metadata.get("calls") or {}).items():
        for call in elements:
            shard = call.get("shardIndex", -1)
            step = fqn if shard == -1 else f"{fqn}:{shard}"
            if "subWorkflowMetadata" in call:
                yield from attempts(call["subWorkflowMetadata"], f"{prefix}{step}~")
            elif "subWorkflowId" not in call:
                yield f"{prefix}{step}@{call.get('attempt', 1)}", call


def build(metadata: Any) -> Any:
    return run_log(
        metadata,
        flat_tasks(metadata),
        urls=RunUrls(f"https://wes.example{BASE}/runs/{metadata['id']}"),
        inline_limit=1000,
        translate_outputs=lambda outputs: outputs,
        workflow_url_label="workflow_url",
        hidden_labels=frozenset({"workflow_url"}),
    )


def shuffled(metadata: Any, seed: int) -> Any:
    """The same body with every `calls` array (at any depth) in another order: Cromwell does
    not promise one (cromwell-api.md §2.4)."""
    other = copy.deepcopy(metadata)
    generator = random.Random(seed)

    def shuffle(document: Any) -> None:
        for elements in (document.get("calls") or {}).values():
            generator.shuffle(elements)
            for call in elements:
                if "subWorkflowMetadata" in call:
                    shuffle(call["subWorkflowMetadata"])

    shuffle(other)
    other["calls"] = dict(reversed(list((other.get("calls") or {}).items())))
    return other


@pytest.mark.parametrize("recording", RECORDINGS)
def test_run_log_of_every_recording_fits_wes(recording: str) -> None:
    metadata = replayable(recording)
    log = build(metadata)
    path = f"{BASE}/runs/{metadata['id']}"
    assert_matches_spec("GET", path, 200, json_bytes(log), "application/json")
    status = metadata.get("status", STATUS_LEFT_OUT.get(recording))
    expected = EXPECTED[status] if "status" in metadata else State.UNKNOWN
    assert log.state is expected, "the body alone: a left-out status is UNKNOWN here"


@pytest.mark.parametrize("recording", RECORDINGS)
def test_every_call_attempt_is_one_task_with_a_stable_id(recording: str) -> None:
    metadata = replayable(recording)
    expected = dict(attempts(metadata))
    tasks = flat_tasks(metadata)
    ids = [task.id for task in tasks]
    assert len(ids) == len(set(ids)), "ids are unique"
    assert sorted(ids) == sorted(expected), "exactly one task per call attempt, named by path"
    for seed in (1, 2):
        again = [task.id for task in flat_tasks(shuffled(metadata, seed))]
        assert again == ids, "the same ids in the same order whatever Cromwell's array order"


@pytest.mark.parametrize("recording", RECORDINGS)
def test_times_are_one_rfc3339_form_and_the_same_instants(recording: str) -> None:
    metadata = replayable(recording)
    log = build(metadata)
    pairs = [(metadata.get("start"), log.run_log.start_time)]
    pairs.append((metadata.get("end"), log.run_log.end_time))
    calls = dict(attempts(metadata))
    for task in log.task_logs:
        pairs += [(calls[task.id].get("start"), task.start_time)]
        pairs += [(calls[task.id].get("end"), task.end_time)]
    for cromwell, ours in pairs:
        assert (cromwell is None) == (ours is None)
        if cromwell is not None:
            assert ONE_FORM.match(ours), ours
            assert datetime.fromisoformat(ours) == datetime.fromisoformat(cromwell)
