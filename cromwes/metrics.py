"""The gateway's Prometheus metrics, in a registry of its own (one per application).

A per-application `CollectorRegistry`, never prometheus-client's global default one, so that
two gateways in one process (tests, replicas) count apart and never collide on registration.
"""

from collections.abc import Iterator
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from cromwes import __version__

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
        self.requests = Counter(
            "cromwes_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "cromwes_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ("method", "route"),
            buckets=HTTP_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "cromwes_http_requests_in_flight",
            "HTTP requests being answered now.",
            registry=self.registry,
        )
        self.cromwell_calls = Counter(
            "cromwes_cromwell_calls",
            "Calls to Cromwell by operation and outcome (its HTTP status, error or timeout).",
            ("operation", "outcome"),
            registry=self.registry,
        )
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

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method=method, route=route, status=str(status)).inc()
        self.latency.labels(method=method, route=route).observe(seconds)

    def observe_cromwell_call(self, operation: str, outcome: str, seconds: float) -> None:
        """The Cromwell client's `observe` hook."""
        self.cromwell_calls.labels(operation=operation, outcome=outcome).inc()
        self.cromwell_latency.labels(operation=operation).observe(seconds)

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
