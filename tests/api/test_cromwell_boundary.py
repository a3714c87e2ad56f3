"""What the gateway sends Cromwell stays between them: the emulator's request log (served on its
admin listener only, never on the Cromwell port the gateway talks to) keeps no credentials."""

import base64
import json

import aiohttp

from tests.api.conftest import MakeStack, hello_form

PASSWORD = "gateway-to-cromwell-password"


async def test_the_request_log_shows_that_the_gateway_authenticated_not_how(
    make_stack: MakeStack,
) -> None:
    stack = await make_stack(settings={"cromwell": {"username": "wes", "password": PASSWORD}})
    await stack.wes.submit(hello_form())
    entries = await stack.requests_to_cromwell("/api/workflows/v1")
    assert entries, "the gateway sent Cromwell nothing"
    assert {entry["headers"]["Authorization"] for entry in entries} == {"Basic <redacted>"}
    text = json.dumps(entries)
    assert PASSWORD not in text
    assert base64.b64encode(f"wes:{PASSWORD}".encode()).decode() not in text


async def test_the_cromwell_url_of_the_gateway_does_not_serve_the_request_log(
    make_stack: MakeStack,
) -> None:
    stack = await make_stack()
    await stack.wes.submit(hello_form())
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{stack.settings.cromwell.url}/_emulator/requests") as response,
    ):
        assert response.status == 404
        assert await response.text() == "The requested resource could not be found."
    assert await stack.requests_to_cromwell("/api/workflows/v1"), "the admin listener serves it"
