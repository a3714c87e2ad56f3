"""Marshmallow schemas of the API edge, named and spelt as in the WES 1.1 specification.

Input schemas validate what clients send; output schemas describe what we answer in the
generated OpenAPI document. Extensions beyond WES are marked in their descriptions.
"""

from datetime import UTC, datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from cromwes.jsontext import MAX_DEPTH, client_json
from cromwes.models import State

INT64 = validate.Range(min=-(2**63), max=2**63 - 1)
WORKFLOW_NAME = validate.Regexp(
    r"^[a-zA-Z][a-zA-Z0-9_]*$",
    error="is not a workflow name (a letter, then letters, digits or _), as Cromwell requires.",
)
"""Cromwell refuses any other name in a query (400), which would reach the client as a 502."""


class JsonObject(fields.Field):
    """A JSON object, given either as an object (JSON bodies) or as JSON text (form fields)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str | bytes):
            if not value.strip():
                return {}
            try:
                value = client_json(value)
            except ValueError as exc:
                raise ValidationError(f"is not valid JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise ValidationError("must be a JSON object.")
        return value


class StringMap(JsonObject):
    """A JSON object of strings; numbers and booleans are taken as their text (as the reference
    service does), nested objects are refused, and null is kept only where allowed."""

    def __init__(self, *, allow_null_values: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.allow_null_values = allow_null_values

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        mapping = super()._deserialize(value, attr, data, **kwargs)
        result: dict[str, str | None] = {}
        for key, item in mapping.items():
            if item is None and self.allow_null_values:
                result[key] = None
            elif isinstance(item, bool):
                result[key] = "true" if item else "false"
            elif isinstance(item, str | int | float):
                result[key] = str(item)
            else:
                raise ValidationError(f"value of {key!r} must be a string.")
        return result


class Instant(fields.AwareDateTime):
    """An RFC 3339 time with its offset, taken as the UTC instant it names."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment: datetime = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError as exc:
            # 0001-01-01T00:00:00+14:00 parses, but is before the first instant Python holds.
            raise ValidationError("is outside the times this service can compare.") from exc


class RunWorkflowForm(Schema):
    """The body of POST /runs: multipart form fields, urlencoded fields or a JSON RunRequest."""

    class Meta:
        # The edge (api.forms) names unknown fields first; this keeps the two from drifting.
        unknown = RAISE

    workflow_url = fields.String(required=True, validate=validate.Length(min=1))
    workflow_type = fields.String(required=True, validate=validate.Length(min=1))
    workflow_type_version = fields.String(required=True, validate=validate.Length(min=1))
    workflow_params: fields.Field = JsonObject(load_default=dict)
    tags = StringMap(load_default=dict)
    workflow_engine_parameters = StringMap(load_default=dict, allow_null_values=True)
    workflow_engine = fields.String(load_default=None)
    workflow_engine_version = fields.String(load_default=None)


RUN_REQUEST_FIELDS = frozenset(RunWorkflowForm().fields)
"""The fields of a RunRequest; a POST /runs body may carry these and attachments, nothing else."""


class PageQuery(Schema):
    page_size = fields.Integer(
        validate=INT64,
        metadata={"description": "At most `runs.max_page_size` (1000 by default); must be ≥ 1."},
    )
    page_token = fields.String()


class RunFilterQuery(Schema):
    """Which runs: of GET /runs and of the all-runs event stream (extensions)."""

    state = fields.List(
        fields.String(validate=validate.OneOf([s.value for s in State])),
        metadata={"description": "Extension: runs in any of these states (repeatable)."},
    )
    tag = fields.List(
        fields.String(validate=validate.Regexp(r"^[^:]+:.*$")),
        metadata={"description": "Extension: `key:value`; runs with all these tags (repeatable)."},
    )
    name = fields.List(
        fields.String(validate=WORKFLOW_NAME),
        metadata={"description": "Extension: runs of a workflow with this name (repeatable, OR)."},
    )


class ListRunsQuery(PageQuery, RunFilterQuery):
    """GET /runs paging plus the filters (extensions; each is pushed down to Cromwell's query)."""

    submitted_after = Instant(
        metadata={"description": "Extension: runs submitted at or after this RFC 3339 time."}
    )
    submitted_before = Instant(
        metadata={"description": "Extension: runs submitted before this RFC 3339 time."}
    )


class ErrorResponse(Schema):
    msg = fields.String()
    status_code = fields.Integer()
    error_code = fields.Integer(metadata={"description": "Same as status_code (reference parity)."})


class RunIdSchema(Schema):
    run_id = fields.String()


class RunStatusSchema(Schema):
    run_id = fields.String(required=True)
    state = fields.String(validate=validate.OneOf([s.value for s in State]))


class RunSummarySchema(RunStatusSchema):
    start_time = fields.String()
    end_time = fields.String()
    tags = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    name = fields.String(metadata={"description": "Extension: the workflow's name."})
    submitted_time = fields.String(
        metadata={"description": "Extension: when Cromwell accepted the run (RFC 3339)."}
    )


class RunListResponseSchema(Schema):
    runs = fields.List(fields.Nested(RunSummarySchema))
    next_page_token = fields.String()


class LogSchema(Schema):
    name = fields.String()
    cmd = fields.List(fields.String())
    start_time = fields.String()
    end_time = fields.String()
    stdout = fields.String()
    stderr = fields.String()
    exit_code = fields.Integer()
    system_logs = fields.List(fields.String())


class TaskLogSchema(LogSchema):
    id = fields.String(required=True)
    tes_uri = fields.String()


class TaskListResponseSchema(Schema):
    task_logs = fields.List(fields.Nested(TaskLogSchema))
    next_page_token = fields.String()


class RunRequestSchema(Schema):
    workflow_params = fields.Dict()
    workflow_type = fields.String(required=True)
    workflow_type_version = fields.String(required=True)
    tags = fields.Dict(keys=fields.String(), values=fields.String())
    workflow_engine_parameters = fields.Dict(keys=fields.String(), values=fields.String())
    workflow_engine = fields.String()
    workflow_engine_version = fields.String()
    workflow_url = fields.String(required=True)


class RunLogSchema(Schema):
    run_id = fields.String()
    request = fields.Nested(
        RunRequestSchema,
        metadata={
            "description": "Absent for a run submitted moments ago that Cromwell does not show "
            "yet; `run_log.system_logs` then says so."
        },
    )
    state = fields.String(validate=validate.OneOf([s.value for s in State]))
    run_log = fields.Nested(LogSchema)
    task_logs_url = fields.String()
    task_logs = fields.List(fields.Nested(TaskLogSchema), allow_none=True)
    outputs = fields.Dict()


class ServiceInfoSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    type = fields.Dict(required=True)
    organization = fields.Dict(required=True)
    version = fields.String(required=True)
    workflow_type_versions = fields.Dict(required=True)
    supported_wes_versions = fields.List(fields.String(), required=True)
    supported_filesystem_protocols = fields.List(fields.String(), required=True)
    workflow_engine_versions = fields.Dict(required=True)
    default_workflow_engine_parameters = fields.List(fields.Dict(), required=True)
    system_state_counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    auth_instructions_url = fields.String(required=True)
    tags = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


_FORM_PROPERTIES = {
    "workflow_params": {"type": "string", "description": "JSON object of inputs."},
    "workflow_type": {"type": "string", "example": "WDL"},
    "workflow_type_version": {"type": "string", "example": "1.0"},
    "tags": {"type": "string", "description": "JSON object of string tags."},
    "workflow_engine": {"type": "string", "example": "cromwell"},
    "workflow_engine_version": {"type": "string"},
    "workflow_engine_parameters": {"type": "string", "description": "JSON object of options."},
    "workflow_url": {"type": "string"},
    "workflow_attachment": {"type": "array", "items": {"type": "string", "format": "binary"}},
}
RUN_WORKFLOW_BODY = {
    "content": {
        "multipart/form-data": {"schema": {"type": "object", "properties": _FORM_PROPERTIES}},
        "application/x-www-form-urlencoded": {
            "schema": {"type": "object", "properties": _FORM_PROPERTIES}
        },
        "application/json": {"schema": {"type": "object"}},
    }
}


class JsonObjects(fields.Field):
    """A non-empty JSON array of objects, given as an array (JSON bodies) or as JSON text."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str | bytes):
            try:
                # The array wraps each run's inputs, which may nest as deep as a run's own.
                value = client_json(value, max_depth=MAX_DEPTH + 1)
            except ValueError as exc:
                raise ValidationError(f"is not valid JSON: {exc}") from exc
        if not isinstance(value, list) or not value:
            raise ValidationError("must be a non-empty JSON array of input objects, one per run.")
        for index, element in enumerate(value):
            if not isinstance(element, dict):
                raise ValidationError(f"element {index} must be a JSON object of inputs.")
        return value


class BatchForm(RunWorkflowForm):
    """The body of POST /batches: the fields of POST /runs, with an array of workflow_params."""

    workflow_params = JsonObjects(required=True)


class ElementFailureSchema(Schema):
    index = fields.Integer(required=True)
    msg = fields.String()
    status_code = fields.Integer()


class BatchIdSchema(Schema):
    """Extension: the answer of POST /batches and POST /batches/{batch_id}/cancel."""

    batch_id = fields.String(required=True)
    run_ids = fields.List(
        fields.String(allow_none=True),
        required=True,
        metadata={
            "description": "Submitted: one per element of workflow_params, in order, null for "
            "an element that was not submitted. Cancelled: the runs whose cancel was asked."
        },
    )
    failures = fields.List(
        fields.Nested(ElementFailureSchema),
        metadata={
            "description": "Present, with status 207, when some elements could not be "
            "submitted or cancelled: each one's index and why, as an ErrorResponse."
        },
    )


class BatchStatusSchema(Schema):
    """Extension: the answer of GET /batches/{batch_id}."""

    batch_id = fields.String(required=True)
    state = fields.String(
        validate=validate.OneOf([s.value for s in State]),
        metadata={"description": "The batch's overall state (see the README, *Batches*)."},
    )
    run_ids = fields.List(fields.String(), required=True)
    state_counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
