"""Turn a WES run request (and its attachments) into the parts of a Cromwell submission.

The rules are those of the reference service (reference-service.md §2.1 to §2.6), with its gaps
closed: non-http(s) workflow URLs and unknown engine parameters are refused rather than passed on
or dropped, labels are checked against Cromwell's limits before Cromwell sees them, and the
client's original request is recorded (see `cromwes.translate.request`).
"""

import io
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cromwes.cromwell.types import WORKFLOW_TYPE, CromwellSubmission
from cromwes.errors import InvalidRequest
from cromwes.jsontext import client_json
from cromwes.translate.labels import checked_labels
from cromwes.translate.request import REQUEST_OPTION, request_option

WORKFLOW_ENGINE = "cromwell"


@dataclass(frozen=True, slots=True, kw_only=True)
class Attachment:
    """One `workflow_attachment` part, once received."""

    name: str
    size: int
    md5: str
    content: bytes | None = None
    """Kept in memory: workflow sources, options and the dependencies zip."""
    location: str | None = None
    """Where it was staged, for the other attachments."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WesSubmission:
    """A validated `POST /runs` body."""

    workflow_url: str
    workflow_type: str
    workflow_type_version: str
    workflow_params: Mapping[str, Any]
    tags: Mapping[str, str]
    workflow_engine_parameters: Mapping[str, str | None]
    workflow_engine: str | None = None
    workflow_engine_version: str | None = None
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmissionRules:
    """The configuration that shapes a submission (a slice of the settings)."""

    supported_versions: tuple[str, ...]
    options_filename: str
    dependencies_filename: str
    default_options: Mapping[str, Any]
    valid_options: frozenset[str]
    user_label: str
    workflow_url_label: str
    ignored_for_staging: frozenset[str]
    reserved_labels: frozenset[str] = frozenset()
    """Labels only the gateway writes (a batch's); a tag may not take their names."""

    def kept_in_memory(self, name: str) -> bool:
        """Whether an attachment goes to Cromwell itself (workflow files, options, imports zip)
        rather than to storage (everything else, referenced from the inputs)."""
        return (
            name.endswith(".wdl")
            or name.endswith(self.options_filename)
            or name.endswith(self.dependencies_filename)
            or name in self.ignored_for_staging
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkflowFiles:
    """What Cromwell runs: `workflowSource`, `workflowUrl` and `workflowDependencies`. Made
    once per request: the runs of a batch share one copy."""

    source: str | None
    url: str | None
    dependencies: bytes | None


def workflow_files(
    submission: WesSubmission, rules: SubmissionRules, *, engine_version: str | None
) -> WorkflowFiles:
    """The workflow of `submission`, once its type and engine are checked (InvalidRequest)."""
    _check_workflow_type(submission, rules, engine_version)
    source, url, dependencies = _workflow(submission, rules)
    return WorkflowFiles(source=source, url=url, dependencies=dependencies)


def cromwell_submission(
    submission: WesSubmission,
    rules: SubmissionRules,
    *,
    user_id: str | None,
    extra_labels: Mapping[str, str],
    translate_inputs: Callable[[Any], Any],
    requested_id: str | None,
    engine_version: str | None,
    files: WorkflowFiles | None = None,
) -> CromwellSubmission:
    """The Cromwell submission for `submission`; InvalidRequest names the first broken rule.

    `files`, when given, are `workflow_files(submission, ...)` made earlier (a batch's)."""
    files = files or workflow_files(submission, rules, engine_version=engine_version)
    if reserved := sorted(set(submission.tags) & rules.reserved_labels):
        raise InvalidRequest(
            f"tags {', '.join(map(repr, reserved))} are reserved: the gateway writes them."
        )
    inputs = _with_staged_attachments(
        translate_inputs(dict(submission.workflow_params)), submission
    )
    labels = {**submission.tags, **extra_labels}
    if user_id is not None:
        labels[rules.user_label] = user_id
    labels[rules.workflow_url_label] = submission.workflow_url
    options = _options(submission, rules)
    options[REQUEST_OPTION] = request_option(
        workflow_params=submission.workflow_params,
        sent_inputs=inputs,
        workflow_type_version=submission.workflow_type_version,
        workflow_engine=submission.workflow_engine,
        workflow_engine_version=submission.workflow_engine_version,
    )
    return CromwellSubmission(
        workflow_source=files.source,
        workflow_url=files.url,
        dependencies=files.dependencies,
        source_name=submission.workflow_url,
        inputs=inputs,
        options=options,
        labels=checked_labels(labels),
        requested_id=requested_id,
    )


def _check_workflow_type(
    submission: WesSubmission, rules: SubmissionRules, engine_version: str | None
) -> None:
    if submission.workflow_type.strip().upper() != WORKFLOW_TYPE:
        raise InvalidRequest(
            f"workflow_type {submission.workflow_type!r} is not supported; this service runs "
            f"{WORKFLOW_TYPE} (versions {', '.join(rules.supported_versions)})."
        )
    if submission.workflow_type_version not in rules.supported_versions:
        raise InvalidRequest(
            f"workflow_type_version {submission.workflow_type_version!r} is not supported; "
            f"use one of {', '.join(rules.supported_versions)}."
        )
    engine = submission.workflow_engine
    if submission.workflow_engine_version is not None and engine is None:
        raise InvalidRequest("workflow_engine is required when workflow_engine_version is given.")
    if engine is not None and engine.strip().lower() != WORKFLOW_ENGINE:
        raise InvalidRequest(f"workflow_engine {engine!r} is not supported; use 'cromwell'.")
    version = submission.workflow_engine_version
    if version is not None and engine_version is not None and version != engine_version:
        raise InvalidRequest(
            f"workflow_engine_version {version!r} is not supported; this Cromwell is "
            f"{engine_version}."
        )


def _workflow(
    submission: WesSubmission, rules: SubmissionRules
) -> tuple[str | None, str | None, bytes | None]:
    """(workflowSource, workflowUrl, workflowDependencies) per reference-service.md §2.1."""
    url = submission.workflow_url
    scheme = urlsplit(url).scheme.lower()
    attachments = submission.attachments
    if scheme in ("http", "https"):
        return None, url, None
    by_name = {attachment.name: attachment for attachment in attachments}
    if url not in by_name:
        if scheme:
            raise InvalidRequest(
                f"workflow_url {url!r} must be an http(s) URL or the name of a workflow_attachment."
            )
        if not attachments:
            raise InvalidRequest(
                f"workflow_url {url!r} is relative, but no workflow_attachment was sent."
            )
        raise InvalidRequest(
            f"workflow_url {url!r} names no workflow_attachment; attached: "
            f"{', '.join(sorted(by_name))}."
        )
    source = _text(by_name[url])
    if len(attachments) == 1:
        return source, None, None
    for attachment in attachments:
        if attachment.name.endswith(rules.dependencies_filename) and attachment.content:
            return source, None, attachment.content
    workflow_files = [a for a in attachments if a.name.endswith(".wdl") and a.content is not None]
    return source, None, _imports_zip(workflow_files)


def _text(attachment: Attachment) -> str:
    if attachment.content is None:
        raise InvalidRequest(f"workflow_attachment {attachment.name!r} is not a workflow file.")
    try:
        return attachment.content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(f"workflow_attachment {attachment.name!r} is not UTF-8 text.") from exc


def _imports_zip(workflow_files: Sequence[Attachment]) -> bytes:
    """A zip of the workflow files at their relative paths (names were checked on receipt)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for attachment in workflow_files:
            archive.writestr(attachment.name, attachment.content or b"")
    return buffer.getvalue()


def _options(submission: WesSubmission, rules: SubmissionRules) -> dict[str, Any]:
    """Defaults < the options.json attachment < allowed workflow_engine_parameters."""
    options = dict(rules.default_options)
    for attachment in submission.attachments:
        if attachment.name.endswith(rules.options_filename) and attachment.content is not None:
            options.update(_options_file(attachment))
            break
    unknown = sorted(set(submission.workflow_engine_parameters) - rules.valid_options)
    if unknown:
        raise InvalidRequest(
            f"workflow_engine_parameters {', '.join(unknown)} not allowed; allowed: "
            f"{', '.join(sorted(rules.valid_options))}."
        )
    for key, value in submission.workflow_engine_parameters.items():
        if value is not None:
            options[key] = _option_value(value)
    return options


def _options_file(attachment: Attachment) -> dict[str, Any]:
    try:
        options = client_json(attachment.content or b"")
    except ValueError as exc:
        raise InvalidRequest(f"{attachment.name} is not valid JSON: {exc}") from exc
    if not isinstance(options, dict):
        raise InvalidRequest(f"{attachment.name} must hold a JSON object of Cromwell options.")
    return options


def _option_value(text: str) -> Any:
    # The reference parses each value as JSON when it can ("false" -> false, "3" -> 3).
    try:
        return client_json(text)
    except ValueError:
        return text


def _with_staged_attachments(inputs: Any, submission: WesSubmission) -> Any:
    """Replace every string equal to a staged attachment's name by where it was staged."""
    staged = {a.name: a.location for a in submission.attachments if a.location is not None}
    if not staged:
        return inputs

    def replace(value: Any) -> Any:
        if isinstance(value, str):
            return staged.get(value, value)
        if isinstance(value, list):
            return [replace(item) for item in value]
        if isinstance(value, dict):
            return {key: replace(item) for key, item in value.items()}
        return value

    return replace(inputs)
