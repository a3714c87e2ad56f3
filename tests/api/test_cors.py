"""CORS: off unless origins are configured; then preflights and responses carry the headers."""

from tests.api.basic import BASIC_AUTH
from tests.api.conftest import MakeStack, Stack

UI = "https://ui.example.org"
PREFLIGHT = {
    "Origin": UI,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "Authorization, Content-Type",
}


async def test_cors_is_off_by_default(stack: Stack) -> None:
    reply = await stack.wes.get("service-info", headers={"Origin": UI}, expect=200)
    assert "Access-Control-Allow-Origin" not in reply.headers
    reply = await stack.wes.call("OPTIONS", "runs", headers=PREFLIGHT)
    assert reply.status == 405
    assert "Access-Control-Allow-Origin" not in reply.headers


async def test_configured_origins_may_call_from_a_browser(make_stack: MakeStack) -> None:
    stack = await make_stack(settings={"observability": {"cors_allowed_origins": [UI]}})
    preflight = await stack.wes.call("OPTIONS", "runs", headers=PREFLIGHT, expect=200)
    assert preflight.headers["Access-Control-Allow-Origin"] == UI
    assert preflight.headers["Access-Control-Allow-Methods"] == "POST"
    allowed = preflight.headers["Access-Control-Allow-Headers"].lower().replace(" ", "")
    assert set(allowed.split(",")) == {"authorization", "content-type"}
    reply = await stack.wes.get("runs", headers={"Origin": UI}, expect=200)
    assert reply.headers["Access-Control-Allow-Origin"] == UI
    assert "X-Request-ID" in reply.headers["Access-Control-Expose-Headers"]


async def test_other_origins_get_no_cors_headers(make_stack: MakeStack) -> None:
    stack = await make_stack(settings={"observability": {"cors_allowed_origins": [UI]}})
    reply = await stack.wes.get("runs", headers={"Origin": "https://evil.example"}, expect=200)
    assert "Access-Control-Allow-Origin" not in reply.headers
    preflight = await stack.wes.call(
        "OPTIONS", "runs", headers={**PREFLIGHT, "Origin": "https://evil.example"}
    )
    assert preflight.status == 403
    assert "Access-Control-Allow-Origin" not in preflight.headers


async def test_preflights_need_no_credentials_when_auth_is_on(make_stack: MakeStack) -> None:
    stack = await make_stack(
        settings={**BASIC_AUTH, "observability": {"cors_allowed_origins": [UI]}}
    )
    await stack.wes.call("OPTIONS", "runs", headers=PREFLIGHT, expect=200)
