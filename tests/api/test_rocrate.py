"""GET /runs/{id}/ro-crate: a finished run's Workflow Run RO-Crate, read back with `rocrate`.

Real WDL runs through the emulator (execute mode); the zip is parsed back by the `rocrate`
library and checked against what the Workflow Run Crate 0.5 profile (and the Process Run Crate
and Provenance Run Crate profiles it builds on) requires. `runcrate` and `roc-validator` do not
install beside this project's pins (ruamel.yaml < 0.19 and rich < 14), so the profiles' MUSTs
are checked here one by one.
"""

import asyncio
import io
import json
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
from rocrate.rocrate import ROCrate

from tests.api.basic import PER_USER_BASIC_AUTH, as_user
from tests.api.conftest import EXAMPLES, MakeStack, Stack, example_form, hello_form, workflow_form
from tests.api.test_memory import LIMIT, peak_growth

pytestmark = pytest.mark.wdl

WFRUN = "https://w3id.org/ro/wfrun"
COUNT_WDL = b"""version 1.0

workflow count_lines {
  input {
    File reads
    Int copies = 2
  }
  call count { input: reads = reads, copies = copies }
  output {
    File report = count.report
    Int lines = count.lines
  }
}

task count {
  input {
    File reads
    Int copies
  }
  command <<<
    for i in $(seq ~{copies}); do cat ~{reads}; done > report.txt
    wc -l < ~{reads} > lines.txt
  >>>
  output {
    File report = "report.txt"
    Int lines = read_int("lines.txt")
  }
}
"""
BIG_WDL = b"""version 1.0

workflow big {
  call make
  output {
    File data = make.data
  }
}

task make {
  command <<<
    truncate -s 300M data.bin
  >>>
  output {
    File data = "data.bin"
  }
}
"""


async def finished(stack: Stack, form: aiohttp.FormData, **kwargs: Any) -> str:
    run_id = await stack.wes.submit(form)
    state = await stack.wes.wait_for_state(run_id, {"COMPLETE", "EXECUTOR_ERROR"}, **kwargs)
    assert state == "COMPLETE"
    return run_id


async def crate_of(stack: Stack, run_id: str, tmp_path: Path) -> tuple[zipfile.ZipFile, Any]:
    reply = await stack.wes.get(f"runs/{run_id}/ro-crate", expect=200)
    assert reply.headers["Content-Type"] == "application/zip"
    assert f'filename="{run_id}-ro-crate.zip"' in reply.headers["Content-Disposition"]
    path = tmp_path / "crate.zip"
    await asyncio.to_thread(path.write_bytes, reply.body)
    archive = zipfile.ZipFile(io.BytesIO(reply.body))
    assert archive.testzip() is None
    crate = await asyncio.to_thread(ROCrate, str(path))
    return archive, crate


def ids(value: Any) -> list[str]:
    """The ids a property refers to: entities of the crate, `{"@id"}` objects or strings."""
    items = value if isinstance(value, list) else [value]
    return [_id(item) for item in items if item is not None]


def _id(item: Any) -> str:
    if isinstance(item, dict):
        return str(item["@id"])
    return item if isinstance(item, str) else str(item.id)


def types(entity: Any) -> set[str]:
    kind = entity.type
    return set(kind if isinstance(kind, list) else [kind])


def check_profiles(archive: zipfile.ZipFile, crate: Any, *, provenance: bool) -> Any:
    """The MUSTs of Workflow Run Crate 0.5 (with Process Run Crate 0.5, Workflow RO-Crate 1.0
    and, for tasks, Provenance Run Crate 0.5); returns the run's CreateAction."""
    root = crate.root_dataset
    profiles = set(ids(root["conformsTo"]))
    assert {f"{WFRUN}/process/0.5", f"{WFRUN}/workflow/0.5"} <= profiles
    assert (f"{WFRUN}/provenance/0.5" in profiles) is provenance
    for profile in profiles:
        assert "CreativeWork" in types(crate.get(profile))
    for key in ("name", "description", "datePublished", "license"):
        assert root[key], key
    workflow = crate.mainEntity
    assert {"File", "SoftwareSourceCode", "ComputationalWorkflow"} <= types(workflow)
    assert crate.get(ids(workflow["programmingLanguage"])[0]).type == "ComputerLanguage"
    for entity in crate.get_entities():
        if "File" in types(entity) and not entity.id.startswith(("http://", "https://")):
            assert entity.id in archive.namelist(), f"{entity.id} is described but not in the zip"
        if entity.type == "FormalParameter":
            assert entity["additionalType"], entity.id
    [run] = [a for a in crate.get_by_type("CreateAction") if a["instrument"] is workflow]
    assert run.id in ids(root["mentions"])
    assert ids(run["actionStatus"]) == ["http://schema.org/CompletedActionStatus"]
    assert run["startTime"]
    assert run["endTime"]
    for realized in [*ids(run["object"]), *ids(run["result"])]:
        entity = crate.get(realized)
        parameters = ids(entity["exampleOfWork"])
        assert parameters, realized
        assert parameters[0] in ids(workflow["input"]) + ids(workflow["output"])
    [organize] = crate.get_by_type("OrganizeAction")
    assert organize["result"] is run
    engine = organize["instrument"]
    assert (engine.type, engine["name"], engine["softwareVersion"]) == (
        "SoftwareApplication", "Cromwell", "87"
    )  # fmt: skip
    if provenance:
        assert "HowTo" in types(workflow)
        tools = ids(workflow["hasPart"])
        tasks = [a for a in crate.get_by_type("CreateAction") if a is not run]
        assert tasks
        for task in tasks:
            assert task["instrument"].id in tools
        steps = ids(workflow["step"])
        for control in crate.get_by_type("ControlAction"):
            assert control["instrument"].id in steps
            assert control["object"] in tasks
            assert control["instrument"]["workExample"].id in tools
        assert len(crate.get_by_type("ControlAction")) == len(tasks)
    return run


async def test_a_finished_run_is_a_workflow_run_crate(wdl_stack: Stack, tmp_path: Path) -> None:
    form = workflow_form(
        "count.wdl",
        {"count.wdl": COUNT_WDL, "reads.txt": b"ACGT\nTTGA\n"},
        params={"count_lines.reads": "reads.txt"},
    )
    run_id = await finished(wdl_stack, form)
    archive, crate = await crate_of(wdl_stack, run_id, tmp_path)
    run = check_profiles(archive, crate, provenance=True)
    assert archive.read("workflow/count.wdl") == COUNT_WDL
    assert archive.namelist()[0] == "ro-crate-metadata.json"
    assert archive.read("outputs/report.txt") == b"ACGT\nTTGA\n" * 2
    assert archive.read("inputs/reads.txt") == b"ACGT\nTTGA\n"
    [report] = [e for e in ids(run["result"]) if e.startswith("outputs/")]
    assert crate.get(report)["contentSize"] == 20
    values = {crate.get(e)["name"]: crate.get(e)["value"] for e in ids(run["result"]) if
              crate.get(e).type == "PropertyValue"}  # fmt: skip
    assert values == {"count_lines.lines": 2}
    [task] = [a for a in crate.get_by_type("CreateAction") if a is not run]
    assert task.id == "#task-count_lines.count@1"
    assert "cat" in task["description"]


async def test_imports_are_in_the_crate_at_their_paths(wdl_stack: Stack, tmp_path: Path) -> None:
    form = example_form(
        "subworkflow/main.wdl", "subworkflow/lib/greet.wdl", params={"greet_all.names": ["ada"]}
    )
    run_id = await finished(wdl_stack, form)
    archive, crate = await crate_of(wdl_stack, run_id, tmp_path)
    check_profiles(archive, crate, provenance=True)
    assert (
        archive.read("workflow/lib/greet.wdl")
        == (EXAMPLES / "subworkflow/lib/greet.wdl").read_bytes()
    )
    assert crate.get("workflow/lib/greet.wdl") is not None


async def test_a_large_output_streams_into_the_crate_with_flat_memory(
    make_stack: MakeStack, tmp_path: Path
) -> None:
    stack = await make_stack(emulator={"mode": "execute"})
    run_id = await finished(stack, workflow_form("big.wdl", {"big.wdl": BIG_WDL}), within=120)
    url = f"/ga4gh/wes/v1/runs/{run_id}/ro-crate"
    saved = tmp_path / "crate.zip"
    with peak_growth() as growth, saved.open("wb") as out:
        async with stack.wes.client.get(url, timeout=aiohttp.ClientTimeout(total=300)) as reply:
            assert reply.status == 200
            async for chunk in reply.content.iter_chunked(2**20):
                await asyncio.to_thread(out.write, chunk)
    assert growth[0] < LIMIT, f"peak RSS grew {growth[0] / 2**20:.1f} MiB"
    with zipfile.ZipFile(saved) as archive:
        assert archive.getinfo("outputs/data.bin").file_size == 300 * 2**20


async def test_files_above_the_limit_are_referenced_by_url(
    make_stack: MakeStack, tmp_path: Path
) -> None:
    stack = await make_stack(
        emulator={"mode": "execute"}, settings={"ro_crate": {"max_file_size": 8}}
    )
    form = workflow_form(
        "count.wdl",
        {"count.wdl": COUNT_WDL, "reads.txt": b"ACGT\nTTGA\n"},
        params={"count_lines.reads": "reads.txt"},
    )
    run_id = await finished(stack, form)
    archive, crate = await crate_of(stack, run_id, tmp_path)
    run = check_profiles(archive, crate, provenance=True)
    assert not [name for name in archive.namelist() if name.startswith(("outputs/", "inputs/"))]
    [report] = [crate.get(e) for e in ids(run["result"]) if crate.get(e).type == "File"]
    assert report["contentSize"] == 20
    url = urlsplit(report.id)
    reply = await stack.wes.get(
        f"{url.path}?{url.query}", headers={"Accept": "application/octet-stream"}, expect=200
    )
    assert reply.body == b"ACGT\nTTGA\n" * 2


async def test_an_unfinished_run_has_no_crate_yet(stack: Stack) -> None:
    run_id = await stack.wes.submit(hello_form(controlled=True))
    await stack.move(run_id, "Running")
    reply = await stack.wes.get(f"runs/{run_id}/ro-crate", expect=409)
    assert "once it has finished" in reply.json["msg"]


async def test_another_users_run_has_no_crate(make_stack: MakeStack) -> None:
    stack = await make_stack(settings=PER_USER_BASIC_AUTH)
    alice = as_user("alice")
    reply = await stack.wes.post("runs", data=hello_form(controlled=True), headers=alice)
    run_id = reply.json["run_id"]
    await stack.move(run_id, "Succeeded")
    await stack.wes.get(f"runs/{run_id}/ro-crate", headers=as_user("bob"), expect=404)
    reply = await stack.wes.get(f"runs/{run_id}/ro-crate", headers=alice, expect=200)
    document = json.loads(zipfile.ZipFile(io.BytesIO(reply.body)).read("ro-crate-metadata.json"))
    people = [e for e in document["@graph"] if e["@type"] == "Person"]
    assert [p["name"] for p in people] == ["alice"]
