"""JSON bodies of the `/_emulator` control API, refused when they nest deeper than a test needs.

A test's values (a controlled workflow's `outputs`) end up in metadata documents, in the
store's rows and in every walk over them, and a synthetic request's WDL types are parsed and
made up recursively; Python's parser itself gives up past about 1,000 levels with a
RecursionError. A body nested deeper than `MAX_DEPTH`, or a WDL type deeper than
`MAX_TYPE_DEPTH`, is a 400 naming its field, before anything is parsed or changed; a
controlled workflow whose WDL declares such a type is unusable (`too_deep_types`).
"""

import json
import re
from typing import Any

from cromwes.emulator.errors import ControlError
from cromwes.emulator.shapes import WorkflowShape

MAX_DEPTH = 64
"""Arrays and objects a control body may open inside each other, the body itself included:
the gateway's own limit on a client's JSON (`cromwes/jsontext.py`)."""
MAX_TYPE_DEPTH = 8
"""Type parameters a WDL type of a control request may nest (`Array[File]` is one): a made-up
Array has two elements, so each level doubles the values a workflow shows."""
TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}:,]')
"""What counts when measuring depth: whole strings (a bracket inside one is text), brackets,
and the separators that name a member."""


def control_json(text: str) -> Any:
    """`text` parsed; ControlError if it is not JSON or nests deeper than `MAX_DEPTH`."""
    field = too_deep_field(text, MAX_DEPTH)
    if field is not None:
        raise ControlError(f"{field}: nests deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exn:
        raise ControlError(f"the body is not JSON: {exn}") from exn


def too_deep_field(text: str, limit: int) -> str | None:
    """The top-level member (`outputs`, or `[2]` of an array) inside which the JSON `text` opens
    more than `limit` arrays and objects (`the body` when the body itself does); None if it
    never does. Measured on the text, in a loop: parsing first is what fails."""
    depth = 0
    top_is_array = False
    field = "the body"
    key = ""
    position = 0
    for match in TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth == 1:
                top_is_array = token == "["
            elif depth == 2:
                field = f"[{position}]" if top_is_array else key
            if depth > limit:
                return field
        elif token in "]}":
            depth -= 1
        elif depth == 1 and token == ",":
            position += 1
        elif depth == 1 and token.startswith('"'):
            key = _member_name(token)
    return None


def type_too_deep(text: str) -> bool:
    """Whether a WDL type's text nests its parameters deeper than `MAX_TYPE_DEPTH`."""
    depth = deepest = 0
    for character in text:
        if character in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif character in "]}":
            depth -= 1
    return deepest > MAX_TYPE_DEPTH


def too_deep_types(shape: WorkflowShape) -> list[str]:
    """The declarations of `shape` (its calls and sub-workflows included) whose types nest
    deeper than `MAX_TYPE_DEPTH`, as `name: type`."""
    found = [
        f"{name}: {text}"
        for types in (shape.inputs, shape.outputs)
        for name, text in types.items()
        if type_too_deep(text)
    ]
    for call in shape.calls:
        found += [
            f"{call.alias}.{name}: {text}"
            for types in (call.inputs, call.outputs)
            for name, text in types.items()
            if type_too_deep(text)
        ]
        if call.subworkflow is not None:
            found += too_deep_types(call.subworkflow)
    return found


def _member_name(token: str) -> str:
    try:
        return str(json.loads(token))
    except ValueError:
        return token
