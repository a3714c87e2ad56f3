"""Record a WES RunRequest in what Cromwell keeps, and read it back for the RunLog.

Cromwell keeps what was submitted (`submittedFiles`: inputs, options and labels as JSON strings)
and the current labels. What it cannot keep verbatim is stored under one private workflow option,
`cromwes_request`, a JSON *string* (Cromwell accepts any option whose value is a string and only
warns about keys it does not know: WorkflowOptions.fromJsonObject). It holds:
- `workflow_params`, when the inputs sent to Cromwell differ from the client's (path
  translation or attachment staging rewrote them), so the RunLog shows what the client sent;
- `workflow_type_version`, `workflow_engine`, `workflow_engine_version` as the client sent them.
"""

import json
from collections.abc import Mapping
from typing import Any

from cromwes.cromwell.types import Metadata
from cromwes.jsontext import compact_json
from cromwes.models import RunRequest

REQUEST_OPTION = "cromwes_request"
CROMWELL_ID_LABEL = "cromwell-workflow-id"


def request_option(
    *,
    workflow_params: Mapping[str, Any],
    sent_inputs: Mapping[str, Any],
    workflow_type_version: str,
    workflow_engine: str | None,
    workflow_engine_version: str | None,
) -> str:
    """The value of the `cromwes_request` option for one submission."""
    record: dict[str, Any] = {"workflow_type_version": workflow_type_version}
    if workflow_params != sent_inputs:
        record["workflow_params"] = workflow_params
    if workflow_engine is not None:
        record["workflow_engine"] = workflow_engine
    if workflow_engine_version is not None:
        record["workflow_engine_version"] = workflow_engine_version
    return json.dumps(record, separators=(",", ":"), sort_keys=True)


def run_request(
    metadata: Metadata, *, workflow_url_label: str, hidden_labels: frozenset[str]
) -> RunRequest:
    """The RunRequest of a run, rebuilt from its metadata."""
    submitted = metadata.get("submittedFiles") or {}
    options = _json_object(submitted.get("options"))
    record = _json_object(options.pop(REQUEST_OPTION, None))
    labels = metadata.get("labels") or _json_object(submitted.get("labels"))
    workflow_params = record.get("workflow_params")
    if not isinstance(workflow_params, dict):
        workflow_params = _json_object(submitted.get("inputs")) or dict(
            metadata.get("inputs") or {}
        )
    engine_parameters = {key: _option_text(value) for key, value in options.items()}
    if root := metadata.get("workflowRoot"):
        engine_parameters["workflow_root"] = root
    return RunRequest(
        workflow_params=workflow_params,
        workflow_type=submitted.get("workflowType")
        or metadata.get("actualWorkflowLanguage", "WDL"),
        workflow_type_version=str(
            record.get("workflow_type_version")
            or submitted.get("workflowTypeVersion")
            or metadata.get("actualWorkflowLanguageVersion", "")
        ),
        workflow_url=str(labels.get(workflow_url_label) or submitted.get("workflowUrl") or ""),
        tags=visible_tags(labels, hidden_labels),
        workflow_engine_parameters=engine_parameters,
        workflow_engine=_optional_text(record.get("workflow_engine")),
        workflow_engine_version=_optional_text(record.get("workflow_engine_version")),
    )


def visible_tags(labels: Mapping[str, Any], hidden_labels: frozenset[str]) -> dict[str, str]:
    """A run's WES tags: its labels without Cromwell's and the gateway's own bookkeeping."""
    return {
        key: str(value)
        for key, value in labels.items()
        if key not in hidden_labels and key != CROMWELL_ID_LABEL
    }


def _option_text(value: Any) -> str:
    # WES declares workflow_engine_parameters as string -> string; Cromwell options are typed.
    if isinstance(value, str):
        return value
    return compact_json(value)


def _optional_text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _json_object(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
