"""Compare an emulator response with a recorded Cromwell body by structure, and against the
swagger: same keys at each level, same JSON types, list elements checked against the recorded
element shapes. Values are never compared: they come from different runs.

Objects whose keys are data rather than field names (`calls`, `inputs`, `labels`, ...) are
compared by their values' shapes only.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs installed; used at one call
import yaml

FREE_VALUES = frozenset({"inputs", "outputs"})
"""Maps from names to arbitrary WDL values."""
STRING_MAPS = frozenset({"labels", "runtimeAttributes", "imports", "backendLogs"})
"""Maps from names to strings."""
RECORD_LISTS = frozenset({"calls"})
"""Maps from call names to arrays of call elements."""


@dataclass(frozen=True)
class Allowances:
    """Keys allowed to differ from the recording, each with the reason (and, for an extra key,
    the recording in which real Cromwell emits it)."""

    extra: Mapping[str, str] = field(default_factory=dict)
    missing: Mapping[str, str] = field(default_factory=dict)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise TypeError(f"not a JSON value: {value!r}")


def shape_problems(
    emulated: Any, recorded: Any, allowances: Allowances = Allowances(), path: str = "$"
) -> list[str]:
    """Every structural difference, as readable lines (empty when the shapes agree)."""
    if json_type(emulated) != json_type(recorded):
        return [f"{path}: {json_type(emulated)} where Cromwell has {json_type(recorded)}"]
    if isinstance(recorded, dict):
        return _object_problems(emulated, recorded, allowances, path)
    if isinstance(recorded, list):
        return _list_problems(emulated, recorded, allowances, path)
    return []


def _object_problems(
    emulated: dict[str, Any], recorded: dict[str, Any], allowances: Allowances, path: str
) -> list[str]:
    problems: list[str] = []
    for key in recorded.keys() - emulated.keys() - allowances.missing.keys():
        problems.append(f"{path}.{key}: missing (Cromwell has it)")
    for key in emulated.keys() - recorded.keys() - allowances.extra.keys():
        problems.append(f"{path}.{key}: not in the recording")
    for key in emulated.keys() & recorded.keys():
        here = f"{path}.{key}"
        mine, theirs = emulated[key], recorded[key]
        if key in FREE_VALUES or key in STRING_MAPS or key in RECORD_LISTS:
            problems += _map_problems(key, mine, theirs, allowances, here)
        else:
            problems += shape_problems(mine, theirs, allowances, here)
    return problems


def _map_problems(key: str, mine: Any, theirs: Any, allowances: Allowances, path: str) -> list[str]:
    if not isinstance(mine, dict) or not isinstance(theirs, dict):
        return shape_problems(mine, theirs, allowances, path)
    if key in STRING_MAPS:
        return [f"{path}.{k}: not a string" for k, v in mine.items() if not isinstance(v, str)]
    if key in RECORD_LISTS:
        pool = list(_all_call_elements(theirs))
        problems: list[str] = []
        for name, elements in mine.items():
            if not isinstance(elements, list):
                problems.append(f"{path}.{name}: not an array")
                continue
            problems += _elements_problems(elements, pool, allowances, f"{path}.{name}")
        return problems
    return []


def _all_call_elements(calls: dict[str, Any]) -> Iterable[Any]:
    """Call elements at every nesting level: an emulated sub-workflow may nest deeper or
    shallower than the recorded one, so any recorded element is a fair candidate."""
    for elements in calls.values():
        for element in elements:
            yield element
            nested = element.get("subWorkflowMetadata") if isinstance(element, dict) else None
            if isinstance(nested, dict) and isinstance(nested.get("calls"), dict):
                yield from _all_call_elements(nested["calls"])


def _list_problems(
    emulated: list[Any], recorded: list[Any], allowances: Allowances, path: str
) -> list[str]:
    if not recorded:
        return []
    return _elements_problems(emulated, recorded, allowances, path)


def _elements_problems(
    emulated: Sequence[Any], pool: Sequence[Any], allowances: Allowances, path: str
) -> list[str]:
    """Each element must match one recorded element (one with the same `executionStatus` when
    the recording has such); report the closest candidate's differences otherwise."""
    problems: list[str] = []
    for index, element in enumerate(emulated):
        candidates = _candidates(element, pool)
        attempts = [shape_problems(element, c, allowances, f"{path}[{index}]") for c in candidates]
        best = min(attempts, key=len)
        problems += best
    return problems


def _candidates(element: Any, pool: Sequence[Any]) -> Sequence[Any]:
    if isinstance(element, dict) and "executionStatus" in element:
        same = [
            c
            for c in pool
            if isinstance(c, dict) and c.get("executionStatus") == element["executionStatus"]
        ]
        if same:
            return same
    return pool


def recorded_keys(document: Any) -> set[str]:
    """Every key name anywhere in a recorded body (to check a justification names a real one)."""
    found: set[str] = set()
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            found |= node.keys()
            stack += node.values()
        elif isinstance(node, list):
            stack += node
    return found


class Swagger:
    """Validates bodies against a definition of Cromwell's swagger 2.0 (cromwell-api.yaml)."""

    def __init__(self, path: Path, overrides: Mapping[str, Any] = {}) -> None:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.definitions: dict[str, Any] = {**document["definitions"], **overrides}

    def problems(self, definition: str, body: Any) -> list[str]:
        schema = {"$ref": f"#/definitions/{definition}", "definitions": self.definitions}
        validator = jsonschema.Draft4Validator(
            schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
        )
        return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]


def lines(problems: Iterable[str]) -> str:
    return "\n".join(problems)
