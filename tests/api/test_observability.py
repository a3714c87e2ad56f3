"""Request ids and the Prometheus metrics of a gateway (its log lines: test_log_lines.py)."""

import asyncio
import re
import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pytest_aiohttp import AiohttpClient
from yarl import URL

from cromwes.app import create_app
from tests.api.basic import ALICE, BASIC_AUTH
from tests.api.conftest import MakeStack, Stack, hello_form

UNKNOWN_RUN = "0190c8a0-0000-7000-8000-000000000000"
OTHER_UNKNOWN_RUN = "0190c8a0-0000-7000-8000-000000000001"


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """Every sample called `name` in a scrape, by its sorted labels."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


async def scrape(client: TestClient[Any, Any], **headers: str) -> str:
    async with client.get("/metrics", headers=headers) as response:
        assert response.status == 200, await response.text()
        assert response.headers["Content-Type"].startswith("text/plain")
        return await response.text()


async def test_request_id_is_echoed_and_passed_to_cromwell(stack: Stack) -> None:
    reply = await stack.wes.get("runs", headers={"X-Request-ID": "trace-42"}, expect=200)
    assert reply.headers["X-Request-ID"] == "trace-42"
    queries = await stack.requests_to_cromwell("/query")
    assert queries[-1]["headers"].get("X-Request-ID") == "trace-42"


@pytest.mark.parametrize(
    "sent",
    [
        pytest.param(None, id="absent"),
        pytest.param("has spaces", id="spaces"),
        pytest.param("x" * 200, id="too-long"),
        pytest.param('quote"d', id="quote"),
    ],
)
async def test_a_request_id_is_made_up_when_missing_or_unacceptable(
    stack: Stack, sent: str | None
) -> None:
    headers = {"X-Request-ID": sent} if sent is not None else {}
    reply = await stack.wes.get(f"runs/{UNKNOWN_RUN}/status", headers=headers, expect=404)
    made_up = reply.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{16}-[0-9a-f]+", made_up)
    status_calls = await stack.requests_to_cromwell(f"/{UNKNOWN_RUN}/status")
    assert status_calls[-1]["headers"].get("X-Request-ID") == made_up


async def test_streamed_and_error_answers_carry_the_request_id(stack: Stack) -> None:
    reply = await stack.wes.get("/no/such/path", headers={"X-Request-ID": "r-404"}, expect=404)
    assert reply.headers["X-Request-ID"] == "r-404"
    run_id = await stack.wes.submit(hello_form(controlled=True))
    await stack.move(run_id, "Succeeded")
    task = (await stack.wes.get(f"runs/{run_id}", expect=200)).json["task_logs"][0]
    path = URL(task["stdout"]).path
    async with stack.wes.client.get(path, headers={"X-Request-ID": "r-log"}) as resp:
        assert resp.status == 200
        assert resp.headers["X-Request-ID"] == "r-log"


async def test_metrics_count_requests_by_route_template_and_status(stack: Stack) -> None:
    await stack.wes.get(f"runs/{UNKNOWN_RUN}/status", expect=404)
    await stack.wes.get(f"runs/{OTHER_UNKNOWN_RUN}/status", expect=404)
    await stack.wes.get("/nothing/here", expect=404)
    await stack.wes.get("service-info", expect=200)
    text = await scrape(stack.wes.client)
    requests = samples(text, "cromwes_http_requests_total")
    status_route = "/ga4gh/wes/v1/runs/{run_id}/status"
    assert requests[(("method", "GET"), ("route", status_route), ("status", "404"))] == 2
    assert requests[(("method", "GET"), ("route", "unmatched"), ("status", "404"))] == 1
    assert requests[(("method", "GET"), ("route", "/ga4gh/wes/v1/service-info"), ("status", "200"))]
    assert not any(UNKNOWN_RUN in value for labels in requests for _, value in labels)
    latency = samples(text, "cromwes_http_request_duration_seconds_count")
    assert latency[(("method", "GET"), ("route", status_route))] == 2


async def test_metrics_count_cromwell_calls_by_operation_and_outcome(stack: Stack) -> None:
    await stack.wes.get(f"runs/{UNKNOWN_RUN}/status", expect=404)
    await stack.wes.get("runs", expect=200)
    text = await scrape(stack.wes.client)
    calls = samples(text, "cromwes_cromwell_calls_total")
    status_route = ("route", "/ga4gh/wes/v1/runs/{run_id}/status")
    assert calls[(("operation", "status"), ("outcome", "404"), status_route)] == 1
    assert calls[(("operation", "query"), ("outcome", "200"), ("route", "/ga4gh/wes/v1/runs"))] == 1
    durations = samples(text, "cromwes_cromwell_call_duration_seconds_count")
    assert durations[(("operation", "query"),)] == 1


async def test_metrics_count_cromwell_timeouts_and_errors(make_stack: MakeStack) -> None:
    stack = await make_stack(settings={"cromwell": {"timeout": 0.2}})
    await stack.faults([{"route": "query", "kind": "latency", "seconds": 2}])
    await stack.wes.get("runs", expect=504)
    await stack.faults([{"route": "query", "kind": "reset"}])
    await stack.wes.get("runs", expect=502)
    calls = samples(await scrape(stack.wes.client), "cromwes_cromwell_calls_total")
    route = ("route", "/ga4gh/wes/v1/runs")
    assert calls[(("operation", "query"), ("outcome", "timeout"), route)] == 1
    assert calls[(("operation", "query"), ("outcome", "error"), route)] == 1


async def test_metrics_count_metadata_cache_hits_and_misses(stack: Stack) -> None:
    run_id = await stack.wes.submit(hello_form(controlled=True))
    await stack.move(run_id, "Succeeded")
    before = samples(await scrape(stack.wes.client), "cromwes_metadata_cache_misses_total")
    await stack.wes.get(f"runs/{run_id}", expect=200)
    await stack.wes.get(f"runs/{run_id}", expect=200)
    text = await scrape(stack.wes.client)
    assert samples(text, "cromwes_metadata_cache_misses_total")[()] == before[()] + 1
    assert samples(text, "cromwes_metadata_cache_hits_total")[()] >= 1
    assert samples(text, "cromwes_metadata_cache_bytes")[()] > 0


async def test_in_flight_requests_are_counted_while_they_wait(make_stack: MakeStack) -> None:
    stack = await make_stack()
    await stack.faults([{"route": "query", "kind": "latency", "seconds": 30, "times": 1}])
    slow = asyncio.create_task(stack.wes.get("runs"))
    deadline = time.monotonic() + 10
    in_flight = 0.0
    while time.monotonic() < deadline:
        # The scrape itself is in flight too.
        in_flight = samples(await scrape(stack.wes.client), "cromwes_http_requests_in_flight")[()]
        if in_flight == 2:
            break
        await asyncio.sleep(0.05)
    slow.cancel()
    assert in_flight == 2, "the slow request never showed as in flight"


async def test_each_gateway_has_its_own_registry(
    stack: Stack, aiohttp_client: AiohttpClient
) -> None:
    other = await aiohttp_client(create_app(stack.settings))
    await stack.wes.get("service-info", expect=200)
    await stack.wes.get("service-info", expect=200)
    async with other.get("/ga4gh/wes/v1/service-info") as response:
        assert response.status == 200
    route = (("method", "GET"), ("route", "/ga4gh/wes/v1/service-info"), ("status", "200"))
    assert samples(await scrape(stack.wes.client), "cromwes_http_requests_total")[route] == 2
    assert samples(await scrape(other), "cromwes_http_requests_total")[route] == 1


async def test_metrics_can_be_switched_off(make_stack: MakeStack) -> None:
    stack = await make_stack(settings={"observability": {"metrics_enabled": False}})
    await stack.wes.get("/metrics", expect=404)
    await stack.wes.get("/actuator/prometheus", expect=404)
    await stack.wes.get("service-info", expect=200)


async def test_metrics_need_credentials_when_auth_is_on(make_stack: MakeStack) -> None:
    stack = await make_stack(settings=BASIC_AUTH)
    await stack.wes.get("/metrics", expect=401)
    assert "cromwes_build_info" in await scrape(stack.wes.client, **ALICE)
