"""`GET /` and the `/services` registry entries the dnastack CLI discovers the service with."""

from typing import Any

from tests.api.conftest import MakeStack, Stack

PROXY = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "wes.example.org",
    "X-Forwarded-Port": "8443",
    "X-Forwarded-Prefix": "/wes",
}
OAUTH = {
    "auth": {"method": "OAUTH", "issuer_uri": "https://issuer.example.org/"},
    "registry": {"client_id": "cli-device-client", "client_secret": "published-on-purpose"},
    "url": "https://wes.example.org",
}


async def test_root_points_at_service_info_and_the_docs(stack: Stack) -> None:
    links = (await stack.wes.get("/", expect=200)).json
    assert links["service_info"].endswith("/ga4gh/wes/v1/service-info")
    await stack.wes.get(_path(links["service_info"]), expect=200)
    await stack.wes.get(_path(links["docs"]), expect=200)
    await stack.wes.get(_path(links["openapi"]), expect=200)
    await stack.wes.get(_path(links["health"]), expect=200)


async def test_root_links_go_through_the_proxy(stack: Stack) -> None:
    links = (await stack.wes.get("/", headers=PROXY, expect=200)).json
    assert links["service_info"] == "https://wes.example.org:8443/wes/ga4gh/wes/v1/service-info"
    assert links["docs"] == "https://wes.example.org:8443/wes/docs"


async def test_services_is_an_array_served_as_exactly_application_json(stack: Stack) -> None:
    reply = await stack.wes.get("/services", headers=PROXY, expect=200)
    # The dnastack CLI compares the header to exactly this (reference-service.md §12).
    assert reply.headers["Content-Type"] == "application/json"
    (entry,) = reply.json
    assert entry["type"] == {"group": "org.ga4gh", "artifact": "wes", "version": "1.1"}
    assert entry["url"] == "https://wes.example.org:8443/wes/ga4gh/wes/v1/"
    assert entry["id"] == stack.settings.service_info.id
    assert "authentication" not in entry


async def test_services_names_the_oauth_device_client(make_stack: MakeStack) -> None:
    stack = await make_stack(settings=OAUTH)
    (entry,) = (await stack.wes.get("/services", expect=200)).json
    assert entry["url"] == "https://wes.example.org/ga4gh/wes/v1/"
    auth: list[dict[str, Any]] = entry["authentication"]
    assert auth == [
        {
            "type": "oauth2",
            "accessTokenUrl": "https://issuer.example.org/oauth/token",
            "deviceCodeUrl": "https://issuer.example.org/oauth/device/code",
            "grantType": "urn:ietf:params:oauth:grant-type:device_code",
            "clientId": "cli-device-client",
            "clientSecret": "published-on-purpose",
            "resource": "https://wes.example.org/ga4gh/wes/v1/",
        }
    ]


async def test_services_and_root_are_public_when_auth_is_on(make_stack: MakeStack) -> None:
    stack = await make_stack(settings=OAUTH)
    await stack.wes.get("/", expect=200)
    await stack.wes.get("/services", expect=200)
    await stack.wes.get("runs", expect=401)


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]
