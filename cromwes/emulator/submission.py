"""Validate a `POST /api/workflows/v1` form the way Cromwell's `PartialWorkflowSources` does.

Cromwell checks only the form and the JSON of inputs, options and labels at submit time; the
WDL itself is judged later, after the 201 (cromwell-api.md §2.2). All problems are collected and
reported in one 400, `Error(s): ` followed by one message per line.
"""

import io
import json
import posixpath
import urllib.parse
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from cromwes.emulator.errors import BadRequest
from cromwes.emulator.labels import parse_labels
from cromwes.emulator.records import SubmittedFiles
from cromwes.emulator.workflow_options import parse_options

SINGLE_PARTS = frozenset(
    {
        "wdlSource",
        "workflowSource",
        "workflowUrl",
        "workflowRoot",
        "workflowType",
        "workflowTypeVersion",
        "workflowInputs",
        "workflowOptions",
        "labels",
        "wdlDependencies",
        "workflowDependencies",
        "workflowOnHold",
        "requestedWorkflowId",
    }
)
INPUTS_AUX_PREFIX = "workflowInputs_"
MAX_URL_LENGTH = 2000
MAX_SOURCE_NAME = 255
MAX_DEPENDENCIES_BYTES = 200 * 1024 * 1024
KNOWN_URL_SCHEMES = ("http", "https", "file", "ftp", "jar", "mailto", "jrt")
"""Schemes java.net.URL accepts; anything else is Cromwell's "unknown protocol"."""
WDL_SOURCE_WARNING = (
    "The 'wdlSource' parameter name has been deprecated in favor of 'workflowSource'. "
    "Support for 'wdlSource' will be removed from future versions of Cromwell. "
    "Please switch to using 'workflowSource' in future submissions."
)


@dataclass(frozen=True, slots=True)
class FormPart:
    """One multipart part as received."""

    name: str
    data: bytes
    filename: str | None = None

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class Submission:
    """A form that passed Cromwell's submit-time checks."""

    files: SubmittedFiles
    labels: dict[str, str]
    requested_id: str | None
    warnings: tuple[str, ...] = ()


def parse_submission(parts: Sequence[FormPart], loopback_hosts: Sequence[str]) -> Submission:
    """Check the form; raise `BadRequest` with every problem found."""
    problems: list[str] = []
    form: dict[str, FormPart] = {}
    for part in parts:
        if part.name in SINGLE_PARTS or part.name.startswith(INPUTS_AUX_PREFIX):
            form[part.name] = part
        else:
            message = f"Unexpected body part name: {part.name}"
            if message not in problems:
                problems.append(message)

    def text(name: str) -> str | None:
        return form[name].text if name in form else None

    workflow = _workflow_source(
        text("wdlSource"), text("workflowSource"), text("workflowUrl"), problems
    )
    inputs = _merged_inputs(form, problems)
    options = parse_options(text("workflowOptions"), problems)
    labels = parse_labels(text("labels") or "{}", problems)
    url = text("workflowUrl")
    if url is not None:
        problems += _url_problems(url, loopback_hosts)
    on_hold = _boolean(text("workflowOnHold"), problems)
    requested = _requested_id(text("requestedWorkflowId"), problems)
    workflow_type = text("workflowType")
    if workflow_type is not None and workflow_type.strip().upper() != "WDL":
        problems.append(
            f"Unsupported workflow type '{workflow_type}': Cromwell (since 80) and the emulator "
            "run WDL only"
        )
    dependencies = form.get("workflowDependencies") or form.get("wdlDependencies")
    imports, names = _dependencies(dependencies, problems) if dependencies else ({}, ())
    if "wdlDependencies" in form and "workflowDependencies" in form:
        problems.append("wdlDependencies and workflowDependencies can't both be supplied")
    if problems:
        raise BadRequest("Error(s): " + "\n".join(problems))
    files = SubmittedFiles(
        workflow=workflow,
        workflow_url=url,
        workflow_name=_source_name(form.get("workflowSource") or form.get("wdlSource")),
        inputs=inputs,
        options=options,
        labels=text("labels") or "{}",
        workflow_type=workflow_type,
        workflow_type_version=text("workflowTypeVersion"),
        imports=imports,
        dependency_names=names,
        on_hold=bool(on_hold),
    )
    warnings = (WDL_SOURCE_WARNING,) if "wdlSource" in form else ()
    return Submission(files=files, labels=labels, requested_id=requested, warnings=warnings)


def _workflow_source(
    wdl_source: str | None, workflow_source: str | None, url: str | None, problems: list[str]
) -> str | None:
    given = [
        name
        for name, value in (
            ("wdlSource", wdl_source),
            ("workflowSource", workflow_source),
            ("workflowUrl", url),
        )
        if value is not None
    ]
    if not given:
        problems.append("workflowSource or workflowUrl needs to be supplied")
    elif len(given) == 3:
        problems.append("wdlSource, workflowSource and workflowUrl all 3 can't be supplied")
    elif len(given) == 2:
        problems.append(f"{given[0]} and {given[1]} can't both be supplied")
    return workflow_source if workflow_source is not None else wdl_source


def _source_name(part: FormPart | None) -> str | None:
    """The file name the client gave the workflow source, as errors about it name it."""
    if part is None or not part.filename:
        return None
    # aiohttp's client percent-encodes the name (`lib%2Fmain.wdl`); curl sends it as typed.
    return urllib.parse.unquote(part.filename).replace("\n", " ")[:MAX_SOURCE_NAME]


def _merged_inputs(form: Mapping[str, FormPart], problems: list[str]) -> str:
    merged: dict[str, Any] = {}
    documents: list[tuple[int, str]] = []
    if "workflowInputs" in form:
        documents.append((1, form["workflowInputs"].text))
    for name, part in form.items():
        if name.startswith(INPUTS_AUX_PREFIX):
            suffix = name[len(INPUTS_AUX_PREFIX) :]
            if not suffix.isdigit():
                problems.append(f'For input string: "{suffix}"')
                continue
            documents.append((int(suffix), part.text))
    for _, document in sorted(documents, key=lambda item: item[0]):
        parsed = _json_or_yaml(document, problems)
        if isinstance(parsed, list):
            if len(parsed) != 1:
                problems.append(
                    "To submit more than one workflow at a time, use the batch endpoint."
                )
                continue
            parsed = parsed[0]
        if parsed is None:
            continue
        if not isinstance(parsed, dict):
            problems.append(
                "Submitted inputs couldn't be processed, please check for syntactical errors"
            )
            continue
        merged.update(parsed)
    return json.dumps(merged, separators=(",", ":"))


def _json_or_yaml(text: str, problems: list[str]) -> Any:
    # Cromwell parses inputs with a YAML parser, which reads JSON as well.
    if not text.strip():
        return {}
    try:
        return json.loads(text)
    except ValueError:
        pass
    except RecursionError:
        # Nested past what Python's parsers can follow: YAML's would fail the same way.
        problems.append("Input file is not valid yaml nor json: it nests too deeply")
        return None
    try:
        return yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError) as exn:
        problems.append(f"Input file is not valid yaml nor json: {exn}")
        return None


def _url_problems(url: str, loopback_hosts: Sequence[str]) -> list[str]:
    if len(url) > MAX_URL_LENGTH:
        return [
            f"Invalid workflow url: url has length {len(url)}, longer than the maximum allowed "
            f"{MAX_URL_LENGTH} characters"
        ]
    parts = urllib.parse.urlsplit(url)
    prefix = "Error while validating workflow url: "
    if not parts.scheme:
        return [f"{prefix}no protocol: {url}"]
    if parts.scheme.lower() not in KNOWN_URL_SCHEMES:
        return [f"{prefix}unknown protocol: {parts.scheme}"]
    # The emulator never reaches outside this machine and reads no host file a submission names:
    # unlike Cromwell it fetches http(s) on the loopback interface only (README, "Differences on
    # purpose", and "Security").
    if parts.scheme in ("http", "https") and (parts.hostname or "") in loopback_hosts:
        return []
    return [f"{prefix}the emulator only fetches loopback http(s):// URLs: {url}"]


def _boolean(text: str | None, problems: list[str]) -> bool | None:
    if text is None:
        return None
    if text.strip().lower() in ("true", "false"):
        return text.strip().lower() == "true"
    problems.append(f'For input string: "{text}"')
    return None


def _requested_id(text: str | None, problems: list[str]) -> str | None:
    """The id is sent as a JSON string, quotes included; Cromwell strips every quote."""
    if text is None:
        return None
    bare = text.replace('"', "").strip()
    try:
        if len(bare) == 36:
            return str(uuid.UUID(bare))
    except ValueError:
        pass
    problems.append(f"Invalid UUID string: {bare}")
    return None


def _dependencies(part: FormPart, problems: list[str]) -> tuple[dict[str, str], tuple[str, ...]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(part.data))
        members = archive.infolist()
        if sum(m.file_size for m in members) > MAX_DEPENDENCIES_BYTES:
            problems.append("workflowDependencies unpacks to more than 200 MiB")
            return {}, ()
        imports: dict[str, str] = {}
        for member in members:
            name = posixpath.normpath(member.filename.lstrip("/"))
            if member.is_dir() or name.startswith(".."):
                continue
            try:
                imports[name] = archive.read(member).decode("utf-8")
            except UnicodeDecodeError:
                continue  # not a text file: listed, but never an import
        return imports, tuple(m.filename for m in members)
    except zipfile.BadZipFile as exn:
        problems.append(f"workflowDependencies is not a valid zip archive: {exn}")
        return {}, ()
