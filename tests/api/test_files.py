"""A run's files (the reference's §1.9 extension) on a real WDL run."""

import asyncio
import time

import pytest

from tests.api.conftest import Stack, workflow_form

pytestmark = pytest.mark.wdl

TWO_STEPS = b"""version 1.0
workflow two_steps {
  call write_it
  call copy_it { input: source = write_it.note }
  output {
    File final = copy_it.copy
  }
}
task write_it {
  command <<<
    echo "intermediate" > note.txt
    echo "log line"
  >>>
  output {
    File note = "note.txt"
  }
}
task copy_it {
  input {
    File source
  }
  command <<<
    cp "~{source}" copy.txt
  >>>
  output {
    File copy = "copy.txt"
  }
}
"""


async def finished_run(stack: Stack) -> str:
    form = workflow_form("two.wdl", {"two.wdl": TWO_STEPS})
    run_id = await stack.wes.submit(form)
    assert await stack.wes.wait_for_state(run_id, {"COMPLETE", "EXECUTOR_ERROR"}) == "COMPLETE"
    return run_id


async def test_files_are_listed_read_and_deleted(wdl_stack: Stack) -> None:
    wes = wdl_stack.wes
    run_id = await finished_run(wdl_stack)
    files = (await wes.get(f"runs/{run_id}/files", expect=200)).json["runFiles"]
    kinds = [f["file_type"] for f in files]
    assert kinds[0] == "FINAL"
    assert set(kinds) <= {"FINAL", "INPUT", "LOG", "SECONDARY"}
    assert "LOG" in kinds
    assert "SECONDARY" in kinds
    final = files[0]["path"]

    meta = (await wes.get(f"runs/{run_id}/file", params={"path": final}, expect=200)).json
    assert meta["path"] == final
    assert meta["file_type"] == "FINAL"
    assert meta["size"] == len(b"intermediate\n")
    via_jsonpath = await wes.get(
        f"runs/{run_id}/file", params={"path": "$.outputs['two_steps.final']"}, expect=200
    )
    assert via_jsonpath.json == meta
    body = await wes.get(
        f"runs/{run_id}/file",
        params={"path": final},
        headers={"Accept": "application/octet-stream"},
        expect=200,
    )
    assert body.body == b"intermediate\n"
    assert "GMT" in body.headers["Last-Modified"]
    assert body.headers["Content-Length"] == str(len(body.body))
    ranged = await wes.get(f"runs/{run_id}/file", params={"path": final},
                           headers={"Accept": "application/octet-stream", "Range": "bytes=0-4"},
                           expect=206)  # fmt: skip
    assert ranged.body == b"inter"
    await wes.get(f"runs/{run_id}/file", params={"path": "/etc/passwd"}, expect=404)
    await wes.get(f"runs/{run_id}/file", params={"path": "$.run_log.name"}, expect=404)
    await wes.get(f"runs/{run_id}/file", expect=400)

    deleted = (await wes.call("DELETE", f"runs/{run_id}/files", expect=200)).json["deletions"]
    assert deleted
    assert {d["file_type"] for d in deleted} == {"SECONDARY"}
    assert {d["state"] for d in deleted} == {"DELETED"}
    # What was deleted is gone from the listing (Cromwell's metadata still names it), and a
    # second delete has nothing left to delete.
    listed = (await wes.get(f"runs/{run_id}/files", expect=200)).json["runFiles"]
    assert [f for f in listed if f["file_type"] == "SECONDARY"] == []
    assert [f["path"] for f in listed] == [
        f["path"] for f in files if f["file_type"] != "SECONDARY"
    ]
    for file in listed:
        await wes.get(f"runs/{run_id}/file", params={"path": file["path"]}, expect=200)
    again = (await wes.call("DELETE", f"runs/{run_id}/files", expect=200)).json["deletions"]
    assert again == []
    await wes.get(f"runs/{run_id}/file", params={"path": final},
                  headers={"Accept": "application/octet-stream"}, expect=200)  # fmt: skip


async def test_asynchronous_delete(wdl_stack: Stack) -> None:
    wes = wdl_stack.wes
    run_id = await finished_run(wdl_stack)
    reply = await wes.call("DELETE", f"runs/{run_id}/files?async=true", expect=200)
    deletions = reply.json["deletions"]
    assert deletions
    assert {d["state"] for d in deletions} == {"ASYNC"}
    path = deletions[0]["path"]
    deadline = time.monotonic() + 30
    while (await wes.get(f"runs/{run_id}/file", params={"path": path})).status != 404:
        assert time.monotonic() < deadline, f"{path} was never deleted"
        await asyncio.sleep(0.1)


async def test_files_of_an_unknown_run_are_404(wdl_stack: Stack) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    await wdl_stack.wes.get(f"runs/{unknown}/files", expect=404)
    await wdl_stack.wes.call("DELETE", f"runs/{unknown}/files", expect=404)
