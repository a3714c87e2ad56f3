"""Which directories are a run's own (`run_roots`), read from recorded Cromwell metadata."""

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cromwes.cromwell.types import Metadata
from cromwes.translate.runfiles import run_roots

Recorded = Callable[[str], Any]


def call_paths(metadata: Any) -> Iterator[str]:
    for elements in (metadata.get("calls") or {}).values():
        for call in elements:
            if sub := call.get("subWorkflowMetadata"):
                yield from call_paths(sub)
            for key in ("callRoot", "stdout", "stderr"):
                if call.get(key):
                    yield call[key]


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            "metadata-subworkflows-expanded-scatters.json", id="local-nested-subworkflows"
        ),
        pytest.param("more/metadata-callcached-scattered-subworkflows-caas-v53.json", id="gcs"),
        pytest.param("metadata-failed-with-shards.json", id="local-scatter"),
        pytest.param("more/metadata-callcached-all-hits-local-v91.json", id="local-cache-copies"),
    ],
)
def test_every_call_of_a_recorded_run_is_below_its_workflow_root(
    recorded: Recorded, name: str
) -> None:
    metadata = recorded(name)
    roots = run_roots(metadata, metadata["id"])

    assert roots == (metadata["workflowRoot"],)
    root = roots[0].rstrip("/") + "/"
    paths = list(call_paths(metadata))
    assert paths
    assert all(path.startswith(root) for path in paths)


def test_a_root_that_does_not_end_in_the_run_id_is_not_the_runs(recorded: Recorded) -> None:
    metadata = recorded("metadata-succeeded.json")
    assert run_roots(metadata, metadata["id"]) == (metadata["workflowRoot"],)
    assert run_roots(metadata, "00000000-0000-4000-8000-000000000000") == ()
    assert run_roots({"id": "x"}, "x") == (), "not picked up yet: no root"


RUN = "0190c8a0-0000-7000-8000-000000000001"


def with_options(options: Any, name: str | None = "wf") -> Metadata:
    metadata: Metadata = {
        "id": RUN,
        "workflowRoot": f"/exec/wf/{RUN}",
        "submittedFiles": {"options": options if isinstance(options, str) else json.dumps(options)},
    }
    if name is not None:
        metadata["workflowName"] = name
    return metadata


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        pytest.param(
            with_options({"final_workflow_outputs_dir": "/results"}),
            (f"/exec/wf/{RUN}", f"/results/wf/{RUN}"),
            id="outputs-dir-per-run",
        ),
        pytest.param(
            with_options({"final_workflow_outputs_dir": "gs://b/out/"}),
            (f"/exec/wf/{RUN}", f"gs://b/out/wf/{RUN}"),
            id="outputs-dir-in-a-bucket",
        ),
        pytest.param(
            with_options(
                {"final_workflow_outputs_dir": "/results", "use_relative_output_paths": True}
            ),
            (f"/exec/wf/{RUN}",),
            id="relative-outputs-are-shared",
        ),
        pytest.param(
            with_options({"final_workflow_outputs_dir": "/r", "use_relative_output_paths": "TRUE"}),
            (f"/exec/wf/{RUN}",),
            id="relative-as-a-string",
        ),
        pytest.param(
            with_options({"final_workflow_outputs_dir": "/results"}, name=None),
            (f"/exec/wf/{RUN}",),
            id="no-name-yet",
        ),
        pytest.param(
            with_options({"final_workflow_outputs_dir": "/results"}, name=".."),
            (f"/exec/wf/{RUN}",),
            id="name-that-is-no-folder",
        ),
        pytest.param(
            with_options({"final_workflow_outputs_dir": ""}),
            (f"/exec/wf/{RUN}",),
            id="empty-outputs-dir",
        ),
        pytest.param(with_options("not json"), (f"/exec/wf/{RUN}",), id="unreadable-options"),
        pytest.param(with_options([1, 2]), (f"/exec/wf/{RUN}",), id="options-not-an-object"),
    ],
)
def test_final_outputs_count_only_in_the_runs_own_folder(
    metadata: Metadata, expected: tuple[str, ...]
) -> None:
    assert run_roots(metadata, RUN) == expected
