"""Names in a run's RO-Crate zip: never outside it, never from a client unchecked."""

import pytest

from cromwes.cromwell.types import Metadata
from cromwes.translate.rocrate import CrateFile, crate_files, workflow_files
from cromwes.translate.runfiles import FileType, RunFile


def test_workflow_files_keep_safe_relative_paths_only() -> None:
    metadata: Metadata = {
        "submittedFiles": {
            "workflow": "version 1.0\n",
            "imports": {
                "lib/ok.wdl": "task t {}",
                "../../etc/evil.wdl": "x",
                "/abs.wdl": "x",
                "dir\\win.wdl": "x",
                "main.wdl": "a second copy of the main file",
            },
        }
    }
    files = workflow_files(metadata, "main.wdl")
    assert [(f.member, f.content) for f in files] == [
        ("workflow/main.wdl", b"version 1.0\n"),
        ("workflow/lib/ok.wdl", b"task t {}"),
    ]


@pytest.mark.parametrize(
    ("url", "member"),
    [
        pytest.param("https://example.org/wf/main.wdl?ref=1", "workflow/main.wdl", id="url"),
        pytest.param("../../escape.wdl", "workflow/workflow.wdl", id="escaping-name"),
        pytest.param("sub/dir/w.wdl", "workflow/sub/dir/w.wdl", id="nested"),
    ],
)
def test_the_main_workflow_is_named_after_the_workflow_url(url: str, member: str) -> None:
    metadata: Metadata = {"submittedFiles": {"workflow": "version 1.0\n"}}
    assert workflow_files(metadata, url)[0].member == member


def test_data_files_keep_a_safe_base_name_and_never_collide() -> None:
    files = [
        RunFile(FileType.FINAL, "/x/a/out.txt"),
        RunFile(FileType.FINAL, "/x/b/out.txt"),
        RunFile(FileType.FINAL, "/x/c/we ird;$(rm).txt"),
        RunFile(FileType.FINAL, "/x/d/.."),
        RunFile(FileType.INPUT, "gs://bucket/in/reads.fq"),
        RunFile(FileType.FINAL, "/x/big.bin"),
        RunFile(FileType.LOG, "/x/stdout"),
    ]
    sizes: dict[str, int | None] = {f.path: 1 for f in files}
    sizes["/x/big.bin"] = 11
    chosen = crate_files(files, sizes, max_size=10, file_url=lambda p: f"https://gw/file?path={p}")
    assert [(f.path, f.member) for f in chosen] == [
        ("/x/a/out.txt", "outputs/out.txt"),
        ("/x/b/out.txt", "outputs/~2/out.txt"),
        ("/x/c/we ird;$(rm).txt", "outputs/we_ird___rm_.txt"),
        ("/x/d/..", "outputs/file"),
        ("gs://bucket/in/reads.fq", "inputs/reads.fq"),
        ("/x/big.bin", None),
    ]
    assert chosen[-1] == CrateFile(
        "/x/big.bin", FileType.FINAL, 11, "https://gw/file?path=/x/big.bin", None
    )
