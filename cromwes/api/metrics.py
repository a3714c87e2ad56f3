"""Handler of GET /metrics: the gateway's Prometheus metrics in the text exposition format."""

from aiohttp import web
from aiohttp_apigami import docs
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from cromwes.appkeys import METRICS


@docs(
    tags=["Operations (extension)"],
    summary="Prometheus metrics (also at `/actuator/prometheus`).",
    description="Requests by route template and status, latencies, in-flight requests, Cromwell "
    "calls by operation and outcome, metadata cache hits and misses. Needs credentials like a "
    "WES route unless auth is off; absent when `observability.metrics_enabled` is false.",
    responses={
        200: {
            "description": "The Prometheus text exposition format.",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[METRICS].registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
