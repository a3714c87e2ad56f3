"""Render WES dataclasses as JSON responses, with ETags for pollers."""

import dataclasses
import hashlib
from collections.abc import Mapping
from enum import Enum
from types import MappingProxyType
from typing import Any

import orjson
from aiohttp import web

from cromwes.models import WES_MODELS, RunLog

JSON = "application/json"
NULLABLE = frozenset({(RunLog, "task_logs")})
"""WES 1.1 declares RunLog.task_logs nullable; every other absent field is left out, because the
schema types them as plain strings or numbers and `null` would not validate."""


_PLAIN = frozenset({str, int, float, bool, type(None), dict})
_FIELDS: Mapping[type, tuple[tuple[str, bool], ...]] = MappingProxyType(
    {
        model: tuple((f.name, (model, f.name) in NULLABLE) for f in dataclasses.fields(model))
        for model in WES_MODELS
    }
)
"""Each WES model's fields, and whether each may be null: looked up once per class."""


def wes_body(value: Any) -> Any:
    """Plain JSON data for a WES dataclass (recursively), leaving out unset fields.

    On the hot path of every answer, so types are dispatched by a dict lookup per value rather
    than inspected.
    """
    kind = type(value)
    if kind in _PLAIN:
        return value
    fields = _FIELDS.get(kind)
    if fields is not None:
        body = {}
        for name, nullable in fields:
            item = getattr(value, name)
            if item is not None or nullable:
                body[name] = wes_body(item)
        return body
    if isinstance(value, tuple | list):
        return [wes_body(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return dict(value)
    return value


def json_bytes(value: Any) -> bytes:
    return orjson.dumps(wes_body(value))


def json_response(
    value: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(body=json_bytes(value), status=status, content_type=JSON, headers=headers)


def etag_response(request: web.Request, value: Any) -> web.Response:
    """200 with an ETag, or 304 when the client already holds this exact body."""
    body = json_bytes(value)
    etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
    matches = request.headers.get("If-None-Match", "")
    if etag in (tag.strip() for tag in matches.split(",")) or matches.strip() == "*":
        return web.Response(status=304, headers={"ETag": etag})
    return web.Response(body=body, content_type=JSON, headers={"ETag": etag})
