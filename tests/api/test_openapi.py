"""The generated OpenAPI document is valid, complete and documents every extension; the UI works."""

import re
from typing import Any

import pytest
from openapi_spec_validator import validate
from yarl import URL

from cromwes.app import create_app
from cromwes.config.settings import Settings
from tests.api.basic import BASIC_AUTH
from tests.api.conftest import MakeStack, Stack

WES = "/ga4gh/wes/v1"
UNDOCUMENTED = ("/docs", "/ui")
"""The document and its UI describe the API, not themselves; nor is the dashboard part of it."""


@pytest.fixture
async def document(stack: Stack) -> dict[str, Any]:
    reply = await stack.wes.get("/docs/openapi.json", expect=200)
    body: dict[str, Any] = reply.json
    return body


async def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"].startswith("3.")


async def test_every_route_is_documented(document: dict[str, Any]) -> None:
    app = create_app(Settings())
    served = {
        (route.method.lower(), route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
        and route.method not in ("HEAD", "OPTIONS")
        and not route.resource.canonical.startswith(UNDOCUMENTED)
    }
    documented = {
        (method, path) for path, operations in document["paths"].items() for method in operations
    }
    assert served == documented


async def test_extensions_are_documented(document: dict[str, Any]) -> None:
    paths = document["paths"]
    list_parameters = {p["name"] for p in paths[f"{WES}/runs"]["get"]["parameters"]}
    assert {"state", "tag", "name", "submitted_after", "submitted_before"} <= list_parameters
    assert "409" in paths[f"{WES}/runs/{{run_id}}/cancel"]["post"]["responses"]
    task_log = paths[f"{WES}/runs/{{run_id}}/logs/task/{{task_id}}/{{stream}}"]["get"]
    assert {"200", "206", "416"} <= set(task_log["responses"])
    assert "Range" in {p["name"] for p in task_log["parameters"]}
    assert f"{WES}/runs/{{run_id}}/logs/stderr" in paths
    assert f"{WES}/runs/{{run_id}}/tasks" in paths
    for events in (f"{WES}/events", f"{WES}/runs/{{run_id}}/events"):
        operation = paths[events]["get"]
        assert "text/event-stream" in operation["responses"]["200"]["content"], events
        assert "Last-Event-ID" in {p["name"] for p in operation["parameters"]}, events
        assert "(extension)" in operation["tags"][0]
    event_filters = {p["name"] for p in paths[f"{WES}/events"]["get"]["parameters"]}
    assert {"state", "tag", "name"} <= event_filters
    assert "204" in paths[f"{WES}/runs/{{run_id}}/events"]["get"]["responses"]
    for path in ("/metrics", "/health/live", "/health/ready", "/actuator/health", "/services", "/"):
        assert "get" in paths[path], path
    for operations in paths.values():
        for operation in operations.values():
            assert operation.get("summary"), operation


async def test_servers_point_at_the_gateway_as_reached(stack: Stack) -> None:
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "wes.example.org",
               "X-Forwarded-Prefix": "/wes"}  # fmt: skip
    reply = await stack.wes.get("/docs/openapi.json", headers=headers, expect=200)
    assert reply.json["servers"] == [{"url": "https://wes.example.org/wes"}]


async def test_the_swagger_ui_loads_its_assets_and_the_document(stack: Stack) -> None:
    page_url = URL("http://gateway/docs")
    page = await stack.wes.get(page_url.path, expect=200)
    assert page.headers["Content-Type"].startswith("text/html")
    html = page.body.decode()
    assets = re.findall(r'(?:href|src)="([^"]+)"', html)
    (document_url,) = re.findall(r'url: "([^"]+)"', html)
    assert len(assets) >= 4
    for link in [*assets, document_url]:
        # Relative links keep working under a proxy's path prefix.
        assert not link.startswith(("/", "http")), link
        reply = await stack.wes.get(page_url.join(URL(link)).path, expect=200)
        assert reply.body
    assert "swagger-ui-bundle.js" in html


async def test_the_docs_need_no_credentials_when_auth_is_on(make_stack: MakeStack) -> None:
    stack = await make_stack(settings=BASIC_AUTH)
    await stack.wes.get("/docs", expect=200)
    await stack.wes.get("/docs/openapi.json", expect=200)
    await stack.wes.get("/docs/static/swagger-ui-bundle.js", expect=200)


async def test_batches_are_documented(document: dict[str, Any]) -> None:
    paths = document["paths"]
    submit = paths[f"{WES}/batches"]["post"]
    assert {"200", "207", "400", "409", "413"} <= set(submit["responses"])
    assert "multipart/form-data" in submit["requestBody"]["content"]
    answer = submit["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/BatchId"}
    assert "get" in paths[f"{WES}/batches/{{batch_id}}"]
    assert "post" in paths[f"{WES}/batches/{{batch_id}}/cancel"]
    assert {"batch_id", "run_ids", "failures"} <= set(
        document["components"]["schemas"]["BatchId"]["properties"]
    )


@pytest.mark.parametrize(
    "path", ["/docs/static/nope.js", "/docs/static/..%2F..%2Fopenapi.py", "/docs/static/VERSION%00"]
)
async def test_an_unknown_docs_asset_is_a_wes_404(stack: Stack, path: str) -> None:
    reply = await stack.wes.get(path, expect=404)
    assert reply.json["status_code"] == 404
    assert reply.json["msg"]
