"""What the emulator's contract tests share: the check of one response against a recorded body
and Cromwell's swagger, and the places where real Cromwell is known to emit a key that an older
recording lacks."""

from collections.abc import Callable, Mapping
from typing import Any

from tests.emulator.structure import Allowances, Swagger, lines, shape_problems
from tests.emulator.wdltypes import WdlTypes, wdl_types

Recorded = Callable[[str], Any]

SUCCEEDED = "metadata-succeeded.json"
FAILED = "metadata-failed.json"
EXTRA = {
    "$.workflowProcessingEvents": SUCCEEDED,
    "$.submittedFiles.workflowUrl": SUCCEEDED,
    "$.submittedFiles.labels": SUCCEEDED,
    "$.submittedFiles.root": SUCCEEDED,
    "$.calls.*[].commandLine": SUCCEEDED,
    "$.calls.*[].callRoot": SUCCEEDED,
    "$.calls.*[].backend": SUCCEEDED,
    "$.calls.*[].returnCode": SUCCEEDED,
    "$.actualWorkflowLanguage": SUCCEEDED,
    "$.actualWorkflowLanguageVersion": SUCCEEDED,
    "$.workflowRoot": SUCCEEDED,
    "$.labels": SUCCEEDED,
    "$.calls.*[].retryableFailure": FAILED,
    "$.calls.*[].failures": FAILED,
    "$.failures": FAILED,
}
"""Places where the emulator emits a key that an *older* recording lacks, and the Cromwell 87 /
74 recording that shows real Cromwell emitting it there (checked by `test_justifications_hold`)."""

CACHING_OFF = "call caching is off, as in a default Cromwell (metadata-succeeded.json)"
CALL_CACHING_KEYS = {
    f"$.calls.*[].callCaching.{key}": CACHING_OFF for key in ("hit", "result", "hashes")
}
"""Keys of `callCaching` that only a Cromwell with call caching on reports."""
DOCKER = (
    "reported only by backends that pull a Docker image; the emulator is a Local backend "
    "without Docker"
)
NO_DOCKER_SIZE = {"$.calls.*[].compressedDockerSize": DOCKER}
"""The Docker key of a recorded call that the emulator's calls lack."""
NO_DOCKER = {**NO_DOCKER_SIZE, "$.calls.*[].dockerImageUsed": DOCKER}
"""The Docker keys of a recorded call that the emulator's calls lack, where the recording names
the image it used too."""

SWAGGER_DEVIATIONS: dict[str, Any] = {
    # cromwell-api.md §2.6.9: the swagger types `labels` as a string; Cromwell returns an object.
    "LabelsResponse": {
        "required": ["id", "labels"],
        "properties": {"id": {"type": "string"}, "labels": {"type": "object"}},
    },
    # /outputs and /logs are declared as `OkIdAndStatus`, but Cromwell answers `{id, outputs}`
    # and `{id, calls}` without `status` (outputs.json, logs.json).
    "IdOnly": {"required": ["id"], "properties": {"id": {"type": "string"}}},
}


def assert_contract(
    body: Any,
    recorded: Any,
    swagger: Swagger,
    definition: str,
    allowances: Allowances | None = None,
    types: WdlTypes | None = None,
) -> None:
    problems = shape_problems(body, recorded, allowances or Allowances(), types)
    assert not problems, "shape differs from the recording:\n" + lines(problems)
    invalid = swagger.problems(definition, body)
    assert not invalid, f"not a valid {definition}:\n" + lines(invalid)


async def assert_metadata_contract(
    body: Any,
    recorded: Any,
    swagger: Swagger,
    allowances: Allowances | None = None,
    *,
    source: str,
    dependencies: Mapping[str, str] | None = None,
) -> None:
    """`assert_contract` of a workflow's metadata, its WDL values checked against the types that
    its `source` (and the `dependencies` it imports) declare."""
    types = await wdl_types(source, dependencies)
    assert_contract(body, recorded, swagger, "WorkflowMetadataResponse", allowances, types)


def metadata_allowances(*extra: str) -> Allowances:
    return Allowances(extra={place: EXTRA[place] for place in extra})


def nested(places: Mapping[str, str], depth: int) -> dict[str, str]:
    """The same places in the documents of sub-workflows `depth` levels down."""
    inner = "$" + ".calls.*[].subWorkflowMetadata" * depth
    return {inner + place[1:]: reason for place, reason in places.items()}
