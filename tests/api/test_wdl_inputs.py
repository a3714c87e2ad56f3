"""Through the gateway, File inputs as Cromwell takes them: `file://` URIs, http(s) URLs (fetched
by the emulator itself, no `aria2c` on the host), paths a task reads from a sample sheet without
their being workflow inputs; and a localisation failure said in the run's failures."""

import json
from pathlib import Path

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpServer

from tests.api.conftest import Stack, workflow_form

pytestmark = pytest.mark.wdl

READS = b"""version 1.0

task count_lines {
  input {
    File reads
  }
  command <<<
    wc -l < '~{reads}' | tr -d ' '
    head -n 1 '~{reads}'
  >>>
  output {
    Array[String] said = read_lines(stdout())
  }
}

workflow count {
  input {
    File reads
  }
  call count_lines { input: reads = reads }
  output {
    Array[String] said = count_lines.said
  }
}
"""

FASTQ = b"@read1\nACGT\n+\nIIII\n"

SAMPLE_SHEET = b"""version 1.0

# The biowdl pattern: the sample sheet is the only input; the paths inside it are read by tasks.
struct Sample {
  String id
  File R1
  File? R2
}

workflow samples {
  input {
    File sampleConfigFile
  }
  Array[Sample] sheet = read_json(sampleConfigFile)
  scatter (sample in sheet) {
    call first_read { input: id = sample.id, R1 = sample.R1, R2 = sample.R2 }
  }
  output {
    Array[String] firsts = first_read.summary
  }
}

task first_read {
  input {
    String id
    File R1
    File? R2
  }
  command <<<
    echo "~{id} $(head -n 1 '~{R1}') ~{if defined(R2) then "paired" else "single"}"
  >>>
  output {
    String summary = read_string(stdout())
  }
}
"""


async def run_to_end(stack: Stack, source: bytes, params: dict[str, object]) -> tuple[str, str]:
    run_id = await stack.wes.submit(workflow_form("main.wdl", {"main.wdl": source}, params=params))
    return run_id, await stack.wes.wait_for_state(run_id, {"COMPLETE", "EXECUTOR_ERROR"})


@pytest.fixture
def reads(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "sample 1_R1.fastq"
    path.parent.mkdir()
    path.write_bytes(FASTQ)
    return path


async def test_a_file_uri_input_is_read(wdl_stack: Stack, reads: Path) -> None:
    run_id, state = await run_to_end(wdl_stack, READS, {"count.reads": reads.as_uri()})
    assert state == "COMPLETE"
    log = (await wdl_stack.wes.get(f"runs/{run_id}", expect=200)).json
    assert log["outputs"]["count.said"] == ["4", "@read1"]


@pytest.fixture
async def data_server(aiohttp_server: AiohttpServer) -> str:
    """An http server of test data: `/reads.fastq`; any other path is 404."""

    async def serve(request: web.Request) -> web.Response:
        return web.Response(body=FASTQ)

    app = web.Application()
    app.router.add_get("/reads.fastq", serve)
    server = await aiohttp_server(app)
    return str(server.make_url("/")).rstrip("/")


async def test_an_http_input_is_downloaded_by_the_emulator(
    wdl_stack: Stack, data_server: str
) -> None:
    url = f"{data_server}/reads.fastq"
    run_id, state = await run_to_end(wdl_stack, READS, {"count.reads": url})
    failures = (await wdl_stack.wes.get(f"runs/{run_id}/logs/stderr", expect=200)).body
    assert state == "COMPLETE", failures
    log = (await wdl_stack.wes.get(f"runs/{run_id}", expect=200)).json
    assert log["outputs"]["count.said"] == ["4", "@read1"]
    # miniwdl's own downloader would have run an `aria2c` task of its own
    assert [task["name"] for task in log["task_logs"]] == ["count.count_lines"]
    root = wdl_stack.data_dir / "cromwell-executions" / "count" / run_id
    assert not list(root.glob("download-*"))


@pytest.mark.parametrize(
    ("reads_url", "expected"),
    [
        pytest.param("{server}/missing.fastq", "404", id="not-found"),
        pytest.param("http://127.0.0.1:9/reads.fastq", "Connect", id="refused"),
        pytest.param("file:///nowhere/reads.fastq", "/nowhere/reads.fastq", id="no-such-file"),
    ],
)
async def test_a_localisation_failure_is_in_the_runs_failures(
    wdl_stack: Stack, data_server: str, reads_url: str, expected: str
) -> None:
    url = reads_url.format(server=data_server)
    run_id, state = await run_to_end(wdl_stack, READS, {"count.reads": url})
    assert state == "EXECUTOR_ERROR"
    failures = json.loads((await wdl_stack.wes.get(f"runs/{run_id}/logs/stderr", expect=200)).body)
    text = json.dumps(failures)
    assert url in text
    assert expected in text


async def test_files_named_in_a_sample_sheet_are_read(
    wdl_stack: Stack, reads: Path, tmp_path: Path, data_server: str
) -> None:
    right = reads.with_name("sample 1_R2.fastq")
    right.write_text("@mate1\nTGCA\n+\nIIII\n")
    sheet = tmp_path / "samples.json"
    sheet.write_text(
        json.dumps(
            [
                {"id": "s1", "R1": str(reads), "R2": str(right)},
                {"id": "s2", "R1": reads.as_uri()},
                {"id": "s3", "R1": f"{data_server}/reads.fastq"},
            ]
        )
    )
    run_id, state = await run_to_end(
        wdl_stack, SAMPLE_SHEET, {"samples.sampleConfigFile": str(sheet)}
    )
    failures = (await wdl_stack.wes.get(f"runs/{run_id}/logs/stderr", expect=200)).body
    assert state == "COMPLETE", failures
    log = (await wdl_stack.wes.get(f"runs/{run_id}", expect=200)).json
    assert log["outputs"]["samples.firsts"] == [
        "s1 @read1 paired",
        "s2 @read1 single",
        "s3 @read1 single",
    ]
