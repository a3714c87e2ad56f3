import io
import json
import zipfile
from typing import Any

import pytest

from cromwes.config.settings import Settings
from cromwes.cromwell.types import CromwellSubmission
from cromwes.errors import InvalidRequest
from cromwes.service.prepared import prepare
from cromwes.translate.request import REQUEST_OPTION
from cromwes.translate.submission import (
    Attachment,
    WesSubmission,
    cromwell_submission,
)

RULES = prepare(Settings()).submission_rules
HELLO = b"version 1.0\nworkflow hello { }\n"


def wdl(name: str, content: bytes = HELLO) -> Attachment:
    return Attachment(name=name, size=len(content), md5="0" * 32, content=content)


def staged(name: str) -> Attachment:
    return Attachment(name=name, size=1, md5="0" * 32, location=f"/uploads/R/{name}")


def submit(**changes: Any) -> CromwellSubmission:
    fields: dict[str, Any] = {
        "workflow_url": "hello.wdl",
        "workflow_type": "WDL",
        "workflow_type_version": "1.0",
        "workflow_params": {},
        "tags": {},
        "workflow_engine_parameters": {},
        "attachments": (wdl("hello.wdl"),),
    }
    user_id = changes.pop("user_id", None)
    engine_version = changes.pop("engine_version", "87")
    fields.update(changes)
    return cromwell_submission(
        WesSubmission(**fields),
        RULES,
        user_id=user_id,
        extra_labels={},
        translate_inputs=lambda inputs: inputs,
        requested_id="R",
        engine_version=engine_version,
    )


def test_relative_url_sends_the_attachment_as_source() -> None:
    form = submit()
    assert form.workflow_source == HELLO.decode()
    assert form.workflow_url is None
    assert form.dependencies is None
    assert form.labels == {"workflow_url": "hello.wdl"}
    assert form.requested_id == "R"


def test_absolute_url_goes_to_cromwell_as_workflow_url() -> None:
    form = submit(workflow_url="https://example.org/hello.wdl", attachments=())
    assert form.workflow_url == "https://example.org/hello.wdl"
    assert form.workflow_source is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"workflow_type": "CWL"}, "workflow_type 'CWL' is not supported"),
        ({"workflow_type_version": "2.0"}, "workflow_type_version '2.0' is not supported"),
        ({"attachments": ()}, "no workflow_attachment was sent"),
        ({"workflow_url": "main.wdl"}, "names no workflow_attachment"),
        ({"workflow_url": "file:///etc/passwd", "attachments": ()}, "must be an http"),
        ({"workflow_url": "gs://b/x.wdl"}, "must be an http"),
        ({"workflow_engine": "toil"}, "workflow_engine 'toil' is not supported"),
        ({"workflow_engine_version": "87"}, "workflow_engine is required"),
        (
            {"workflow_engine": "Cromwell", "workflow_engine_version": "86"},
            "workflow_engine_version '86' is not supported",
        ),
        ({"workflow_engine_parameters": {"bogus": "1"}}, "bogus not allowed"),
        ({"tags": {"k": "v" * 256}}, "at most 255"),
        ({"workflow_url": "https://x/" + "a" * 300, "attachments": ()}, "at most 255"),
        ({"attachments": (wdl("hello.wdl", b"\xff\xfe"),)}, "not UTF-8"),
    ],
)
def test_broken_rules_are_400s_naming_the_problem(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        submit(**changes)


def test_workflow_type_is_case_insensitive() -> None:
    assert submit(workflow_type="wdl").workflow_type == "WDL"


def test_other_workflow_files_are_zipped_with_their_paths() -> None:
    form = submit(attachments=(wdl("hello.wdl"), wdl("lib/tasks.wdl"), staged("data.txt")))
    assert form.dependencies is not None
    names = zipfile.ZipFile(io.BytesIO(form.dependencies)).namelist()
    assert sorted(names) == ["hello.wdl", "lib/tasks.wdl"]


def test_a_dependencies_zip_is_passed_through() -> None:
    archive = wdl("dependencies.zip", b"PK-zip-bytes")
    form = submit(attachments=(wdl("hello.wdl"), archive))
    assert form.dependencies == b"PK-zip-bytes"


def test_options_precedence_defaults_then_file_then_engine_parameters() -> None:
    options_file = wdl("options.json", json.dumps({"write_to_cache": True, "x": 1}).encode())
    form = submit(
        attachments=(wdl("hello.wdl"), options_file),
        workflow_engine_parameters={"write_to_cache": "false", "backend": "Local"},
    )
    assert form.options["write_to_cache"] is False
    assert form.options["read_from_cache"] is False
    assert form.options["x"] == 1
    assert form.options["backend"] == "Local"
    assert json.loads(form.options[REQUEST_OPTION])["workflow_type_version"] == "1.0"


def test_bad_options_file_is_400() -> None:
    with pytest.raises(InvalidRequest, match=r"options\.json"):
        submit(attachments=(wdl("hello.wdl"), wdl("options.json", b"[1]")))


def test_inputs_naming_an_attachment_get_its_staged_location() -> None:
    form = submit(
        attachments=(wdl("hello.wdl"), staged("name.txt")),
        workflow_params={"a": "name.txt", "b": ["x", {"c": "name.txt"}], "d": 3},
    )
    staged_path = "/uploads/R/name.txt"
    assert form.inputs == {"a": staged_path, "b": ["x", {"c": staged_path}], "d": 3}
    record = json.loads(form.options[REQUEST_OPTION])
    assert record["workflow_params"]["a"] == "name.txt"


def test_caller_id_overrides_a_user_id_tag_and_url_label_is_set() -> None:
    form = submit(tags={"user_id": "mallory", "project": "p"}, user_id="alice")
    assert form.labels == {"user_id": "alice", "project": "p", "workflow_url": "hello.wdl"}


def test_kept_in_memory_names() -> None:
    assert RULES.kept_in_memory("sub/x.wdl")
    assert RULES.kept_in_memory("my.options.json")
    assert RULES.kept_in_memory("dependencies.zip")
    assert not RULES.kept_in_memory("reads.bam")
