"""The input a handler declares (aiohttp-apigami's `@querystring_schema`), validated before the
handler runs: invalid input is a 400 ErrorResponse naming the field (`raise_invalid`).

A query string found valid is remembered with what it parsed to: clients poll the same URL
(`GET /runs?page_size=10`) over and over, and marshmallow's parse of it took a seventh of such
a request (`python -m bench.profile`). Parsing is a function of the query string as sent (still
percent-encoded) alone, so the remembered value is the one a new parse would give; an invalid
query string is never remembered, and is refused anew each time.
"""

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from aiohttp import web
from aiohttp_apigami.constants import APISPEC_PARSER, SCHEMAS_ATTR
from aiohttp_apigami.validation import ValidationSchema
from marshmallow import Schema, fields

from cromwes.cache import LruCache
from cromwes.errors import InvalidRequest

QUERY: web.RequestKey[Mapping[str, Any]] = web.RequestKey("querystring")
"""The validated query of a handler that declares one; read-only (it may be shared)."""
VALID_QUERY_BYTES = 1024 * 1024
ValidQueries = LruCache[tuple[object, str], Mapping[str, Any]]


def declared_inputs(handler: object) -> Sequence[ValidationSchema]:
    """The schemas a handler declares (empty for most)."""
    schemas: Sequence[ValidationSchema] = getattr(handler, SCHEMAS_ATTR, ())
    return schemas


async def validate(
    request: web.Request, schemas: Sequence[ValidationSchema], valid_queries: ValidQueries
) -> None:
    """Parse and check each declared input, storing a query under `QUERY` and any other input
    under its `put_into` name."""
    for declared in schemas:
        if declared.location == "querystring":
            # The raw text: the decoded one keeps `%26` but turns `%2526` into `%26` too, so two
            # queries that parse differently would share an entry.
            key = (declared.schema, request.rel_url.raw_query_string)
            query = valid_queries.get(key)
            if query is None:
                _refuse_repeats(request, declared.schema)
                query = _read_only(await _parsed(request, declared))
                valid_queries.put(key, query, size=len(key[1]) + 200, ttl=None)
            request[QUERY] = query
        elif declared.put_into:
            request[declared.put_into] = await _parsed(request, declared)


def _refuse_repeats(request: web.Request, schema: Schema) -> None:
    """A parameter that takes one value, given more than once: the parser would keep one and
    drop the others in silence."""
    for name, field in schema.fields.items():
        key = field.data_key or name
        if not isinstance(field, fields.List) and len(request.query.getall(key, ())) > 1:
            raise InvalidRequest(
                f"Invalid request: querystring.{key}: given more than once; it takes one value."
            )


async def _parsed(request: web.Request, declared: ValidationSchema) -> Any:
    return await request.app[APISPEC_PARSER].parse(
        declared.schema, request, location=declared.location, unknown=None
    )


def _read_only(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(
        {name: tuple(value) if isinstance(value, list) else value for name, value in data.items()}
    )
