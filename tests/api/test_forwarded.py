"""Forwarding headers shape the URLs the gateway writes only when a trusted proxy sent them.

The test client connects from 127.0.0.1, which the default `server.trusted_proxies` trusts (the
nginx setup); a gateway that trusts only another address sees it as an ordinary client.
"""

from typing import Any

import pytest

from tests.api.conftest import MakeStack, Stack, hello_form

SPOOFED = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "attacker.example",
    "X-Forwarded-Port": "8443",
    "X-Forwarded-Prefix": "/phish",
    "Forwarded": "proto=https;host=attacker.example",
}
ELSEWHERE = {"server": {"trusted_proxies": ["192.0.2.10", "10.0.0.0/8"]}}
"""A proxy somewhere else: the test client is not it."""


def all_strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for item in value.values() for s in all_strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in all_strings(item)]
    return [value] if isinstance(value, str) else []


async def test_forwarded_headers_from_an_untrusted_peer_change_no_url(
    make_stack: MakeStack,
) -> None:
    stack = await make_stack(settings=ELSEWHERE)
    own = f"http://127.0.0.1:{stack.wes.client.port}"
    run_id = await stack.wes.submit(hello_form())
    log = (await stack.wes.get(f"runs/{run_id}", headers=SPOOFED, expect=200)).json
    assert log["task_logs_url"] == f"{own}/ga4gh/wes/v1/runs/{run_id}/tasks"
    assert log["run_log"]["stderr"] == f"{own}/ga4gh/wes/v1/runs/{run_id}/logs/stderr"
    for path in ("/", "/docs/openapi.json", f"/ga4gh/wes/v1/runs/{run_id}/tasks"):
        reply = await stack.wes.get(path, headers=SPOOFED, expect=200)
        assert not [s for s in all_strings(reply.json) if "attacker.example" in s], path
    links = (await stack.wes.get("/", headers={"X-Forwarded-Proto": "javascript"})).json
    assert links["service_info"].startswith(f"{own}/")


async def test_a_javascript_scheme_is_never_reflected(stack: Stack) -> None:
    """From a trusted proxy, a scheme that is not http(s) is a 400, and not echoed back."""
    for headers in (
        {"X-Forwarded-Proto": "javascript"},
        {"X-Forwarded-Proto": "https, javascript"},
        {"Forwarded": 'proto=javascript;host="x.example"'},
    ):
        reply = await stack.wes.get("/", headers=headers, expect=400)
        assert reply.json["status_code"] == 400
        assert b"javascript" not in reply.body


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"X-Forwarded-Host": "evil.example/path"}, id="host-with-path"),
        pytest.param({"X-Forwarded-Host": "a b"}, id="host-with-space"),
        pytest.param({"X-Forwarded-Host": "x.example:99999"}, id="host-port-out-of-range"),
        pytest.param({"X-Forwarded-Host": "user@x.example"}, id="host-with-userinfo"),
        pytest.param({"X-Forwarded-Port": "0"}, id="port-zero"),
        pytest.param({"X-Forwarded-Port": "80a"}, id="port-not-digits"),
        pytest.param({"X-Forwarded-Prefix": "/a/../b"}, id="prefix-dot-dot"),
        pytest.param({"X-Forwarded-Prefix": "/a?b=c"}, id="prefix-query"),
        pytest.param({"Forwarded": 'host="evil.example/x"'}, id="forwarded-host"),
    ],
)
async def test_malformed_values_from_a_trusted_proxy_are_400(
    stack: Stack, headers: dict[str, str]
) -> None:
    reply = await stack.wes.get("/", headers=headers, expect=400)
    assert reply.json["status_code"] == 400


async def test_a_prefix_cannot_become_an_authority(stack: Stack) -> None:
    """`//evil.example` would make `scheme://host//evil.example/...` read as another host by
    some clients; empty segments are dropped, so it stays a path on the gateway's host."""
    links = (await stack.wes.get("/", headers={"X-Forwarded-Prefix": "//evil.example/"})).json
    assert links["docs"] == f"http://127.0.0.1:{stack.wes.client.port}/evil.example/docs"


async def test_a_host_header_that_names_no_host_is_400(make_stack: MakeStack) -> None:
    stack = await make_stack(settings=ELSEWHERE)
    reply = await stack.wes.get("/", headers={"Host": "javascript:alert(1)//"}, expect=400)
    assert b"javascript" not in reply.body
    reply = await stack.wes.get("/", headers={"Host": "wes.example.org:8090"}, expect=200)
    assert reply.json["docs"] == "http://wes.example.org:8090/docs"


async def test_rfc_7239_forwarded_from_a_trusted_proxy(stack: Stack) -> None:
    """The last element is the nearest proxy's; X-Forwarded-* win when a proxy sends both."""
    forwarded = "proto=http;host=client-set.example, for=10.1.2.3;proto=https;host=wes.example.org"
    links = (await stack.wes.get("/", headers={"Forwarded": forwarded}, expect=200)).json
    assert links["docs"] == "https://wes.example.org/docs"
    both = {"Forwarded": forwarded, "X-Forwarded-Host": "proxy.example.org"}
    links = (await stack.wes.get("/", headers=both, expect=200)).json
    assert links["docs"] == "http://proxy.example.org/docs"


async def test_of_a_list_the_value_the_nearest_proxy_wrote_counts(stack: Stack) -> None:
    headers = {"X-Forwarded-Host": "client-set.example, wes.example.org"}
    links = (await stack.wes.get("/", headers=headers, expect=200)).json
    assert links["docs"] == "http://wes.example.org/docs"
