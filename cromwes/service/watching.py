"""One poll of Cromwell shared by every subscriber: a watcher per key, fanning events out.

Subscribers of one key (a run id, a run-list filter) share one watcher, so a thousand of them
cost Cromwell what one does, whatever the caches below do. A watcher starts with its first
subscriber and stops the moment its last one leaves: a subscriber leaves when its stream ends,
or when its client has gone, which the hub notices within `DISCONNECT_CHECK` (aiohttp does not
cancel a handler whose client hangs up, so someone must look).
"""

import asyncio
import contextlib
import contextvars
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Hashable, Sequence
from typing import Generic, TypeVar

from cromwes.errors import UpstreamError, WesError
from cromwes.translate.events import Cursor, Event

logger = logging.getLogger(__name__)

DISCONNECT_CHECK = 0.2
"""Seconds between two looks at whether subscribers' clients are still there."""

K = TypeVar("K", bound=Hashable)


class Subscription:
    """One client's stream: the events it has not seen yet, each with the id that resumes after
    it. Events it does not `accept` are not delivered but still count as seen."""

    def __init__(
        self, cursor: Cursor | None, *, accepts: Callable[[Event], bool],
        connected: Callable[[], bool],
    ) -> None:  # fmt: skip
        self.cursor = cursor
        """Where the client resumes from; None: from now on (the watcher's welcome sets it)."""
        self.connected = connected
        self.welcomed = False
        self._accepts = accepts
        self._batches: asyncio.Queue[Sequence[Event] | None] = asyncio.Queue()
        self._started: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._closed = False

    def start(self, cursor: Cursor, backlog: Sequence[Event]) -> None:
        self.cursor = cursor
        self.welcomed = True
        self.push(backlog)
        if not self._started.done():
            self._started.set_result(None)

    def fail(self, error: BaseException) -> None:
        if not self._started.done():
            self._started.set_exception(error)
        self.close()

    def push(self, events: Sequence[Event]) -> None:
        if events and not self._closed:
            self._batches.put_nowait(events)

    def close(self) -> None:
        """End the stream after what was pushed before."""
        if not self._closed:
            self._closed = True
            self._batches.put_nowait(None)
            if not self._started.done():
                self._started.set_exception(StreamClosed())

    async def started(self) -> None:
        """Once the watcher has given this subscription its first events (or its error)."""
        await self._started

    @property
    def empty_and_ended(self) -> bool:
        """Whether the stream ended with nothing to send (the client has seen it all)."""
        return self._closed and self._batches.qsize() == 1

    async def events(self) -> AsyncIterator[tuple[Event, str]]:
        """Each event to send and its id, until the stream ends."""
        while (batch := await self._batches.get()) is not None:
            for event in batch:
                assert self.cursor is not None
                self.cursor = self.cursor.after(event)
                if self._accepts(event):
                    yield event, self.cursor.text()


class StreamClosed(Exception):
    """The stream ended (the gateway is stopping) before it had its first events."""


class Watcher(ABC, Generic[K]):
    """Polls Cromwell for one key while anyone subscribes, and hands each subscriber its events.

    `look()` takes one snapshot and returns what changed since the previous one; `welcome()`
    gives a new subscriber its cursor and backlog from the latest snapshot.
    """

    def __init__(self, key: K, *, interval: float, on_stop: Callable[["Watcher[K]"], None]) -> None:
        self.key = key
        self._interval = interval
        self._on_stop = on_stop
        self._subscriptions: set[Subscription] = set()
        self._task: asyncio.Task[None] | None = None
        self._looked = False

    @property
    def subscriptions(self) -> frozenset[Subscription]:
        return frozenset(self._subscriptions)

    def add(self, subscription: Subscription) -> None:
        self._subscriptions.add(subscription)
        if self._looked:
            self._welcome(subscription)
        if self._task is None:
            # A context of its own: the task outlives the request that started it, whose id
            # and route would otherwise go with every poll it makes for every subscriber.
            self._task = asyncio.create_task(
                self._watch(), name=f"watch {self.key}", context=contextvars.Context()
            )

    def remove(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)
        subscription.close()
        if not self._subscriptions:
            self.stop()

    def stop(self) -> asyncio.Task[None] | None:
        """Stop polling at once (an in-flight Cromwell call is cancelled) and end every stream;
        the polling task, to be awaited by whoever waits for the end."""
        for subscription in list(self._subscriptions):
            subscription.close()
        self._subscriptions.clear()
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._on_stop(self)
        return self._task

    async def _watch(self) -> None:
        try:
            while True:
                try:
                    changes, finished = await self.look()
                except UpstreamError as exc:
                    if not self._looked:
                        raise
                    # Cromwell may recover: the streams stay open, the next look tries again.
                    logger.warning("watching %s: %s", self.key, exc.msg)
                else:
                    self._looked = True
                    for subscription in list(self._subscriptions):
                        if subscription.welcomed:
                            subscription.push(changes)
                        else:
                            self._welcome(subscription)
                    if finished:
                        break
                await asyncio.sleep(self._interval)
        except WesError as exc:
            for subscription in list(self._subscriptions):
                subscription.fail(exc)
        except Exception as exc:
            logger.exception("watching %s failed", self.key)
            for subscription in list(self._subscriptions):
                subscription.fail(exc)
        finally:
            self._task = None
            self.stop()

    def _welcome(self, subscription: Subscription) -> None:
        cursor, backlog, ended = self.welcome(subscription.cursor)
        subscription.start(cursor, backlog)
        if ended:
            subscription.close()

    @abstractmethod
    async def look(self) -> tuple[Sequence[Event], bool]:
        """Take a snapshot: the events every subscriber gets, and whether the watch is over."""

    @abstractmethod
    def welcome(self, cursor: Cursor | None) -> tuple[Cursor, Sequence[Event], bool]:
        """A new subscriber's starting cursor, its backlog and whether its stream ends there."""


class Hub(Generic[K]):
    """The watchers of one kind, one per key, and the sweep that notices clients gone."""

    def __init__(self, make: Callable[[K, Callable[[Watcher[K]], None]], Watcher[K]]) -> None:
        self._make = make
        self._watchers: dict[K, Watcher[K]] = {}
        self._sweeper: asyncio.Task[None] | None = None

    @contextlib.asynccontextmanager
    async def subscribe(self, key: K, subscription: Subscription) -> AsyncIterator[Subscription]:
        """`subscription` joined to the watcher of `key`, once it has its first events; raises
        what the watcher's first look raised (a 404 for a run that does not exist, a 502...)."""
        watcher = self._watchers.get(key)
        if watcher is None:
            watcher = self._make(key, self._stopped)
            self._watchers[key] = watcher
        watcher.add(subscription)
        self._sweep()
        try:
            await subscription.started()
            yield subscription
        finally:
            watcher.remove(subscription)

    async def close(self) -> None:
        """End every stream and stop every watcher (the gateway is shutting down), and wait
        until their tasks have ended."""
        tasks = [task for w in list(self._watchers.values()) if (task := w.stop()) is not None]
        if self._sweeper is not None:
            self._sweeper.cancel()
            tasks.append(self._sweeper)
        await asyncio.gather(*tasks, return_exceptions=True)

    def _stopped(self, watcher: Watcher[K]) -> None:
        if self._watchers.get(watcher.key) is watcher:
            del self._watchers[watcher.key]

    def _sweep(self) -> None:
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.create_task(
                self._sweeping(), name="event subscribers sweep", context=contextvars.Context()
            )

    async def _sweeping(self) -> None:
        while self._watchers:
            await asyncio.sleep(DISCONNECT_CHECK)
            for watcher in list(self._watchers.values()):
                for subscription in watcher.subscriptions:
                    if not subscription.connected():
                        watcher.remove(subscription)
