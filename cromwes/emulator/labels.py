"""Workflow labels as Cromwell checks them (`Label.validateLabel`): a JSON object of strings,
keys of 1-255 characters, values of at most 255; the messages are Cromwell's."""

import json
from typing import Any

from cromwes.emulator.errors import BadRequest
from cromwes.jsontext import compact_json

MAX_LABEL_LENGTH = 255


def validate_labels(labels: Any) -> dict[str, str]:
    """Labels from a JSON value (also the `PATCH .../labels` body); raise `BadRequest`."""
    problems: list[str] = []
    result = label_values(labels, problems)
    if problems:
        raise BadRequest("\n".join(problems))
    return result


def parse_labels(text: str, problems: list[str]) -> dict[str, str]:
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError) as exn:
        problems.append(f"Workflow contains invalid labels JSON: {exn}")
        return {}
    return label_values(parsed, problems)


def label_values(parsed: Any, problems: list[str]) -> dict[str, str]:
    """Cromwell's `Label.validateLabel` and its messages (labels are 1-255 character keys and
    string values of at most 255 characters)."""
    if not isinstance(parsed, dict):
        problems.append(
            'Invalid workflow labels JSON. Expected a JsObject of "labelKey": "labelValue" values.'
        )
        return {}
    labels: dict[str, str] = {}
    for key, value in parsed.items():
        if not isinstance(value, str):
            problems.append(
                f"Invalid label {key}: {compact_json(value)} : Labels must be strings. "
                "A Label key must be non-empty."
            )
            continue
        if not key:
            problems.append("Invalid label: `` can't be empty")
        for text in (key, value):
            if len(text) > MAX_LABEL_LENGTH:
                problems.append(
                    f"Invalid label: `{text}` is {len(text)} characters. "
                    f"The maximum is {MAX_LABEL_LENGTH}."
                )
        labels[key] = value
    return labels
