"""Where the gateway gets the issuer's keys, and how often it asks: discovery, JWKS URI, static
key, caching, the refetch limit under bogus kids, rotation and withdrawal, issuer outages."""

import asyncio
from typing import Any

import pytest

from cromwes.auth.keys import jwks_signing_keys, static_key
from cromwes.config.settings import AuthMethod, Duration
from tests.auth.conftest import Client, Gateway, error_body, token_auth
from tests.auth.issuer import FakeClock, Issuer, KeyPair, bearer

PROTECTED = "/ga4gh/wes/v1/runs"
PASSED_AUTH = "/ga4gh/wes/v1/runs/not-a-run/status"
INTERVAL = 60.0
MAX_AGE = 3600.0


async def oauth(gateway: Gateway, issuer: Issuer, **token_issuer: Any) -> Client:
    return await gateway(
        token_auth(
            AuthMethod.OAUTH,
            issuer,
            jwks_refresh_interval=Duration(INTERVAL),
            jwks_max_age=Duration(MAX_AGE),
            **token_issuer,
        )
    )


async def test_keys_are_discovered_from_the_issuer_and_cached(
    gateway: Gateway, issuer: Issuer, rsa_key: KeyPair
) -> None:
    client = await oauth(gateway, issuer)
    for _ in range(3):
        await error_body(await client.get(PASSED_AUTH, headers=bearer(issuer.token(rsa_key))), 404)
    assert (issuer.discovery_requests, issuer.jwks_requests) == (1, 1)


async def test_a_configured_jwk_set_uri_is_used_without_discovery(
    gateway: Gateway, issuer: Issuer, rsa_key: KeyPair
) -> None:
    client = await oauth(gateway, issuer, jwk_set_uri=issuer.jwks_uri)
    await error_body(await client.get(PASSED_AUTH, headers=bearer(issuer.token(rsa_key))), 404)
    assert (issuer.discovery_requests, issuer.jwks_requests) == (0, 1)


async def test_a_discovery_document_naming_another_issuer_is_not_trusted(
    gateway: Gateway, issuer: Issuer, rsa_key: KeyPair
) -> None:
    issuer.discovery_issuer = "https://evil.example.org"
    client = await oauth(gateway, issuer)
    response = await client.get(PASSED_AUTH, headers=bearer(issuer.token(rsa_key)))
    body = await error_body(response, 502)
    assert "names issuer 'https://evil.example.org'" in body["msg"]
    assert issuer.jwks_requests == 0


async def test_an_unreachable_key_set_is_502(
    gateway: Gateway, issuer: Issuer, rsa_key: KeyPair, cromwell_url: str
) -> None:
    client = await oauth(gateway, issuer, jwk_set_uri=f"{cromwell_url}/jwks")
    response = await client.get(PASSED_AUTH, headers=bearer(issuer.token(rsa_key)))
    body = await error_body(response, 502)
    assert "signing keys are unavailable" in body["msg"]


async def test_concurrent_first_requests_share_one_fetch(
    gateway: Gateway, issuer: Issuer, rsa_key: KeyPair
) -> None:
    client = await oauth(gateway, issuer, jwk_set_uri=issuer.jwks_uri)
    token = issuer.token(rsa_key)
    responses = await asyncio.gather(
        *(client.get(PASSED_AUTH, headers=bearer(token)) for _ in range(20))
    )
    assert [response.status for response in responses] == [404] * 20
    assert issuer.jwks_requests == 1


async def test_bogus_kids_cost_at_most_one_fetch_per_interval(
    gateway: Gateway, issuer: Issuer, rsa_key: KeyPair, clock: FakeClock
) -> None:
    client = await oauth(gateway, issuer, jwk_set_uri=issuer.jwks_uri)

    async def flood(count: int) -> None:
        responses = await asyncio.gather(
            *(
                client.get(PROTECTED, headers=bearer(issuer.token(rsa_key, {"kid": f"bogus-{n}"})))
                for n in range(count)
            )
        )
        assert {response.status for response in responses} == {401}

    await flood(50)
    assert issuer.jwks_requests == 1
    clock.advance(INTERVAL - 1)
    await flood(10)
    assert issuer.jwks_requests == 1
    clock.advance(1)
    await flood(10)
    assert issuer.jwks_requests == 2


async def test_a_rotated_key_is_accepted_without_restart(
    gateway: Gateway, issuer: Issuer, rsa_key: KeyPair, rotated_key: KeyPair, clock: FakeClock
) -> None:
    client = await oauth(gateway, issuer)
    await error_body(await client.get(PASSED_AUTH, headers=bearer(issuer.token(rsa_key))), 404)
    issuer.keys = [rotated_key]
    new_token = issuer.token(rotated_key)

    # Within the interval the new kid is refused and costs the issuer nothing...
    await error_body(await client.get(PASSED_AUTH, headers=bearer(new_token)), 401)
    assert issuer.jwks_requests == 1
    # ...after it, the new key is fetched and accepted, and the withdrawn one no longer is.
    clock.advance(INTERVAL)
    await error_body(await client.get(PASSED_AUTH, headers=bearer(new_token)), 404)
    await error_body(await client.get(PASSED_AUTH, headers=bearer(issuer.token(rsa_key))), 401)
    assert issuer.jwks_requests == 2


async def test_a_withdrawn_key_stops_verifying_once_the_set_is_older_than_max_age(
    gateway: Gateway, issuer: Issuer, rsa_key: KeyPair, ec_key: KeyPair, clock: FakeClock
) -> None:
    client = await oauth(gateway, issuer)
    token = issuer.token(rsa_key)
    await error_body(await client.get(PASSED_AUTH, headers=bearer(token)), 404)
    issuer.keys = [ec_key]
    clock.advance(MAX_AGE - 1)
    await error_body(await client.get(PASSED_AUTH, headers=bearer(token)), 404)
    clock.advance(1)
    await error_body(await client.get(PASSED_AUTH, headers=bearer(token)), 401)
    assert (issuer.discovery_requests, issuer.jwks_requests) == (1, 2)


async def test_cached_keys_outlive_an_issuer_outage(
    gateway: Gateway, issuer: Issuer, rsa_key: KeyPair, clock: FakeClock
) -> None:
    client = await oauth(gateway, issuer, jwk_set_uri=issuer.jwks_uri)
    await error_body(await client.get(PASSED_AUTH, headers=bearer(issuer.token(rsa_key))), 404)
    issuer.broken = True
    clock.advance(MAX_AGE)
    await error_body(await client.get(PASSED_AUTH, headers=bearer(issuer.token(rsa_key))), 404)
    assert issuer.jwks_requests == 2


async def test_an_issuer_down_at_first_use_is_asked_again_after_the_interval(
    gateway: Gateway, issuer: Issuer, rsa_key: KeyPair, clock: FakeClock
) -> None:
    client = await oauth(gateway, issuer, jwk_set_uri=issuer.jwks_uri)
    issuer.broken = True
    for _ in range(3):
        response = await client.get(PASSED_AUTH, headers=bearer(issuer.token(rsa_key)))
        assert "answered HTTP 500" in (await error_body(response, 502))["msg"]
    assert issuer.jwks_requests == 1
    issuer.broken = False
    clock.advance(INTERVAL)
    await error_body(await client.get(PASSED_AUTH, headers=bearer(issuer.token(rsa_key))), 404)


async def test_a_token_without_kid_is_accepted_when_the_issuer_has_one_key(
    gateway: Gateway, issuer: Issuer, rsa_key: KeyPair
) -> None:
    issuer.keys = [rsa_key]
    client = await oauth(gateway, issuer)
    token = issuer.token(rsa_key, with_kid=False)
    await error_body(await client.get(PASSED_AUTH, headers=bearer(token)), 404)


async def test_a_token_without_kid_is_refused_when_the_issuer_has_several_keys(
    gateway: Gateway, issuer: Issuer, rsa_key: KeyPair
) -> None:
    client = await oauth(gateway, issuer)
    token = issuer.token(rsa_key, with_kid=False)
    await error_body(await client.get(PASSED_AUTH, headers=bearer(token)), 401)


@pytest.mark.parametrize("form", ["pem", "base64-der"])
async def test_a_static_public_key_verifies_without_asking_the_issuer(
    gateway: Gateway, issuer: Issuer, rsa_key: KeyPair, rotated_key: KeyPair, form: str
) -> None:
    text = rsa_key.public_pem.decode() if form == "pem" else rsa_key.public_der_base64
    client = await oauth(gateway, issuer, rsa_public_key=text)
    await error_body(await client.get(PASSED_AUTH, headers=bearer(issuer.token(rsa_key))), 404)
    await error_body(await client.get(PROTECTED, headers=bearer(issuer.token(rotated_key))), 401)
    assert sum(issuer.requests.values()) == 0


def test_only_usable_signature_keys_are_read_from_a_jwks(rsa_key: KeyPair, ec_key: KeyPair) -> None:
    allowed = ("RS256", "ES256")
    document = {
        "keys": [
            {**rsa_key.jwk, "kid": "plain"},
            {**rsa_key.jwk, "kid": "pinned", "alg": "RS256"},
            {**rsa_key.jwk, "kid": "pinned-elsewhere", "alg": "PS512"},
            {**rsa_key.jwk, "kid": "hmac-claim", "alg": "HS256"},
            {**rsa_key.jwk, "kid": "encryption", "use": "enc"},
            {"kty": "oct", "kid": "shared-secret", "k": "c2VjcmV0"},
            {"kty": "RSA", "kid": "broken", "n": "???", "e": "AQAB"},
            {**ec_key.jwk, "kid": "ec"},
            "not a key",
        ]
    }
    keys = {key.kid: key.algorithms for key in jwks_signing_keys(document, allowed)}
    assert keys == {"plain": {"RS256"}, "pinned": {"RS256"}, "ec": {"ES256"}}


@pytest.mark.parametrize("document", [[], {"keys": {}}, {"no": "keys"}])
def test_a_document_without_a_keys_list_is_not_a_jwks(document: Any) -> None:
    with pytest.raises(ValueError, match="keys"):
        jwks_signing_keys(document, ("RS256",))


def test_a_static_key_must_parse_and_suit_an_allowed_algorithm(
    rsa_key: KeyPair, ec_key: KeyPair
) -> None:
    assert static_key(ec_key.public_pem.decode(), ("ES256",)).algorithms == {"ES256"}
    with pytest.raises(ValueError, match="not a PEM or base64 DER public key"):
        static_key("c2VjcmV0", ("RS256",))
    with pytest.raises(ValueError, match="none of the allowed algorithms"):
        static_key(ec_key.public_pem.decode(), ("RS256",))
