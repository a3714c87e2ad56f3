"""The JSONPath dialect of `GET /runs/{id}/file?path=$...`: names, indices and wildcards only.

The reference service accepted jsonpath-ng's extended grammar, whose filters run Python regular
expressions (`[?(@ =~ "(a+)+$")]`): one request could backtrack for seconds on the event loop
and stall every other client. A file is named by where it sits in the RunLog, so this dialect
keeps exactly that: `$`, `.name`, `['name']`, `[0]`, `[-1]`, `.*` and `[*]`. Such a path cannot
backtrack and is evaluated in one pass over the nodes it visits, bounded by the RunLog's size
and the expression's length; everything else (filters, `..`, slices, unions, functions) is a
400 naming what is accepted.
"""

import warnings
from typing import Any

from jsonpath_ng.exceptions import JSONPathError
from jsonpath_ng.jsonpath import Child, Fields, Index, JSONPath, Root, Wildcard
from jsonpath_ng.parser import parse

from cromwes.errors import InvalidRequest

MAX_LENGTH = 1024
"""Longer than any path into a RunLog a client would write; parsing stays cheap."""
DIALECT = "names, indices and wildcards, e.g. $.outputs['wf.out'] or $.task_logs[0].stdout"
_ALLOWED = (Root, Child, Fields, Index, Wildcard)


def jsonpath_values(expression: str, document: Any) -> list[Any]:
    """The values `expression` selects in `document`; InvalidRequest outside the dialect."""
    if len(expression) > MAX_LENGTH:
        raise InvalidRequest(f"path is longer than {MAX_LENGTH} characters.")
    try:
        # jsonpath-ng warns about some syntax it parses (`|`): the dialect refuses it below.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            path = parse(expression)
    except (JSONPathError, ValueError, TypeError) as exc:
        raise InvalidRequest(
            f"path {expression!r} is not a JSONPath this service accepts ({DIALECT}): {exc}"
        ) from exc
    if not _within_dialect(path):
        raise InvalidRequest(f"path {expression!r} is outside the accepted JSONPath: {DIALECT}.")
    return [match.value for match in path.find(document)]


def _within_dialect(path: JSONPath) -> bool:
    if isinstance(path, Child):
        return _within_dialect(path.left) and _within_dialect(path.right)
    return type(path) in _ALLOWED
