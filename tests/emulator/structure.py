"""Compare an emulator response with a recorded Cromwell body by structure, and against the
swagger: same keys at each level, same JSON types, list elements checked against the recorded
element shapes, and `inputs`/`outputs` values against their declared WDL types. Values are
otherwise never compared: they come from different runs.

Places are JSON paths with the data in them generalised: `$.calls.*[].callCaching.hit` is that
key in every element of every call. An allowance names one such path (never a key name at any
depth) and must be needed: an allowance that no difference uses is itself a problem.

Objects whose keys are data rather than field names (`calls`, `inputs`, `labels`, ...) are
compared by their values' shapes only. A recorded empty list accepts only an empty list.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs installed; used at one call
import yaml

from tests.emulator.wdltypes import Io, WdlTypes, value_problems

CALLS, VALUES, STRINGS = "calls", "values", "strings"
DATA_MAPS = {
    "$.calls": CALLS,
    "$.inputs": VALUES,
    "$.outputs": VALUES,
    "$.labels": STRINGS,
    "$.submittedFiles.imports": STRINGS,
    "$.calls.*[].inputs": VALUES,
    "$.calls.*[].outputs": VALUES,
    "$.calls.*[].runtimeAttributes": STRINGS,
    "$.calls.*[].backendLogs": STRINGS,
    "$.calls.*[].backendLabels": STRINGS,
    "$.calls.*[].labels": STRINGS,
    "$.calls.*[].callCaching.hashes.input": STRINGS,
    "$.calls.*[].callCaching.hashes.output expression": STRINGS,
    "$.calls.*[].callCaching.hashes.runtime attribute": STRINGS,
    "$.results[].labels": STRINGS,
}
"""Objects keyed by data, by their place in a workflow document (a sub-workflow's document at
`subWorkflowMetadata` has the same places): call elements by call name, WDL values by input or
output name, strings by label, attribute, file or hash name."""
SUB_DOCUMENT = ".subWorkflowMetadata"


@dataclass(frozen=True)
class Allowances:
    """Differences from the recording allowed at a place, each with its reason (for an extra
    key, the recording in which real Cromwell emits it there)."""

    extra: Mapping[str, str] = field(default_factory=dict)
    missing: Mapping[str, str] = field(default_factory=dict)
    filled: Mapping[str, str] = field(default_factory=dict)
    """Arrays that may have elements where the recorded one is empty."""

    def __or__(self, other: "Allowances") -> "Allowances":
        return Allowances(
            {**self.extra, **other.extra},
            {**self.missing, **other.missing},
            {**self.filled, **other.filled},
        )

    def places(self) -> set[tuple[str, str]]:
        return {
            *(("extra", p) for p in self.extra),
            *(("missing", p) for p in self.missing),
            *(("filled", p) for p in self.filled),
        }


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


def place_in_document(place: str) -> str:
    """A place relative to the innermost (sub-)workflow document holding it."""
    cut = place.rfind(SUB_DOCUMENT)
    return place if cut < 0 else "$" + place[cut + len(SUB_DOCUMENT) :]


def shape_problems(
    emulated: Any,
    recorded: Any,
    allowances: Allowances = Allowances(),
    types: WdlTypes | None = None,
) -> list[str]:
    """Every structural difference, as readable lines (empty when the shapes agree), including
    allowances that were not needed."""
    comparison = _Comparison(allowances, types)
    result = comparison.compare(emulated, recorded, "$", "$", _Context(None, None))
    unused = allowances.places() - result.used
    return result.problems + [
        f"allowance {kind} {place!r} is not needed" for kind, place in sorted(unused)
    ]


@dataclass(frozen=True)
class _Context:
    document: str | None
    """`workflowName` of the (sub-)workflow document being compared."""
    call: str | None
    """The key in `calls` of the call element being compared."""


@dataclass
class _Result:
    problems: list[str] = field(default_factory=list)
    used: set[tuple[str, str]] = field(default_factory=set)

    def add(self, other: "_Result") -> None:
        self.problems += other.problems
        self.used |= other.used


class _Comparison:
    def __init__(self, allowances: Allowances, types: WdlTypes | None) -> None:
        self.allowances = allowances
        self.types = types

    def compare(self, mine: Any, theirs: Any, path: str, place: str, context: _Context) -> _Result:
        if json_type(mine) != json_type(theirs):
            return _Result([f"{path}: {json_type(mine)} where Cromwell has {json_type(theirs)}"])
        if isinstance(theirs, dict):
            kind = DATA_MAPS.get(place_in_document(place))
            if kind is not None:
                return self.data_map(kind, mine, theirs, path, place, context)
            return self.object(mine, theirs, path, place, context)
        if isinstance(theirs, list):
            return self.array(mine, theirs, path, place, context)
        return _Result()

    def object(
        self, mine: dict[str, Any], theirs: dict[str, Any], path: str, place: str, context: _Context
    ) -> _Result:
        result = _Result()
        if place.endswith(SUB_DOCUMENT) or place == "$":
            name = mine.get("workflowName")
            context = _Context(name if isinstance(name, str) else None, None)
        for key in sorted(theirs.keys() - mine.keys()):
            self.allowed(result, "missing", f"{place}.{key}", f"{path}.{key}: missing (Cromwell "
                         f"has it)")  # fmt: skip
        for key in sorted(mine.keys() - theirs.keys()):
            self.allowed(result, "extra", f"{place}.{key}", f"{path}.{key}: not in the recording")
        for key in mine.keys() & theirs.keys():
            result.add(
                self.compare(mine[key], theirs[key], f"{path}.{key}", f"{place}.{key}", context)
            )
        return result

    def allowed(self, result: _Result, kind: str, place: str, problem: str) -> None:
        if place in getattr(self.allowances, kind):
            result.used.add((kind, place))
        else:
            result.problems.append(f"{problem}  [{kind} at {place}]")

    def array(
        self, mine: list[Any], theirs: list[Any], path: str, place: str, context: _Context
    ) -> _Result:
        if not theirs:
            result = _Result()
            if mine:
                self.allowed(
                    result, "filled", f"{place}[]", f"{path}: {len(mine)} elements where "
                    "Cromwell has none",
                )  # fmt: skip
            return result
        return self.elements(mine, theirs, path, f"{place}[]", context)

    def elements(
        self, mine: Sequence[Any], pool: Sequence[Any], path: str, place: str, context: _Context
    ) -> _Result:
        """Each element must match one recorded element (one with the same `executionStatus`
        when the recording has such); the closest candidate's differences are reported."""
        result = _Result()
        for index, element in enumerate(mine):
            attempts = [
                self.compare(element, candidate, f"{path}[{index}]", place, context)
                for candidate in _candidates(element, pool)
            ]
            result.add(min(attempts, key=lambda attempt: len(attempt.problems)))
        return result

    def data_map(
        self,
        kind: str,
        mine: dict[str, Any],
        theirs: dict[str, Any],
        path: str,
        place: str,
        context: _Context,
    ) -> _Result:
        if kind == STRINGS:
            return _Result([f"{path}.{k}: not a string" for k, v in mine.items()
                            if not isinstance(v, str)])  # fmt: skip
        if kind == VALUES:
            return _Result(self.value_problems(mine, path, place, context))
        pool = list(_all_call_elements(theirs))
        result = _Result()
        if mine and not pool:
            self.allowed(result, "filled", place, f"{path}: calls where Cromwell has none")
            return result
        for name, elements in mine.items():
            if not isinstance(elements, list):
                result.problems.append(f"{path}.{name}: not an array")
                continue
            call_context = _Context(context.document, name)
            result.add(self.elements(elements, pool, f"{path}.{name}", f"{place}.*[]",
                                     call_context))  # fmt: skip
        return result

    def value_problems(
        self, values: dict[str, Any], path: str, place: str, context: _Context
    ) -> list[str]:
        if not values:
            return []
        if self.types is None:
            return [f"{path}: WDL values, but no WDL types to check them against"]
        which = place.rsplit(".", 1)[-1]
        in_call = place_in_document(place).startswith("$.calls")
        io: Io | None
        if in_call:
            io, owner = self.types.call(context.call or ""), f"call {context.call}"
        else:
            name = context.document or self.types.root
            io, owner = self.types.document(name), f"workflow {name}"
        if io is None:
            return [f"{path}: {owner} is not in the WDL"]
        declared = io.of(which)
        problems: list[str] = []
        for key, value in values.items():
            if key not in declared:
                problems.append(f"{path}.{key}: not one of the {which} {owner} declares "
                                f"({sorted(declared)})")  # fmt: skip
            else:
                problems += value_problems(value, declared[key], f"{path}.{key}")
        return problems


def _all_call_elements(calls: dict[str, Any]) -> Iterable[Any]:
    """Call elements at every nesting level: an emulated sub-workflow may nest deeper or
    shallower than the recorded one, so any recorded element is a fair candidate."""
    for elements in calls.values():
        for element in elements:
            yield element
            nested = element.get("subWorkflowMetadata") if isinstance(element, dict) else None
            if isinstance(nested, dict) and isinstance(nested.get("calls"), dict):
                yield from _all_call_elements(nested["calls"])


def _candidates(element: Any, pool: Sequence[Any]) -> Sequence[Any]:
    """The recorded elements in the same situation, when the recording has any: the same
    `executionStatus`, then the same call-cache outcome (a hit has no `jobId`, a miss does)."""
    for situation in (_status, _cache_hit):
        same = [c for c in pool if situation(c) == situation(element)]
        if same and situation(element) is not None:
            pool = same
    return pool


def _status(element: Any) -> Any:
    return element.get("executionStatus") if isinstance(element, dict) else None


def _cache_hit(element: Any) -> Any:
    caching = element.get("callCaching") if isinstance(element, dict) else None
    return caching.get("hit") if isinstance(caching, dict) else None


def recorded_places(document: Any) -> set[str]:
    """Every place of a key in a recorded body (to check that a justification names one)."""
    found: set[str] = set()

    def walk(node: Any, place: str) -> None:
        if isinstance(node, dict):
            data = place_in_document(place) in DATA_MAPS
            for key, value in node.items():
                step = f"{place}.*" if data else f"{place}.{key}"
                if not data:
                    found.add(step)
                walk(value, step)
        elif isinstance(node, list):
            for item in node:
                walk(item, f"{place}[]")

    walk(document, "$")
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
