"""A byte-bounded LRU cache whose entries may expire, and single-flight loading into it."""

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

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

    @property
    def size(self) -> int:
        return self._bytes

    def _drop(self, key: K) -> None:
        self._bytes -= self._entries.pop(key).size


class SingleFlight(Generic[K, V]):
    """Concurrent loads of the same key share one call (no stampede on a cold entry)."""

    def __init__(self) -> None:
        self._inflight: dict[K, asyncio.Future[V]] = {}

    async def run(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        if (pending := self._inflight.get(key)) is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            value = await load()
        except BaseException as exc:
            future.set_exception(exc)
            # Mark retrieved so an unshared failure does not log "exception never retrieved".
            future.exception()
            raise
        else:
            future.set_result(value)
            return value
        finally:
            del self._inflight[key]
