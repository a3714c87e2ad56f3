"""OAUTH mode over HTTP: which bearer tokens the gateway refuses, and how it says so."""

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import pytest

from cromwes.config.settings import AuthMethod
from tests.auth.conftest import Client, Gateway, error_body, token_auth
from tests.auth.issuer import Issuer, KeyPair, bearer, hmac_token, tampered, unsigned_token

WES = "/ga4gh/wes/v1"
RUNS = f"{WES}/runs"
PASSED_AUTH = f"{WES}/runs/not-a-run/status"
"""A protected route whose handler answers 404 before calling Cromwell: reaching it proves the
caller got through authentication and authorization."""
INVALID_TOKEN = 'Bearer realm="cromwes", error="invalid_token", error_description='

TokenMaker = Callable[[Issuer, KeyPair, KeyPair], str]


@pytest.fixture
async def client(gateway: Gateway, issuer: Issuer) -> Client:
    return await gateway(token_auth(AuthMethod.OAUTH, issuer))


async def test_a_request_without_a_token_is_401_with_a_bare_bearer_challenge(
    client: Client,
) -> None:
    response = await client.get(RUNS)
    body = await error_body(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="cromwes"'
    assert "bearer token is required" in body["msg"]


async def test_basic_credentials_are_not_a_bearer_token(client: Client) -> None:
    response = await client.get(RUNS, headers={"Authorization": "Basic YWxpY2U6c2VjcmV0"})
    await error_body(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="cromwes"'


def _now() -> int:
    return int(time.time())


REFUSED: list[object] = [
    pytest.param(lambda i, k, o: "not-a-jwt", "not a well-formed JWT", id="malformed"),
    pytest.param(lambda i, k, o: "e30.e30.e30", "algorithm is not one of", id="no-alg"),
    pytest.param(
        lambda i, k, o: unsigned_token(i.claims(), k.kid), "algorithm is not one of", id="alg-none"
    ),
    pytest.param(
        lambda i, k, o: hmac_token(i.claims(), k.public_pem, k.kid),
        "algorithm is not one of",
        id="hs256-signed-with-the-public-key",
    ),
    pytest.param(
        lambda i, k, o: i.token(k, exp=_now() - 3600, iat=_now() - 7200),
        "has expired",
        id="expired",
    ),
    pytest.param(
        lambda i, k, o: i.token(k, nbf=_now() + 3600), "not valid yet", id="not-yet-valid"
    ),
    pytest.param(
        lambda i, k, o: i.token(k, iat=_now() + 3600), "not valid yet", id="issued-in-the-future"
    ),
    pytest.param(
        lambda i, k, o: i.token(k, iss="https://evil.example.org"),
        "another issuer",
        id="wrong-issuer",
    ),
    pytest.param(
        lambda i, k, o: i.token(k, aud="https://other.example.org"),
        "not meant for this service",
        id="wrong-audience",
    ),
    pytest.param(lambda i, k, o: i.token(k, aud=None), "no aud claim", id="no-audience"),
    pytest.param(lambda i, k, o: i.token(k, exp=None), "no exp claim", id="no-expiry"),
    pytest.param(lambda i, k, o: i.token(k, sub=None), "no sub claim", id="no-subject"),
    pytest.param(
        lambda i, k, o: i.token(k, headers={"kid": "no-such-key"}),
        "key the issuer does not publish",
        id="unknown-kid",
    ),
    pytest.param(
        lambda i, k, o: tampered(i.token(k), sub="mallory"),
        "signature does not verify",
        id="tampered-payload",
    ),
    pytest.param(
        lambda i, k, o: i.token(o, headers={"kid": k.kid}),
        "signature does not verify",
        id="signed-by-an-unpublished-key",
    ),
    pytest.param(
        lambda i, k, o: tampered(i.token(k), exp=_now() + 10**9),
        "signature does not verify",
        id="extended-expiry",
    ),
]


@pytest.mark.parametrize(("make_token", "description"), REFUSED)
async def test_a_bad_token_is_401_invalid_token(
    client: Client,
    issuer: Issuer,
    rsa_key: KeyPair,
    rotated_key: KeyPair,
    make_token: TokenMaker,
    description: str,
) -> None:
    response = await client.get(RUNS, headers=bearer(make_token(issuer, rsa_key, rotated_key)))
    body = await error_body(response, 401)
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith(INVALID_TOKEN)
    assert description in challenge
    assert description in body["msg"]


async def test_an_rsa_kid_with_an_ec_signature_is_refused(
    client: Client, issuer: Issuer, rsa_key: KeyPair, ec_key: KeyPair
) -> None:
    token = issuer.token(ec_key, headers={"kid": rsa_key.kid})
    response = await client.get(RUNS, headers=bearer(token))
    await error_body(response, 401)
    assert "does not suit the issuer's key" in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({}, id="rsa"),
        pytest.param({"iat": None}, id="without-iat"),
        # A callable: evaluated when the test runs, not when it is collected.
        pytest.param({"exp": lambda: _now() - 10}, id="expired-within-leeway"),
        pytest.param({"aud": ["https://other.example.org", "https://wes.example.org/"]}, id="aud"),
    ],
)
async def test_a_valid_token_gets_through(
    client: Client, issuer: Issuer, rsa_key: KeyPair, changes: dict[str, Any]
) -> None:
    claims = {name: value() if callable(value) else value for name, value in changes.items()}
    response = await client.get(PASSED_AUTH, headers=bearer(issuer.token(rsa_key, **claims)))
    await error_body(response, 404)


async def test_an_ec_signed_token_gets_through(
    client: Client, issuer: Issuer, ec_key: KeyPair
) -> None:
    response = await client.get(PASSED_AUTH, headers=bearer(issuer.token(ec_key)))
    await error_body(response, 404)


async def test_the_issuer_may_write_its_url_with_a_trailing_slash(
    client: Client, issuer: Issuer, rsa_key: KeyPair
) -> None:
    token = issuer.token(rsa_key, iss=issuer.url + "/")
    response = await client.get(PASSED_AUTH, headers=bearer(token))
    await error_body(response, 404)


async def test_a_token_without_a_required_scope_is_403_insufficient_scope(
    gateway: Gateway, issuer: Issuer, rsa_key: KeyPair
) -> None:
    client = await gateway(token_auth(AuthMethod.OAUTH, issuer, scopes=("wes", "runs:write")))
    response = await client.get(RUNS, headers=bearer(issuer.token(rsa_key, scope="openid wes")))
    body = await error_body(response, 403)
    assert "runs:write" in body["msg"]
    assert response.headers["WWW-Authenticate"] == (
        'Bearer realm="cromwes", error="insufficient_scope", scope="runs:write wes"'
    )


@pytest.mark.parametrize(
    "scopes",
    [
        pytest.param({"scope": "openid runs:write wes"}, id="scope-string"),
        pytest.param({"scope": None, "scp": ["wes", "runs:write"]}, id="scp-list"),
        pytest.param({"scope": None, "scp": "wes runs:write"}, id="scp-string"),
    ],
)
async def test_required_scopes_are_read_from_scope_or_scp(
    gateway: Gateway, issuer: Issuer, rsa_key: KeyPair, scopes: dict[str, Any]
) -> None:
    client = await gateway(token_auth(AuthMethod.OAUTH, issuer, scopes=("wes", "runs:write")))
    response = await client.get(PASSED_AUTH, headers=bearer(issuer.token(rsa_key, **scopes)))
    await error_body(response, 404)


async def test_the_user_id_comes_from_the_configured_claim(
    gateway: Gateway, issuer: Issuer, rsa_key: KeyPair
) -> None:
    auth = dataclasses.replace(token_auth(AuthMethod.OAUTH, issuer), user_claim="email")
    client = await gateway(auth)
    refused = await client.get(PASSED_AUTH, headers=bearer(issuer.token(rsa_key)))
    assert "no email claim" in (await error_body(refused, 401))["msg"]
    token = issuer.token(rsa_key, email="alice@example.org")
    await error_body(await client.get(PASSED_AUTH, headers=bearer(token)), 404)


async def test_public_paths_let_anonymous_callers_in(client: Client) -> None:
    response = await client.get("/docs/openapi.json")
    assert response.status == 200


async def test_a_public_path_with_a_bad_token_is_401(client: Client) -> None:
    response = await client.get(f"{WES}/service-info", headers=bearer("not-a-jwt"))
    await error_body(response, 401)
    assert response.headers["WWW-Authenticate"].startswith(INVALID_TOKEN)


async def test_a_public_path_with_a_valid_token_is_served(
    client: Client, issuer: Issuer, rsa_key: KeyPair
) -> None:
    response = await client.get("/docs/openapi.json", headers=bearer(issuer.token(rsa_key)))
    assert response.status == 200


async def test_a_cors_preflight_needs_no_token(client: Client) -> None:
    response = await client.options(RUNS, headers={"Origin": "https://app.example.org"})
    assert response.status != 401
