"""The structural comparison itself: it accepts what real Cromwell wrote, and refuses what the
issue says it must (a key allowed at one place only; an emulated list where the recording's is
empty; WDL values of the wrong shape; an allowance nothing needs)."""

from typing import Any

import pytest

from tests.emulator.contract import Recorded
from tests.emulator.structure import Allowances, place_in_document, shape_problems
from tests.emulator.wdltypes import wdl_types

SELF_CHECKED = [
    "metadata-succeeded.json",
    "metadata-failed.json",
    "metadata-failed-with-shards.json",
    "more/metadata-callcached-all-hits-local-v91.json",
    "more/metadata-awsbatch-s3-partial-cachehit-v77.json",
    "more/metadata-failed-exit137-no-returncode-v88.json",
    "more/metadata-failed-job-submit-no-returncode-v52.json",
    "more/metadata-failed-returncode-minus1-local-2017.json",
    "more/metadata-aborted-calls-failed-after-restart-v52.json",
    "more/metadata-nested-scatter-scatterat-v59.json",
    "more/metadata-pair-output-htcondor-v58.json",
    "more/metadata-map-output-htcondor-v58.json",
]
"""Recordings whose whole WDL is in `submittedFiles.workflow` (no imports)."""


@pytest.mark.parametrize("recording", SELF_CHECKED)
async def test_a_recording_matches_itself_and_its_own_wdl(
    recorded: Recorded, recording: str
) -> None:
    """What the checker expects of values (and where it finds their types) is what real
    Cromwell wrote: each recording passes against itself, its values checked by its own WDL."""
    body = recorded(recording)
    types = await wdl_types(body["submittedFiles"]["workflow"])
    assert shape_problems(body, body, types=types) == []


METADATA: dict[str, Any] = {
    "workflowName": "w",
    "calls": {
        "w.t": [
            {
                "executionStatus": "Done",
                "shardIndex": -1,
                "callCaching": {"hit": False},
                "inputs": {"n": 1},
                "outputs": {"out": "/x/out"},
            }
        ]
    },
    "failures": [{"message": "Workflow failed", "causedBy": []}],
    "outputs": {"w.out": "/x/out"},
}
WDL = """version 1.0
task t {
  input { Int n }
  command <<< >>>
  output { File out = stdout() }
}
workflow w {
  call t
  output { File out = t.out }
}
"""


def changed(path: list[Any], value: Any) -> dict[str, Any]:
    import copy

    body = copy.deepcopy(METADATA)
    node = body
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return body


async def test_an_allowance_holds_at_its_place_only() -> None:
    emulated = changed(["calls", "w.t", 0, "callCaching", "result"], "Cache Miss")
    emulated["result"] = "x"
    types = await wdl_types(WDL)
    allowed = Allowances(extra={"$.calls.*[].callCaching.result": "a reason"})
    assert shape_problems(emulated, METADATA, allowed, types) == [
        "$.result: not in the recording  [extra at $.result]"
    ]


async def test_an_unneeded_allowance_is_a_problem() -> None:
    types = await wdl_types(WDL)
    allowed = Allowances(missing={"$.calls.*[].jobId": "a reason"})
    assert shape_problems(METADATA, METADATA, allowed, types) == [
        "allowance missing '$.calls.*[].jobId' is not needed"
    ]


async def test_an_empty_recorded_list_accepts_only_an_empty_list() -> None:
    cause = {"message": "x", "causedBy": []}
    emulated = changed(["failures", 0, "causedBy"], [cause])
    types = await wdl_types(WDL)
    [problem] = shape_problems(emulated, METADATA, types=types)
    assert problem.startswith("$.failures[0].causedBy: 1 elements where Cromwell has none")
    allowed = Allowances(filled={"$.failures[].causedBy[]": "a reason"})
    assert shape_problems(emulated, METADATA, allowed, types) == []


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        pytest.param(["outputs", "w.out"], "out", "is not a path", id="file-not-a-path"),
        pytest.param(["outputs", "w.out"], ["/x"], "is not a path", id="file-an-array"),
        pytest.param(["outputs", "w.other"], "/x", "not one of the outputs", id="undeclared"),
        pytest.param(["calls", "w.t", 0, "inputs", "n"], "1", "is not a Int", id="int-string"),
        pytest.param(["calls", "w.t", 0, "inputs", "n"], True, "is not a Int", id="int-bool"),
    ],
)
async def test_values_are_checked_against_their_wdl_type(
    path: list[Any], value: Any, problem: str
) -> None:
    types = await wdl_types(WDL)
    [found] = shape_problems(changed(path, value), METADATA, types=types)
    assert problem in found


COMPOUND = """version 1.1
struct Sample { String name  File? reads }
workflow c {
  output {
    Pair[Int,File] pair = (1, "a")
    Map[Int,File] map = {1: "a"}
    Array[Float]+ floats = [1.5]
    Sample sample = Sample { name: "n" }
  }
}
"""


@pytest.mark.parametrize(
    ("name", "value", "ok"),
    [
        pytest.param("pair", {"left": 1, "right": "/a"}, True, id="pair"),
        pytest.param("pair", {"left": 1}, False, id="pair-without-right"),
        pytest.param("pair", [1, "/a"], False, id="pair-as-array"),
        pytest.param("map", {"1": "/a", "2": "/b"}, True, id="map"),
        pytest.param("map", {"one": "/a"}, False, id="map-key-not-int"),
        pytest.param("floats", [1.5], True, id="floats"),
        pytest.param("floats", [], False, id="nonempty-array-empty"),
        pytest.param("floats", [1], True, id="float-written-as-int"),
        pytest.param("floats", ["1.5"], False, id="float-as-string"),
        pytest.param("sample", {"name": "n", "reads": None}, True, id="struct"),
        pytest.param("sample", {"reads": "/r"}, False, id="struct-member-missing"),
    ],
)
async def test_compound_values(name: str, value: Any, ok: bool) -> None:
    types = await wdl_types(COMPOUND)
    body = {"workflowName": "c", "outputs": {f"c.{name}": value}}
    assert (shape_problems(body, body, types=types) == []) is ok


def test_places_inside_subworkflows_are_relative_to_their_document() -> None:
    place = "$.calls.*[].subWorkflowMetadata.calls.*[].outputs"
    assert place_in_document(place) == "$.calls.*[].outputs"
