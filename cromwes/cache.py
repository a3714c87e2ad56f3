"""A byte-bounded LRU cache whose entries may expire, and single-flight loading into it."""

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class _Entry(Generic[V]):
    value: V
    size: int
    expires: float | None


class LruCache(Generic[K, V]):
    """Keeps the most recently used values within `max_bytes`; an entry may carry a TTL."""

    def __init__(self, max_bytes: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._max_bytes = max_bytes
        self._clock = clock
        self._entries: OrderedDict[K, _Entry[V]] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None or (entry.expires is not None and entry.expires <= self._clock()):
            if entry is not None:
                self._drop(key)
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry.value

    def put(self, key: K, value: V, *, size: int, ttl: float | None) -> None:
        """Store `value` (`ttl` None: until evicted). A value larger than the cache is not kept."""
        if key in self._entries:
            self._drop(key)
        if size > self._max_bytes:
            return
        expires = None if ttl is None else self._clock() + ttl
        self._entries[key] = _Entry(value, size, expires)
        self._bytes += size
        while self._bytes > self._max_bytes:
            self._drop(next(iter(self._entries)))

    def discard(self, key: K) -> None:
        if key in self._entries:
            self._drop(key)

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

    @property
    def size(self) -> int:
        return self._bytes

    def _drop(self, key: K) -> None:
        self._bytes -= self._entries.pop(key).size


class SingleFlight(Generic[K, V]):
    """Concurrent loads of the same key share one call (no stampede on a cold entry).

    The load runs in a task of its own and every caller awaits it through `asyncio.shield`, so
    a caller that goes away (its client hung up, its follow stopped) is cancelled alone: the
    others still get the value. The load itself is cancelled when its last caller has gone,
    which aborts the Cromwell call and frees its slot rather than finish work nobody waits
    for; the next caller starts a fresh load.
    """

    def __init__(self) -> None:
        self._inflight: dict[K, _Flight[V]] = {}

    def __contains__(self, key: K) -> bool:
        """Whether a load of `key` is in flight (a caller now would share it)."""
        return key in self._inflight

    async def run(self, key: K, load: Callable[[], Coroutine[Any, Any, V]]) -> V:
        flight = self._inflight.get(key)
        if flight is None:
            flight = _Flight(asyncio.ensure_future(load()))
            self._inflight[key] = flight
            flight.task.add_done_callback(lambda _: self._landed(key, flight))
        flight.waiters += 1
        try:
            return await asyncio.shield(flight.task)
        finally:
            flight.waiters -= 1
            if flight.waiters == 0 and not flight.task.done():
                # Only cancelled callers leave before the load is done: nobody waits any more.
                self._landed(key, flight)
                flight.task.cancel()

    def _landed(self, key: K, flight: "_Flight[V]") -> None:
        if self._inflight.get(key) is flight:
            del self._inflight[key]
        if flight.task.done() and not flight.task.cancelled():
            # Mark the outcome retrieved: a failure nobody awaited any more must not be
            # reported as "exception was never retrieved".
            flight.task.exception()


class _Flight(Generic[V]):
    """One load in progress and how many callers await it."""

    __slots__ = ("task", "waiters")

    def __init__(self, task: "asyncio.Future[V]") -> None:
        self.task = task
        self.waiters = 0


class Changes(Generic[K]):
    """The changes made through this gateway, each of one key (a run) or of everything.

    `mark(key)` moves whenever `key`, or everything, changes: a read of `key` that started at
    one mark may be kept (or shared) only while the mark is the same, so a change of one run
    does not throw away the reads of the others.
    """

    def __init__(self, max_keys: int = 10_000) -> None:
        self._count = 0
        self._everything = 0
        self._keys: dict[K, int] = {}
        self._max_keys = max_keys

    def mark(self, key: K | None) -> int:
        """The mark of `key`; of any change at all for `None` (e.g. what a listing shows)."""
        if key is None:
            return self._count
        return max(self._everything, self._keys.get(key, 0))

    def change(self, key: K | None) -> None:
        """`key` changed; everything, for `None` (or, to bound memory, once many keys have)."""
        self._count += 1
        if key is None or len(self._keys) >= self._max_keys:
            self._everything = self._count
            self._keys.clear()
        else:
            self._keys[key] = self._count
