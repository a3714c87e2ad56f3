"""PASSPORT: a bearer JWT as in OAUTH, plus scope `wes` and a per-route action on a resource.

As in DNAstack's service (reference-service.md §6.1), each protected WES route needs one
`workbench.runs.*` action on the resource `<audience><request path>`, for any configured audience:

    POST /runs                         workbench.runs.execute
    GET  /runs, /events                workbench.runs.list (/events: on the resource of /runs)
    GET  /runs/{id}, /status, /tasks   workbench.runs.get (and /runs/{id}/events)
    POST /runs/{id}/cancel             workbench.runs.cancel
    GET  /runs/{id}/logs/...           workbench.runs.logs.get
    GET  /runs/{id}/files              workbench.runs.files.list
    GET  /runs/{id}/file               workbench.runs.files.get
    DELETE /runs/{id}/files            workbench.runs.files.delete
    GET  /runs/{id}/ro-crate           workbench.runs.files.get (the run's files, packaged)
    POST /batches                      workbench.batches.execute
    GET  /batches/{id}                 workbench.batches.get
    POST /batches/{id}/cancel          workbench.batches.cancel

The decision is made locally from the token, never by calling the issuer. The claim read is
`actions`, an object mapping a resource URL to the action names granted on it:

    "actions": {"https://wes.example.org/": ["workbench.runs.list", "workbench.runs.get"]}

A key grants on itself and on every URL below it, compared by path component: a grant on
`https://wes.example.org/ga4gh/wes/v1/runs` covers `.../runs/<id>` but not `.../runs-archive`
(Passport policies grant on URL prefixes, and their Helm policy grants on `<external url>/`).
The names DNAstack used until July 2026 are accepted as aliases: `wes:execute`,
`wes:runs:read` (list, get, logs, file list and read), `wes:runs:cancel`, and `wes:runs:write`
(deleting files; our reading, the reference's mapping is closed source). They predate
batches; each grants the batch action matching what it grants on runs (`wes:execute` submits
a batch, `wes:runs:read` reads one, `wes:runs:cancel` cancels one), since a batch is only runs.

A WES route with no action here is refused (fail closed); other protected routes, such as
metrics, need only a valid token, as the reference's actuator endpoints did.
"""

import logging
import re
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from cromwes.auth.base import Principal
from cromwes.auth.jwt import BearerAuthenticator, TokenRules, require_scopes
from cromwes.auth.keys import KeySource
from cromwes.errors import Forbidden
from cromwes.models import BASE_PATH

logger = logging.getLogger(__name__)

PASSPORT_SCOPE = "wes"
EXECUTE = "workbench.runs.execute"
LIST = "workbench.runs.list"
GET = "workbench.runs.get"
CANCEL = "workbench.runs.cancel"
LOGS_GET = "workbench.runs.logs.get"
FILES_LIST = "workbench.runs.files.list"
FILES_GET = "workbench.runs.files.get"
FILES_DELETE = "workbench.runs.files.delete"
# Batches came after the reference service; named as its runs' actions are.
BATCHES_EXECUTE = "workbench.batches.execute"
BATCHES_GET = "workbench.batches.get"
BATCHES_CANCEL = "workbench.batches.cancel"

ROUTE_ACTIONS: Mapping[tuple[str, str], str] = {
    ("POST", "/runs"): EXECUTE,
    ("GET", "/runs"): LIST,
    ("GET", "/runs/{}"): GET,
    ("GET", "/runs/{}/status"): GET,
    # WES 1.1 task listing came after the reference service; it reads the run, like GET /runs/{id}.
    ("GET", "/runs/{}/tasks"): GET,
    ("GET", "/runs/{}/tasks/{}"): GET,
    ("POST", "/runs/{}/cancel"): CANCEL,
    ("GET", "/runs/{}/logs/stderr"): LOGS_GET,
    ("GET", "/runs/{}/logs/task/{}/{}"): LOGS_GET,
    ("GET", "/runs/{}/logs/task/{}/{}/{}"): LOGS_GET,
    ("GET", "/runs/{}/files"): FILES_LIST,
    ("GET", "/runs/{}/file"): FILES_GET,
    ("DELETE", "/runs/{}/files"): FILES_DELETE,
    ("GET", "/runs/{}/ro-crate"): FILES_GET,
    ("POST", "/batches"): BATCHES_EXECUTE,
    ("GET", "/batches/{}"): BATCHES_GET,
    ("POST", "/batches/{}/cancel"): BATCHES_CANCEL,
    # Event streams (extensions) show what GET /runs and GET /runs/{id} show.
    ("GET", "/events"): LIST,
    ("GET", "/runs/{}/events"): GET,
}
"""(method, route template below the WES base path, parameters written `{}`) -> action."""

RESOURCE_ALIASES: Mapping[str, str] = {f"{BASE_PATH}/events": f"{BASE_PATH}/runs"}
"""Paths whose action is checked on another resource: the stream of every run's states needs
what listing the runs needs, on the same resource, so one grant covers both."""

ALIASES: Mapping[str, frozenset[str]] = {
    "wes:execute": frozenset({EXECUTE, BATCHES_EXECUTE}),
    "wes:runs:read": frozenset({LIST, GET, LOGS_GET, FILES_LIST, FILES_GET, BATCHES_GET}),
    "wes:runs:cancel": frozenset({CANCEL, BATCHES_CANCEL}),
    "wes:runs:write": frozenset({FILES_DELETE}),
}

_PARAMETER = re.compile(r"\{[^}]*\}")


class PassportAuthenticator:
    """Bearer JWT checks, then scope `wes` and the route's action on `<audience><path>`."""

    def __init__(self, keys: KeySource, rules: TokenRules) -> None:
        self._bearer = BearerAuthenticator(keys, rules)
        self._required_scopes = rules.required_scopes | {PASSPORT_SCOPE}
        self._audiences = tuple(audience.rstrip("/") for audience in rules.audiences)

    async def authenticate(self, request: web.Request) -> Principal:
        return await self._bearer.authenticate(request)

    async def authorize(self, request: web.Request, principal: Principal) -> None:
        if request.match_info.http_exception is not None:
            return  # nothing is served here; let the router answer 404 or 405
        require_scopes(principal, self._required_scopes)
        # The path as sent, still percent-encoded: grants are URL prefixes, and an encoded `/`
        # must not let a path climb out of the run it names.
        path = RESOURCE_ALIASES.get(request.rel_url.raw_path, request.rel_url.raw_path)
        if not path.startswith(BASE_PATH + "/"):
            return
        action = route_action(request.method, request.match_info.route.resource)
        resources = [audience + path for audience in self._audiences]
        if action is None or not any(
            permits(principal.claims, resource, action) for resource in resources
        ):
            logger.info("Passport denied %s on %s to %s", action, resources[0], principal.id)
            raise Forbidden(f"Access denied: the token does not grant {action} on {resources[0]}.")


def route_action(method: str, resource: web.AbstractResource | None) -> str | None:
    """The Passport action a WES route needs, or None if none is defined."""
    if resource is None or not resource.canonical.startswith(BASE_PATH):
        return None
    template = _PARAMETER.sub("{}", resource.canonical[len(BASE_PATH) :])
    return ROUTE_ACTIONS.get(("GET" if method == "HEAD" else method, template))


def permits(claims: Mapping[str, Any], resource: str, action: str) -> bool:
    """Whether the token's `actions` claim grants `action` on `resource` (see module docstring)."""
    grants = claims.get("actions")
    if not isinstance(grants, Mapping):
        return False
    for granted_on, names in grants.items():
        if not isinstance(granted_on, str) or not isinstance(names, list):
            continue
        if covers(granted_on, resource) and any(
            name == action or action in ALIASES.get(name, ()) for name in names
        ):
            return True
    return False


def covers(granted_on: str, resource: str) -> bool:
    """`resource` is `granted_on` or lies below it, by whole path components."""
    if not granted_on:
        return False
    if resource == granted_on or resource == granted_on.rstrip("/"):
        return True
    prefix = granted_on if granted_on.endswith("/") else granted_on + "/"
    return resource.startswith(prefix)
