"""Handlers of the event streams (extensions): one run's events, and every visible run's states.

Both are `text/event-stream` (framed by aiohttp-sse), with a keep-alive comment on a quiet
stream, and share one watcher per run or per filter (`cromwes.service.watching`).
"""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from aiohttp import web
from aiohttp_apigami import docs, querystring_schema
from aiohttp_sse import EventSourceResponse
from marshmallow import Schema, fields

from cromwes.api import schemas
from cromwes.api.audit import audited
from cromwes.api.params import owned_run_id, owner
from cromwes.api.streaming import start_stream
from cromwes.api.validation import QUERY
from cromwes.appkeys import RUN_EVENTS, RUN_LIST_EVENTS, SETTINGS
from cromwes.service.run_list_events import watched_filters
from cromwes.service.watching import StreamClosed, Subscription
from cromwes.translate.events import Cursor, Event, parse_cursor
from cromwes.translate.listing import run_filters

ERRORS = {code: {"schema": schemas.ErrorResponse} for code in (400, 401, 403, 404, 500, 502)}
STREAM = {"schema": {"type": "string", "description": "Server-sent events (text/event-stream)."}}
LAST_EVENT_ID = {
    "in": "header",
    "name": "Last-Event-ID",
    "required": False,
    "schema": {"type": "string", "example": "RUNNING.1732300000123.0f3a9c2e71b4d865"},
    "description": "Resume after this event (the `id` of the last event received): nothing "
    "already sent is sent again. Browsers' EventSource sends it when they reconnect.",
}


class RunEventsQuery(Schema):
    history = fields.Boolean(
        load_default=False,
        metadata={"description": "Also send every task start and end so far, oldest first."},
    )


@docs(
    tags=["Events (extension)"],
    summary="Stream a run's state changes and task starts and ends (server-sent events).",
    description=(
        "`text/event-stream`. `event: state` (data `{run_id, state, time}`) whenever the run's "
        "state changes, the first event being the current state; `event: task` (data "
        "`{run_id, task_id, name, shard, attempt, state, change: started|retried|ended, time, "
        "exit_code, start_time, end_time, cromwell_status, retryable}`) when a task attempt "
        "starts, is retried or ends (a task's `state` is its attempt's: `PREEMPTED` when its "
        "backend preempted it). The stream ends after the final state's event. Each event "
        "has an `id`; `Last-Event-ID` resumes after it without repeating, on any replica; a "
        "client that has seen the final state gets 204. A quiet stream carries a comment every "
        "`events.keepalive_interval`."
    ),
    parameters=[LAST_EVENT_ID],
    responses={
        **ERRORS,
        200: {"description": "The event stream.", "content": {"text/event-stream": STREAM}},
        204: {"description": "The run has finished and the client has seen all of it."},
    },
)
@querystring_schema(RunEventsQuery)
@audited("wes:run:events")
async def run_events(request: web.Request) -> web.StreamResponse:
    run_id = await owned_run_id(request)
    history = Cursor() if request[QUERY]["history"] else None
    subscription = Subscription(
        _last_event(request) or history, accepts=_everything, connected=_connected(request)
    )
    hub = request.app[RUN_EVENTS]
    return await _stream(request, subscription, hub.subscribe(run_id, subscription))


@docs(
    tags=["Events (extension)"],
    summary="Stream the state changes of every run the caller may list (server-sent events).",
    description=(
        "`text/event-stream` of `event: state`, data `{run_id, state, time, name, tags, "
        "submitted_time, start_time, end_time}`, for each run that `GET /runs` would list "
        "(the same per-user scoping and Passport action), from the moment the stream opens: "
        "new runs and state changes. `state`, `tag` and `name` filter as for `GET /runs`. "
        "`Last-Event-ID` resumes after an event. A quiet stream carries a comment every "
        "`events.keepalive_interval`."
    ),
    parameters=[LAST_EVENT_ID],
    responses={
        **ERRORS,
        200: {"description": "The event stream.", "content": {"text/event-stream": STREAM}},
    },
)
@querystring_schema(schemas.RunFilterQuery)
@audited("wes:runs:events")
async def events(request: web.Request) -> web.StreamResponse:
    filters = run_filters(request[QUERY], owner(request))
    states = frozenset(filters.states)
    subscription = Subscription(
        _last_event(request),
        accepts=(lambda event: event.data["state"] in states) if states else _everything,
        connected=_connected(request),
    )
    joined = request.app[RUN_LIST_EVENTS].subscribe(watched_filters(filters), subscription)
    return await _stream(request, subscription, joined)


async def _stream(
    request: web.Request, subscription: Subscription,
    joined: AbstractAsyncContextManager[Subscription],
) -> web.StreamResponse:  # fmt: skip
    response = EventSourceResponse(ping_interval=request.app[SETTINGS].events.keepalive_interval)
    try:
        async with joined:
            if subscription.empty_and_ended:
                # EventSource reconnects after a stream ends, but never after a 204.
                return web.Response(status=204)
            await start_stream(request, response)
            async with response:
                async for event, event_id in subscription.events():
                    await response.send(event.data_json, id=event_id, event=event.kind)
    except StreamClosed:
        return web.Response(status=204)  # the gateway stopped before the stream began
    except ConnectionResetError:
        pass  # the client went away mid-write: nobody is left to tell
    return response


def _last_event(request: web.Request) -> Cursor | None:
    text = request.headers.get("Last-Event-ID")
    return parse_cursor(text) if text else None


def _everything(event: Event) -> bool:
    return True


def _connected(request: web.Request) -> Callable[[], bool]:
    def connected() -> bool:
        transport = request.transport
        return transport is not None and not transport.is_closing()

    return connected
