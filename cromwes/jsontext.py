"""JSON text as Cromwell writes it and reads it in form fields, and JSON read from clients."""

import json
from typing import Any

MAX_DEPTH = 64
"""How deep a client's JSON may nest. Workflow inputs nest a handful of levels; past a few
hundred, Python's parser and every recursive walk after it (orjson stops at 255) would fail
with a RecursionError, a 500, instead of telling the client."""


class JsonTooDeep(ValueError):
    """JSON nested deeper than `MAX_DEPTH`; a ValueError, like any other invalid JSON."""


def compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def client_json(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """`text` parsed; ValueError if it is not JSON or nests deeper than `max_depth` levels."""
    try:
        value = json.loads(text)
    except RecursionError as exc:
        raise JsonTooDeep(f"it nests deeper than {max_depth} levels") from exc
    if _deeper_than(value, max_depth):
        raise JsonTooDeep(f"it nests deeper than {max_depth} levels")
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    # A loop, not recursion: the point is to survive what recursion cannot.
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False
