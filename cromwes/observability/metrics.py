"""The gateway's Prometheus metrics, in a registry of its own (one per application).

A per-application `CollectorRegistry`, never prometheus-client's global default one, so that
two gateways in one process (tests, replicas) count apart and never collide on registration.
"""

from bisect import bisect_left
from collections.abc import Iterator
from itertools import accumulate
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from cromwes import __version__
from cromwes.observability.request_ids import CURRENT_ROUTE

NO_ROUTE = "none"
"""The route label of Cromwell calls made outside any request (startup, background tasks)."""

HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
CROMWELL_BUCKETS = HTTP_BUCKETS
"""Cromwell's metadata of a wide run takes seconds to build; 30 and 60 s show the slow tail."""


class CacheCounts(Protocol):
    """What the metadata cache tells about itself (`cromwes.cache.LruCache`)."""

    hits: int
    misses: int

    @property
    def size(self) -> int: ...


class Metrics:
    """Requests by route and status, latencies, in-flight requests, Cromwell calls, cache use."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._http = _HttpCollector()
        self.registry.register(self._http)
        self.request_finished = self._http.finished
        """(method, route template, status, seconds): a request answered; called on every
        request, so without a call of its own on the way."""
        self.cromwell_calls = Counter(
            "cromwes_cromwell_calls",
            "Calls to Cromwell by operation and outcome (its HTTP status, error or timeout), "
            "and the route template of the WES request that made them.",
            ("operation", "outcome", "route"),
            registry=self.registry,
        )
        self._saved = _SavedReadsCollector()
        self.registry.register(self._saved)
        self.cromwell_latency = Histogram(
            "cromwes_cromwell_call_duration_seconds",
            "Time Cromwell took to answer, by operation (queueing for a slot included).",
            ("operation",),
            buckets=CROMWELL_BUCKETS,
            registry=self.registry,
        )
        build = Gauge(
            "cromwes_build_info",
            "Always 1; the version of the running gateway as a label.",
            ("version",),
            registry=self.registry,
        )
        build.labels(version=__version__).set(1)

    def request_started(self) -> None:
        self._http.in_flight += 1

    def observe_cromwell_call(self, operation: str, outcome: str, seconds: float) -> None:
        """The Cromwell client's `observe` hook."""
        route = CURRENT_ROUTE.get() or NO_ROUTE
        self.cromwell_calls.labels(operation=operation, outcome=outcome, route=route).inc()
        self.cromwell_latency.labels(operation=operation).observe(seconds)

    def observe_saved_read(self, operation: str, reason: str) -> None:
        """`CachedCromwell`'s `saved` hook: on the path of most polls, so a plain count."""
        key = (operation, reason)
        self._saved.counts[key] = self._saved.counts.get(key, 0) + 1

    def watch_cache(self, cache: CacheCounts) -> None:
        """Report the metadata cache's hits, misses and size at every scrape."""
        self.registry.register(_CacheCollector(cache))


class _CacheCollector(Collector):
    def __init__(self, cache: CacheCounts) -> None:
        self._cache = cache

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily(
            "cromwes_metadata_cache_hits",
            "Run details served from the metadata cache.",
            value=self._cache.hits,
        )
        yield CounterMetricFamily(
            "cromwes_metadata_cache_misses",
            "Run details not in the metadata cache (fetched from Cromwell).",
            value=self._cache.misses,
        )
        yield GaugeMetricFamily(
            "cromwes_metadata_cache_bytes",
            "Size of Cromwell's metadata answers held in the cache.",
            value=self._cache.size,
        )

    def describe(self) -> Iterator[Metric]:
        return self.collect()


class _SavedReadsCollector(Collector):
    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = {}

    def collect(self) -> Iterator[Metric]:
        saved = CounterMetricFamily(
            "cromwes_cromwell_reads_saved",
            "Cromwell reads answered without a call of their own, by operation and reason: "
            "shared (a call in flight), held (a recent answer), finished (a finished run).",
            labels=("operation", "reason"),
        )
        for labels, count in self.counts.items():
            saved.add_metric(labels, count)
        yield saved

    def describe(self) -> Iterator[Metric]:
        return self.collect()


class _HttpCollector(Collector):
    """HTTP requests, their latencies and those in flight, in plain dicts turned into metric
    families only when Prometheus scrapes.

    Counted on every request, so kept cheap: the event loop is one thread, so no locks, where
    prometheus-client's own Counter and Histogram take one per update (measured: a fifth of the
    cost of a cached service-info answer, `make bench`).
    """

    def __init__(self) -> None:
        self.in_flight = 0
        self._counts: dict[tuple[str, str, int], int] = {}
        self._latency: dict[tuple[str, str], list[float]] = {}
        """(method, route) -> a count per bucket (the last for +Inf), then the sum of seconds."""

    def finished(self, method: str, route: str, status: int, seconds: float) -> None:
        self.in_flight -= 1
        key = (method, route, status)
        self._counts[key] = self._counts.get(key, 0) + 1
        histogram = self._latency.get((method, route))
        if histogram is None:
            histogram = self._latency[(method, route)] = [0.0] * (len(HTTP_BUCKETS) + 2)
        histogram[bisect_left(HTTP_BUCKETS, seconds)] += 1
        histogram[-1] += seconds

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "cromwes_http_requests",
            "HTTP requests answered, by method, route template and status.",
            labels=("method", "route", "status"),
        )
        for (method, route, status), count in self._counts.items():
            requests.add_metric((method, route, str(status)), count)
        yield requests
        latency = HistogramMetricFamily(
            "cromwes_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            labels=("method", "route"),
        )
        for (method, route), histogram in self._latency.items():
            cumulative = list(accumulate(histogram[:-1]))
            bounds = [*(str(bound) for bound in HTTP_BUCKETS), "+Inf"]
            latency.add_metric(
                (method, route), list(zip(bounds, cumulative, strict=True)), histogram[-1]
            )
        yield latency
        yield GaugeMetricFamily(
            "cromwes_http_requests_in_flight", "HTTP requests being answered now.",
            value=self.in_flight,
        )  # fmt: skip

    def describe(self) -> Iterator[Metric]:
        return self.collect()
