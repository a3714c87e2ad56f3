"""The reference service's end-to-end behaviours (reference-service.md §9b), against any WES.

Numbers in the docstrings are those of the reference's list. Left out: 4 (a token for another
resource), which needs an issuer the suite cannot assume.
"""

import time
import uuid
from urllib.parse import quote

import pytest

from tests.e2e.client import WesClient
from tests.e2e.conftest import SHARED_NAME, Submitted

STREAMS = {"stdout": f"Hello {SHARED_NAME}\n", "stderr": f"Goodbye {SHARED_NAME}\n"}


def requires_auth(wes: WesClient) -> None:
    if not wes.auth_on:
        pytest.skip("the service under test runs without auth (no E2E_TOKEN or E2E_BASIC_AUTH)")


def test_anonymous_service_info_has_the_shape_and_no_counts(wes: WesClient) -> None:
    """1"""
    requires_auth(wes)
    reply = wes.get("service-info", anonymous=True)
    assert reply.status == 200, reply.text
    info = reply.json
    assert info["type"]["group"] == "org.ga4gh"
    assert info["type"]["artifact"] == "wes"
    assert "WDL" in info["workflow_type_versions"]
    assert info["workflow_engine_versions"]
    assert not any(info.get("system_state_counts", {}).values())


def test_authenticated_service_info_has_counts(wes: WesClient, submitted: Submitted) -> None:
    """2 (counts are cached for a few seconds, and Cromwell lists a run only a moment after its
    submit, so a fresh run may take that long to be counted)"""
    submitted.run_id("hello")
    deadline = time.monotonic() + 30
    while sum((counts := wes.get("service-info").json["system_state_counts"]).values()) < 1:
        assert time.monotonic() < deadline, f"no run was ever counted: {counts}"
        time.sleep(0.5)


def test_listing_runs_without_credentials_is_401(wes: WesClient) -> None:
    """3"""
    requires_auth(wes)
    assert wes.get("runs", anonymous=True).status == 401


def test_a_page_holds_at_most_page_size_runs(wes: WesClient, submitted: Submitted) -> None:
    """5"""
    submitted.run_id("hello")
    reply = wes.get("runs?page_size=5")
    assert reply.status == 200, reply.text
    assert 1 <= len(reply.json["runs"]) <= 5
    assert "next_page_token" in reply.json


def test_hello_world_as_an_attachment_completes(wes: WesClient, submitted: Submitted) -> None:
    """6"""
    run_id = submitted.run_id("hello")
    assert wes.wait_until_terminal(run_id) == "COMPLETE"


def test_a_submission_without_workflow_url_is_400(wes: WesClient) -> None:
    """7"""
    reply = wes.submit(
        {"workflow_type": "WDL", "workflow_type_version": "1.0"},
        [],
    )
    assert reply.status == 400, reply.text
    assert reply.json["status_code"] == 400
    assert "workflow_url" in reply.json["msg"]


def test_imports_are_zipped_and_the_sub_workflow_tasks_are_listed(
    wes: WesClient, submitted: Submitted
) -> None:
    """8, 9"""
    run_id = submitted.run_id("imports")
    assert wes.wait_until_terminal(run_id) == "COMPLETE"
    run_log = wes.get(f"runs/{run_id}").json
    assert len(run_log["task_logs"]) == 4, [task["name"] for task in run_log["task_logs"]]
    assert run_log["outputs"]["greet_people.greeted"] == 2


def test_an_options_json_attachment_is_accepted(wes: WesClient, submitted: Submitted) -> None:
    """10"""
    run_id = submitted.run_id("options")
    assert wes.wait_until_terminal(run_id) == "COMPLETE"


def test_an_attachment_can_be_an_input(wes: WesClient, submitted: Submitted) -> None:
    """11"""
    run_id = submitted.run_id("frank")
    assert wes.wait_until_terminal(run_id) == "COMPLETE"
    assert wes.get(f"runs/{run_id}").json["outputs"]["test.o"] == "Frank"


def test_the_run_log_shows_the_request(wes: WesClient, submitted: Submitted) -> None:
    """12"""
    run_log = wes.get(f"runs/{submitted.run_id('hello')}").json
    assert run_log["request"]["workflow_engine_parameters"]["write_to_cache"] == "false"
    assert run_log["request"]["tags"]["WES"] == "TestRun"
    assert run_log["request"]["workflow_params"]["hello_world.name"] == SHARED_NAME
    assert run_log["state"]
    assert "run_log" in run_log


def test_the_status_of_a_run(wes: WesClient, submitted: Submitted) -> None:
    """13"""
    run_id = submitted.run_id("hello")
    status = wes.get(f"runs/{run_id}/status").json
    assert status["run_id"] == run_id
    assert status["state"] in {"QUEUED", "INITIALIZING", "RUNNING", "COMPLETE"}


@pytest.mark.parametrize("path", ["runs/{}", "runs/{}/status"])
def test_an_unknown_run_is_404(wes: WesClient, path: str) -> None:
    """14, 15"""
    reply = wes.get(path.format(uuid.uuid4()))
    assert reply.status == 404, reply.text
    assert reply.json["status_code"] == 404


def test_the_list_contains_the_run(wes: WesClient, submitted: Submitted) -> None:
    """16"""
    run_id = submitted.run_id("hello")
    token, pages = "", 0
    while pages < 50:
        page = wes.get(f"runs?page_size=100&page_token={token}").json
        if run_id in {run["run_id"] for run in page["runs"]}:
            return
        token, pages = page["next_page_token"], pages + 1
        if not token:
            break
    raise AssertionError(f"run {run_id} is not listed")


def test_the_files_of_a_run(wes: WesClient, submitted: Submitted) -> None:
    """17, 18, 19"""
    run_id = submitted.run_id("files")
    assert wes.wait_until_terminal(run_id) == "COMPLETE"
    files = wes.get(f"runs/{run_id}/files").json["runFiles"]
    assert files
    assert files[0]["file_type"] == "FINAL"
    assert {f["file_type"] for f in files} <= {"FINAL", "INPUT", "SECONDARY", "LOG"}
    first = files[0]["path"]
    json_accept = {"Accept": "application/json"}
    meta = wes.get(f"runs/{run_id}/file?path={quote(first)}", headers=json_accept).json
    assert {"path", "size", "name"} <= set(meta)
    final_output = quote("$.outputs['two_files.final']")
    by_jsonpath = f"runs/{run_id}/file?path={final_output}"
    assert wes.get(by_jsonpath, headers=json_accept).json["path"] == first
    unknown = wes.get(f"runs/{run_id}/file?path={quote('/not/a/file')}", headers=json_accept)
    assert unknown.status == 404
    not_a_file = f"runs/{run_id}/file?path={quote('$.request.workflow_url')}"
    assert wes.get(not_a_file, headers=json_accept).status == 404
    octets = {"Accept": "application/octet-stream"}
    for path in (f"runs/{run_id}/file?path={quote(first)}", by_jsonpath):
        body = wes.get(path, headers=octets)
        assert body.status == 200
        assert body.body == b"intermediate\n"
        assert body.headers["Content-Length"] == str(len(body.body))
        assert body.headers["Last-Modified"]


@pytest.mark.parametrize("path", ["runs/{}/files"])
def test_files_of_an_unknown_run_are_404(wes: WesClient, path: str) -> None:
    """20, 23"""
    assert wes.get(path.format(uuid.uuid4())).status == 404
    assert wes.request("DELETE", path.format(uuid.uuid4())).status == 404


def test_deleting_intermediate_files(wes: WesClient, submitted: Submitted) -> None:
    """21, 22"""
    run_id = submitted.run_id("files")
    assert wes.wait_until_terminal(run_id) == "COMPLETE"
    secondary = [
        f["path"] for f in wes.get(f"runs/{run_id}/files").json["runFiles"]
        if f["file_type"] == "SECONDARY"
    ]  # fmt: skip
    assert secondary
    queued = wes.request("DELETE", f"runs/{run_id}/files?async=true").json["deletions"]
    assert {d["state"] for d in queued} == {"ASYNC"}
    deadline = time.monotonic() + 30
    path = f"runs/{run_id}/file?path={quote(secondary[0])}"
    while wes.get(path, headers={"Accept": "application/json"}).status != 404:
        assert time.monotonic() < deadline, f"{secondary[0]} was never deleted"
        time.sleep(0.2)
    again = wes.request("DELETE", f"runs/{run_id}/files").json["deletions"]
    assert {d["file_type"] for d in again} <= {"SECONDARY"}
    assert {d["state"] for d in again} <= {"DELETED", "NOT_FOUND"}


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_task_logs_are_served_whole_and_in_ranges(
    wes: WesClient, submitted: Submitted, stream: str
) -> None:
    """24"""
    run_id = submitted.run_id("hello")
    assert wes.wait_until_terminal(run_id) == "COMPLETE"
    (task,) = wes.get(f"runs/{run_id}").json["task_logs"]
    url = task[stream]
    assert url.endswith(f"/ga4gh/wes/v1/runs/{run_id}/logs/task/{task['id']}/{stream}"), url
    expected = STREAMS[stream]
    whole = wes.get(url)
    assert (whole.status, whole.text) == (200, expected)
    for header, part in (("bytes=0-4", expected[:5]), ("bytes=6-", expected[6:]),
                         ("bytes=1-3", expected[1:4])):  # fmt: skip
        ranged = wes.get(url, headers={"Range": header})
        assert (ranged.status, ranged.text) == (206, part), header
    assert wes.get(url, headers={"Range": "bytes=1-3,6-9"}).status == 416


def test_log_urls_need_credentials(wes: WesClient, submitted: Submitted) -> None:
    """25"""
    requires_auth(wes)
    run_id = submitted.run_id("hello")
    assert wes.wait_until_terminal(run_id) == "COMPLETE"
    (task,) = wes.get(f"runs/{run_id}").json["task_logs"]
    assert wes.get(task["stdout"], anonymous=True).status == 401
    assert wes.get(f"runs/{run_id}/logs/stderr", anonymous=True).status == 401


def test_health_and_info_are_public(wes: WesClient) -> None:
    """The reference's shared actuator test: health and info are exposed without credentials."""
    for path in ("/actuator/health", "/actuator/health/liveness", "/actuator/info"):
        reply = wes.get(path, anonymous=True)
        assert reply.status == 200, f"{path}: {reply.status} {reply.text}"
    assert wes.get("/actuator/health", anonymous=True).json["status"] == "UP"
