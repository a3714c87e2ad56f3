"""A run serves only its own files: under its workflow root or its staging folder, never a path
just because its inputs or outputs name it (issue 18 item 1, with per-user runs)."""

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from tests.api.basic import PER_USER_BASIC_AUTH, as_user
from tests.api.conftest import MakeStack, Stack, hello_form, workflow_form

pytestmark = pytest.mark.wdl

ALICE_WDL = b"""version 1.0
workflow alice {
  input {
    File notes
  }
  call show { input: notes = notes }
  output {
    File shown = show.out
  }
}
task show {
  input {
    File notes
  }
  command <<<
    cat "~{notes}"
    cat "~{notes}" > out.txt
  >>>
  output {
    File out = "out.txt"
  }
}
"""
BOB_WDL = b"""version 1.0
workflow bob {
  input {
    Array[String] paths
    File mine
  }
  call name_it { input: target = paths[0], mine = mine }
  output {
    Array[String] named = paths
    String printed = name_it.printed
    String linked = name_it.linked
    File own = name_it.own
  }
}
task name_it {
  input {
    String target
    File mine
  }
  command <<<
    echo "~{target}"
    ln -s "~{target}" link
    echo "$(pwd)/link" > link_path.txt
    cp "~{mine}" own.txt
  >>>
  output {
    String printed = read_string(stdout())
    String linked = read_string("link_path.txt")
    File own = "own.txt"
  }
}
"""
ALICE_SECRET = b"alice's private notes\n"


async def files_of(stack: Stack, run_id: str, user: str) -> dict[str, str]:
    reply = await stack.wes.get(f"runs/{run_id}/files", headers=as_user(user), expect=200)
    return {f["path"]: f["file_type"] for f in reply.json["runFiles"]}


async def read(stack: Stack, run_id: str, user: str, path: str) -> tuple[int, bytes]:
    reply = await stack.wes.get(
        f"runs/{run_id}/file",
        params={"path": path},
        headers={**as_user(user), "Accept": "application/octet-stream"},
    )
    return reply.status, reply.body


async def finished(stack: Stack, run_id: str, user: str) -> dict[str, Any]:
    await stack.wes.wait_for_state(run_id, {"COMPLETE"}, headers=as_user(user))
    log: dict[str, Any] = (
        await stack.wes.get(f"runs/{run_id}", headers=as_user(user), expect=200)
    ).json
    return log


@pytest.fixture
async def broad_fence(make_stack: MakeStack, tmp_path: Path) -> Stack:
    """Per-user runs, with the emulator's whole data directory inside the allowed roots (what
    the shipped config allowed): only the run's own scope keeps the rest out."""
    return await make_stack(
        emulator={"mode": "execute"},
        settings={
            **PER_USER_BASIC_AUTH,
            "blob_storage_client": {"local": {"allowed_read_roots": [str(tmp_path / "emulator")]}},
        },
    )


async def test_a_run_serves_none_of_another_users_files(broad_fence: Stack) -> None:
    stack = broad_fence
    alice_form = workflow_form(
        "alice.wdl",
        {"alice.wdl": ALICE_WDL, "notes.txt": ALICE_SECRET},
        params={"alice.notes": "notes.txt"},
    )
    alice_run = (
        await stack.wes.post("runs", data=alice_form, headers=as_user("alice"), expect=200)
    ).json["run_id"]
    await finished(stack, alice_run, "alice")
    alice_files = await files_of(stack, alice_run, "alice")
    # Her own run serves her own files: the staged attachment, the task's stdout, the output.
    by_type = {kind: path for path, kind in alice_files.items()}
    assert set(by_type) == {"FINAL", "INPUT", "LOG", "SECONDARY"}, alice_files
    stdout = next(path for path in alice_files if path.endswith(("/stdout", "/stdout.txt")))
    for path in (by_type["FINAL"], by_type["INPUT"], by_type["SECONDARY"], stdout):
        assert await read(stack, alice_run, "alice", path) == (200, ALICE_SECRET), path
    data_dir = stack.data_dir
    assert (data_dir / "emulator.sqlite-wal").is_file()
    emulator_files = [
        str(data_dir / "emulator.sqlite-wal"),
        str(data_dir / "emulator.sqlite"),
        str(data_dir / "submissions" / alice_run / "inputs.json"),
    ]
    foreign = [*alice_files, *emulator_files]

    bob_form = workflow_form(
        "bob.wdl",
        {"bob.wdl": BOB_WDL, "mine.txt": b"bob's own\n"},
        params={"bob.paths": [stdout, *foreign], "bob.mine": "mine.txt"},
    )
    bob_run = (
        await stack.wes.post("runs", data=bob_form, headers=as_user("bob"), expect=200)
    ).json["run_id"]
    outputs = (await finished(stack, bob_run, "bob"))["outputs"]
    assert outputs["bob.printed"] == stdout
    link = outputs["bob.linked"]
    assert await asyncio.to_thread(Path(link).is_symlink)

    bob_files = await files_of(stack, bob_run, "bob")
    assert not set(bob_files) & {*foreign, link}, bob_files
    for path in [*foreign, link]:
        assert (await read(stack, bob_run, "bob", path))[0] == 404, path
        reply = await stack.wes.get(
            f"runs/{bob_run}/file", params={"path": path}, headers=as_user("bob")
        )
        assert reply.status == 404, path
    for key in ("bob.printed", "bob.linked"):
        jsonpath = f"$.outputs['{key}']"
        assert (await read(stack, bob_run, "bob", jsonpath))[0] == 404, key
    # What is bob's own is still his: the attachment staged for this run, and his output.
    staged = [path for path, kind in bob_files.items() if kind == "INPUT"]
    assert staged == [str(Path(stack.settings.blob_storage_client.local.staging_path)
                          / bob_run / "mine.txt")]  # fmt: skip
    assert await read(stack, bob_run, "bob", staged[0]) == (200, b"bob's own\n")
    assert await read(stack, bob_run, "bob", outputs["bob.own"]) == (200, b"bob's own\n")


async def test_final_outputs_are_served_from_the_runs_own_copy_folder(
    make_stack: MakeStack, tmp_path: Path
) -> None:
    """Cromwell copies outputs to `<final_workflow_outputs_dir>/<workflow>/<run id>/...`; the
    directory is the submitter's choice, so only the run's own folder below it counts."""
    results = tmp_path / "results"
    stack = await make_stack(
        settings={
            "blob_storage_client": {
                "local": {"allowed_read_roots": [str(tmp_path / "emulator"), str(results)]}
            }
        }
    )
    options = json.dumps({"final_workflow_outputs_dir": str(results)})
    form = hello_form(controlled=True, extra={"workflow_engine_parameters": options})
    run_id = await stack.wes.submit(form)
    copied = results / "hello_world" / run_id / "call-say_hello" / "execution" / "stdout"
    elsewhere = results / "someone-elses.txt"
    for path, text in ((copied, "copied\n"), (elsewhere, "not this run's\n")):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    await stack.move(
        run_id,
        "Succeeded",
        outputs={"hello_world.greeting": str(copied), "hello_world.message": str(elsewhere)},
    )

    files = (await stack.wes.get(f"runs/{run_id}/files", expect=200)).json["runFiles"]
    assert {"file_type": "FINAL", "path": str(copied)} in files
    assert str(elsewhere) not in [f["path"] for f in files]
    octets = {"Accept": "application/octet-stream"}
    body = await stack.wes.get(
        f"runs/{run_id}/file", params={"path": str(copied)}, headers=octets, expect=200
    )
    assert body.body == b"copied\n"
    await stack.wes.get(f"runs/{run_id}/file", params={"path": str(elsewhere)}, expect=404)


SWAP_WDL = b"""version 1.0
workflow swap {
  input {
    String target
  }
  call swap_log { input: target = target }
}
task swap_log {
  input {
    String target
  }
  command <<<
    echo "bob's own line"
    ln -sf "~{target}" ../stdout.txt
  >>>
}
"""


async def test_a_task_log_replaced_by_a_link_out_of_the_run_is_not_followed(
    broad_fence: Stack,
) -> None:
    """A task can swap its own stdout file for a symlink (the backend keeps writing the old
    file); the log endpoint then must not follow it into another user's run."""
    stack = broad_fence
    alice_form = workflow_form(
        "alice.wdl",
        {"alice.wdl": ALICE_WDL, "notes.txt": ALICE_SECRET},
        params={"alice.notes": "notes.txt"},
    )
    alice_run = (
        await stack.wes.post("runs", data=alice_form, headers=as_user("alice"), expect=200)
    ).json["run_id"]
    alice_stdout = (await finished(stack, alice_run, "alice"))["task_logs"][0]["stdout"]
    alice_log = await stack.wes.get(alice_stdout.split("/ga4gh/wes/v1/", 1)[1],
                                    headers=as_user("alice"), expect=200)  # fmt: skip
    assert alice_log.body == ALICE_SECRET
    target = next(p for p in await files_of(stack, alice_run, "alice") if "stdout" in p)

    form = workflow_form("swap.wdl", {"swap.wdl": SWAP_WDL}, params={"swap.target": target})
    bob_run = (await stack.wes.post("runs", data=form, headers=as_user("bob"), expect=200)).json[
        "run_id"
    ]
    stdout_url = (await finished(stack, bob_run, "bob"))["task_logs"][0]["stdout"]
    reply = await stack.wes.get(stdout_url.split("/ga4gh/wes/v1/", 1)[1], headers=as_user("bob"))
    assert reply.status == 404, reply.body[:200]
    assert ALICE_SECRET not in reply.body
