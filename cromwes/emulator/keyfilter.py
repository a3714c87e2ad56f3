"""`includeKey` / `excludeKey` of the metadata route: prefixes of key names, applied at the
workflow level and inside each call element (cromwell-api.md §2.4)."""

from dataclasses import dataclass
from typing import Any

ALWAYS_KEPT = frozenset({"id", "calls"})
ALWAYS_KEPT_IN_CALLS = frozenset({"attempt", "shardIndex"})


@dataclass(frozen=True, slots=True)
class KeyFilter:
    """`includeKey` / `excludeKey`: prefixes of key names, applied at workflow and call level."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.include and not self.exclude

    def keeps(self, key: str) -> bool:
        if self.include and not any(key.startswith(p) for p in self.include):
            return False
        return not any(key.startswith(p) for p in self.exclude)


def filter_document(document: dict[str, Any], keys: KeyFilter) -> dict[str, Any]:
    """Apply `includeKey`/`excludeKey` at workflow level and inside each call element.

    `id` and `calls` always stay, and so do `attempt`/`shardIndex` of every element that keeps
    anything else; `excludeKey=calls` leaves `"calls": {}` (metadata-excludekey-calls.json). An
    element with nothing left disappears, as Cromwell filters the metadata rows themselves.
    """
    if keys.empty:
        return document
    result: dict[str, Any] = {}
    for key, value in document.items():
        if key == "calls":
            calls_excluded = any("calls".startswith(p) for p in keys.exclude)
            result[key] = {} if calls_excluded else _filter_calls(value, keys)
        elif key in ALWAYS_KEPT or keys.keeps(key):
            result[key] = value
    return result


def _filter_calls(calls: dict[str, list[dict[str, Any]]], keys: KeyFilter) -> dict[str, Any]:
    filtered: dict[str, list[dict[str, Any]]] = {}
    for fqn, elements in calls.items():
        kept = []
        for element in elements:
            fields = {}
            for key, value in element.items():
                if key == "subWorkflowMetadata":
                    # Expansion replaced `subWorkflowId`, so it follows that key's fate.
                    if keys.keeps("subWorkflowId"):
                        fields[key] = filter_document(value, keys)
                elif key in ALWAYS_KEPT_IN_CALLS or keys.keeps(key):
                    fields[key] = value
            if set(fields) - ALWAYS_KEPT_IN_CALLS:
                kept.append(fields)
        if kept:
            filtered[fqn] = kept
    return filtered
