"""BASIC_AUTH over HTTP: plain and bcrypt passwords, refusals, and the hash-password command."""

import base64

import bcrypt
import pytest

from cromwes.__main__ import main
from cromwes.config.settings import AuthMethod, AuthSettings, BasicAuthSettings, BasicAuthUser
from tests.auth.conftest import Client, Gateway, error_body

PROTECTED = "/ga4gh/wes/v1/runs"
PASSED_AUTH = "/ga4gh/wes/v1/runs/not-a-run/status"
CHALLENGE = 'Basic realm="cromwes"'


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def basic(username: str, password: str) -> dict[str, str]:
    return {"Authorization": f"Basic {b64(f'{username}:{password}'.encode())}"}


def basic_auth(bcrypted: bool, **passwords: str) -> AuthSettings:
    users = tuple(BasicAuthUser(username=name, password=pw) for name, pw in passwords.items())
    return AuthSettings(
        method=AuthMethod.BASIC_AUTH,
        basic_auth=BasicAuthSettings(users=users, bcrypted=bcrypted),
    )


def cheap_hash(password: str) -> str:
    # Cost 4, the lowest bcrypt allows, keeps the suite fast; production hashes use the default.
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()


@pytest.fixture(params=["plain", "bcrypt"])
async def client(request: pytest.FixtureRequest, gateway: Gateway) -> Client:
    if request.param == "plain":
        return await gateway(basic_auth(False, alice="wonderland", bob="builder"))
    return await gateway(
        basic_auth(True, alice=cheap_hash("wonderland"), bob=cheap_hash("builder"))
    )


async def test_the_right_password_gets_through(client: Client) -> None:
    await error_body(await client.get(PASSED_AUTH, headers=basic("alice", "wonderland")), 404)
    await error_body(await client.get(PASSED_AUTH, headers=basic("bob", "builder")), 404)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-credentials"),
        pytest.param(basic("alice", "builder"), id="wrong-password"),
        pytest.param(basic("alice", "wonderland!"), id="longer-password"),
        pytest.param(basic("alice", ""), id="empty-password"),
        pytest.param(basic("carol", "wonderland"), id="unknown-user"),
        pytest.param(basic("Alice", "wonderland"), id="user-name-case"),
        pytest.param(basic("alice", "x" * 100), id="over-bcrypt-limit"),
        pytest.param({"Authorization": "Basic !!!"}, id="not-base64"),
        pytest.param({"Authorization": "Basic " + b64(b"alice")}, id="no-colon"),
        pytest.param({"Authorization": "Basic " + b64(b"\xff:x")}, id="not-utf8"),
        pytest.param({"Authorization": "Bearer abc.def.ghi"}, id="bearer-token"),
    ],
)
async def test_bad_credentials_are_401_with_a_basic_challenge(
    client: Client, headers: dict[str, str]
) -> None:
    response = await client.get(PROTECTED, headers=headers)
    await error_body(response, 401)
    assert response.headers["WWW-Authenticate"] == CHALLENGE


async def test_a_public_path_with_a_wrong_password_is_401(client: Client) -> None:
    response = await client.get("/docs/openapi.json", headers=basic("alice", "nope"))
    await error_body(response, 401)


async def test_a_public_path_needs_no_credentials(client: Client) -> None:
    assert (await client.get("/docs/openapi.json")).status == 200


async def test_a_hash_from_the_hash_password_command_verifies(
    gateway: Gateway, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["hash-password", "--password", "s3cret pass"]) == 0
    hashed = capsys.readouterr().out.strip()
    assert hashed.startswith("$2")
    client = await gateway(basic_auth(True, alice=hashed))
    await error_body(await client.get(PASSED_AUTH, headers=basic("alice", "s3cret pass")), 404)
    await error_body(await client.get(PASSED_AUTH, headers=basic("alice", "s3cret")), 401)
