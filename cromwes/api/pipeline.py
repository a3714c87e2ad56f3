"""The gateway's one middleware: every request observed, its errors answered, its caller checked
and its declared input validated, in that order, before its handler runs.

These steps were five aiohttp middlewares (access, normalize_path, error, auth, validation).
aiohttp calls each middleware through a `functools.partial` and a coroutine of its own, about
5,000 interpreter instructions per middleware and request, where a bare aiohttp app answers a
request in about 160,000 (valgrind; issue 15). As plain steps of one middleware they keep their
order and their behaviour:

1. observe (outermost, so it sees the final status of every answer, refusals and errors
   included): the request id, taken from `X-Request-ID` or made, echoed in the answer and sent
   to Cromwell; the metrics; the access and audit lines (`access`, `audit`);
2. a path that no route matches, but would without its trailing slash, is redirected there;
3. any failure below is answered as a WES ErrorResponse (`middlewares.error_answer`);
4. the caller is authenticated and authorized (`middlewares.caller`);
5. the input the handler declares is validated (`validation`).

An answer the handler returns gets its `X-Request-ID` here; one it streams gets it when the
handler starts it (`streaming.start_stream`).
"""

import asyncio
import logging
import re
import time
from collections.abc import Callable
from functools import partial

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from multidict import istr

from cromwes.api.access import CLIENT_CLOSED, log_request, route_template
from cromwes.api.audit import action_of
from cromwes.api.middlewares import caller, error_answer, needs_caller
from cromwes.api.streaming import STREAMED
from cromwes.api.validation import ValidQueries, declared_inputs, validate
from cromwes.auth.base import ANONYMOUS, Principal, principal_of
from cromwes.errors import WesError
from cromwes.observability.loglines import LogLines
from cromwes.observability.metrics import Metrics
from cromwes.observability.request_ids import CURRENT, CURRENT_ROUTE, HEADER, RequestIds

REQUEST_ID = istr(HEADER)
logger = logging.getLogger(__name__)


def gateway_middleware(
    *,
    request_ids: RequestIds,
    lines: LogLines,
    metrics: Metrics | None,
    valid_queries: ValidQueries,
) -> Middleware:
    """The middleware of an application whose ids, lines, metrics and remembered valid queries
    are these."""

    @web.middleware
    async def gateway(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.monotonic()
        request_id = request_ids.for_request(request.headers.get(REQUEST_ID))
        route = route_template(request)
        # Never reset: aiohttp serves each request in a task of its own, whose context ends
        # with it (aiohttp#3406), so no other request sees these.
        CURRENT.set(request_id)
        CURRENT_ROUTE.set(route)
        if metrics is not None:
            metrics.request_started()
        principal = ANONYMOUS
        response: web.StreamResponse | None = None
        status = 500
        try:
            if request.match_info.http_exception is not None:
                await _redirect_without_slash(request)
            try:
                if needs_caller(request):
                    principal = await caller(request)
                if schemas := declared_inputs(handler):
                    await validate(request, schemas, valid_queries)
                response = await handler(request)
            except Exception as exc:  # every failure is answered here, redirects raised again
                principal = principal_of(request)
                streamed = request.get(STREAMED)
                response = (
                    error_answer(request, exc)
                    if streamed is None
                    else _cut_short(request, streamed, exc)
                )
            if not response.prepared:
                response.headers[REQUEST_ID] = request_id
            status = response.status
            return response
        except web.HTTPException as exc:  # a redirect, that aiohttp answers
            exc.headers[REQUEST_ID] = request_id
            status = exc.status
            raise
        except asyncio.CancelledError:
            status = CLIENT_CLOSED
            raise
        finally:
            action = action_of(handler)
            if isinstance(response, web.FileResponse) and not response.prepared:
                answered = partial(
                    _answered, lines, metrics, request, route, started, principal, request_id,
                    action, response,
                )  # fmt: skip
                _when_sent(response, answered)
            else:
                _answered(
                    lines, metrics, request, route, started, principal, request_id, action,
                    response, status,
                )  # fmt: skip

    return gateway


def _answered(
    lines: LogLines,
    metrics: Metrics | None,
    request: web.Request,
    route: str,
    started: float,
    principal: Principal,
    request_id: str,
    action: str | None,
    response: web.StreamResponse | None,
    status: int,
) -> None:
    """Count the request and write its lines, once its status is known."""
    seconds = time.monotonic() - started
    if metrics is not None:
        metrics.request_finished(request.method, route, status, seconds)
    log_request(
        lines, request, route=route, status=status, seconds=seconds, principal=principal,
        request_id=request_id, action=action, response=response,
    )  # fmt: skip


def _when_sent(response: web.FileResponse, answered: Callable[[int], None]) -> None:
    """Count and log a FileResponse once aiohttp has sent it.

    A FileResponse settles its status (304, 412, 416, or 404 for a file gone meanwhile) only
    as aiohttp sends it, after this middleware, and its prepare cannot run twice. The task
    serving the request ends once the answer is sent (or the client left before): the line
    says the status the client got, and its duration includes the sending.
    """
    task = asyncio.current_task()
    if task is None:
        answered(response.status)
        return
    task.add_done_callback(
        lambda _: answered(response.status if response.prepared else CLIENT_CLOSED)
    )


def _cut_short(
    request: web.Request, streamed: web.StreamResponse, exc: Exception
) -> web.StreamResponse:
    """The answer `exc` stopped after its status, headers and perhaps part of its body were sent.

    An ErrorResponse now would be written inside that body (aiohttp sends whatever answer it
    is given), and the connection reused as if all were well. Closing the connection instead
    leaves the client a body cut short (fewer bytes than its Content-Length, or no last chunk),
    which every HTTP client reports as an error.
    """
    if isinstance(exc, WesError):
        logger.warning(
            "%s %s failed after its answer began: %s", request.method, request.path, exc.msg
        )
    else:
        logger.error(
            "%s %s failed after its answer began", request.method, request.path, exc_info=exc
        )
    streamed.force_close()
    if request.transport is not None:
        request.transport.close()
    return streamed


async def _redirect_without_slash(request: web.Request) -> None:
    """Raise a 308 to this path without its trailing slash, when a route matches that one.

    As aiohttp's `normalize_path_middleware(remove_slash=True, append_slash=False,
    merge_slashes=False)`: merge_slashes would also cut the last character of any unknown path,
    slash or not (`/servicesX` answered 308 to `/services`: aio-libs/aiohttp#3669).
    """
    if not request.path.endswith("/"):
        return
    # The path alone, even of an absolute-form target (`GET http://evil.example/runs/`): the
    # answer stays on this origin. As aiohttp (GHSA-v6wp-4m6f-gcjg): `//evil.example/` must not
    # become a redirect elsewhere either.
    url = request.rel_url
    target = re.sub("^//+", "/", url.raw_path[:-1])
    if (await request.app.router.resolve(request.clone(rel_url=target))).http_exception is None:
        query = url.raw_query_string
        raise web.HTTPPermanentRedirect(target + ("?" + query if query else ""))
