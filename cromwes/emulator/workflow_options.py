"""Workflow options as Cromwell's code accepts them (`WorkflowOptions.fromJsonObject`), which is
looser than its docs: any key whose value is a string, boolean or number."""

import json
from collections.abc import Mapping
from typing import Any

from cromwes.jsontext import compact_json


def pretty_options(options: Mapping[str, Any]) -> str:
    """Options as Cromwell echoes them in `submittedFiles.options` (spray's pretty printer)."""
    return "{\n\n}" if not options else json.dumps(options, indent=2)


def parse_options(text: str | None, problems: list[str]) -> str:
    """Cromwell's `WorkflowOptions.fromJsonObject`: a string, boolean or number value is fine
    whatever the key; `default_runtime_attributes` may be an object; an encrypted value is an
    object with `iv` and `ciphertext`; every other value is refused."""
    if text is None or not text.strip():
        return pretty_options({})
    try:
        options = json.loads(text)
    except (ValueError, RecursionError) as exn:
        problems.append(f"Invalid workflow options provided: {exn}")
        return text
    if not isinstance(options, dict):
        problems.append(
            f"Invalid workflow options provided: Expecting JSON object, got {compact_json(options)}"
        )
        return text
    unsupported = [
        f"Unsupported key/value pair in WorkflowOptions: {key} -> {compact_json(value)}"
        for key, value in options.items()
        if not _supported_option(key, value)
    ]
    if unsupported:
        problems.append("Invalid workflow options provided: " + "\n".join(unsupported))
    return pretty_options(options)


def _supported_option(key: str, value: Any) -> bool:
    if isinstance(value, str | bool | int | float):
        return True
    if isinstance(value, dict):
        return key == "default_runtime_attributes" or {"iv", "ciphertext"} <= set(value)
    return False
