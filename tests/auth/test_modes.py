"""What every mode shares: NO_AUTH's bind rule and warning, anonymous service-info, and the auth
settings refused before the gateway may start."""

import dataclasses
import logging
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from cromwes.auth.checks import auth_problems
from cromwes.auth.select import authenticator_for
from cromwes.config.checks import settings_problems
from cromwes.config.loading import ConfigError, load_settings
from cromwes.config.settings import (
    AuthMethod,
    AuthSettings,
    Duration,
    ServerSettings,
    Settings,
    TokenIssuerSettings,
)
from tests.auth.conftest import Gateway, error_body, token_auth
from tests.auth.issuer import Issuer, KeyPair

PROJECT = Path(__file__).resolve().parents[2]
SERVICE_INFO = "/ga4gh/wes/v1/service-info"
PASSED_AUTH = "/ga4gh/wes/v1/runs/not-a-run/status"
PUBLIC_WARNING = "NO_AUTH on 0.0.0.0: every client that reaches this address can submit"


async def test_no_auth_lets_anyone_in_and_ignores_credentials(gateway: Gateway) -> None:
    client = await gateway(AuthSettings(method=AuthMethod.NO_AUTH))
    await error_body(await client.get(PASSED_AUTH), 404)
    headers = {"Authorization": "Bearer not-a-jwt"}
    await error_body(await client.get(PASSED_AUTH, headers=headers), 404)


async def test_no_auth_on_a_public_address_is_logged_loudly(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="cromwes.auth.select"):
        await gateway(
            AuthSettings(method=AuthMethod.NO_AUTH),
            server=ServerSettings(address="0.0.0.0", public_no_auth=True),
        )
    assert [record.getMessage()[: len(PUBLIC_WARNING)] for record in auth_lines(caplog)] == [
        PUBLIC_WARNING
    ]


async def test_no_auth_on_loopback_is_not_a_warning(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="cromwes.auth.select"):
        await gateway(AuthSettings(method=AuthMethod.NO_AUTH))
    assert auth_lines(caplog) == []


def auth_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "cromwes.auth.select"]


def test_no_auth_binds_loopback_unless_told_otherwise() -> None:
    assert Settings().bind_address == "127.0.0.1"
    public = Settings(server=ServerSettings(address="0.0.0.0"))
    assert any("NO_AUTH may only bind loopback" in p for p in settings_problems(public))
    allowed = Settings(server=ServerSettings(address="0.0.0.0", public_no_auth=True))
    assert settings_problems(allowed) == []


def test_per_user_runs_need_a_mode_that_identifies_callers() -> None:
    settings = Settings(auth=AuthSettings(method=AuthMethod.NO_AUTH, per_user_runs=True))
    assert any(
        "auth.per_user_runs: NO_AUTH does not identify" in p for p in auth_problems(settings)
    )


async def test_anonymous_service_info_shows_no_counts(gateway: Gateway, issuer: Issuer) -> None:
    client = await gateway(token_auth(AuthMethod.OAUTH, issuer))
    response = await client.get(SERVICE_INFO)
    assert response.status == 200
    assert (await response.json())["system_state_counts"] == {}


def oauth_settings(**token_issuer: Any) -> Settings:
    return Settings(
        auth=AuthSettings(
            method=AuthMethod.OAUTH,
            issuer_uri="https://issuer.example.org",
            token_issuer=dataclasses.replace(TokenIssuerSettings(), **token_issuer),
        )
    )


@pytest.mark.parametrize(
    ("token_issuer", "problem"),
    [
        ({"algorithms": ("RS256", "HS256")}, "not ['HS256']"),
        ({"algorithms": ("none",)}, "not ['none']"),
        ({"algorithms": ("RS999",)}, "not ['RS999']"),
        ({"algorithms": ()}, "name at least one algorithm"),
        ({"rsa_public_key": "c2VjcmV0"}, "rsa_public_key: not a PEM or base64 DER public key"),
        ({"leeway": Duration(-1)}, "leeway: must be between 0 and 300"),
        ({"leeway": Duration(3600)}, "leeway: must be between 0 and 300"),
        ({"jwks_refresh_interval": Duration(0)}, "jwks_refresh_interval: must be positive"),
        ({"jwks_max_age": Duration(10)}, "jwks_max_age: must not be below"),
        ({"jwk_set_uri": "file:///etc/passwd"}, "jwk_set_uri: not an http(s) URL"),
    ],
)
def test_unsafe_token_settings_stop_startup(token_issuer: dict[str, Any], problem: str) -> None:
    problems = auth_problems(oauth_settings(**token_issuer))
    assert any(problem in p for p in problems), problems


def test_the_default_token_settings_are_usable(rsa_key: KeyPair) -> None:
    assert auth_problems(oauth_settings()) == []
    assert auth_problems(oauth_settings(rsa_public_key=rsa_key.public_der_base64)) == []


def test_the_reference_variables_and_ours_bind() -> None:
    settings = load_settings(
        None,
        {
            "WES_AUTH_METHOD": "PASSPORT",
            "WES_AUTH_ISSUER_URI": "https://passport.example.org",
            "WES_AUTH_TOKEN_ISSUER_JWK_SET_URI": "https://passport.example.org/oauth/jwks",
            "WES_AUTH_TOKEN_ISSUER_JWKS_REFRESH_INTERVAL": "30s",
            "WES_AUTH_TOKEN_ISSUER_JWKS_MAX_AGE": "2m",
            "WES_AUTH_TOKEN_ISSUER_ALGORITHMS": "RS256,ES256",
            "WES_AUTH_USER_CLAIM": "email",
            "WES_AUTH_PER_USER_RUNS": "true",
        },
    )
    issuer = settings.auth.token_issuer
    assert settings.issuer == "https://passport.example.org"
    assert issuer.jwk_set_uri == "https://passport.example.org/oauth/jwks"
    assert (issuer.jwks_refresh_interval, issuer.jwks_max_age) == (30.0, 120.0)
    assert issuer.algorithms == ("RS256", "ES256")
    assert (settings.auth.user_claim, settings.auth.per_user_runs) == ("email", True)


def test_a_symmetric_algorithm_in_the_environment_is_refused() -> None:
    with pytest.raises(ConfigError, match="HS256"):
        load_settings(
            None,
            {"WES_AUTH_METHOD": "OAUTH", "WES_AUTH_TOKEN_ISSUER_ALGORITHMS": "HS256"},
            checks=(auth_problems,),
        )


@pytest.mark.parametrize("name", ["oauth.yaml", "passport.yaml", "basic-auth.yaml"])
async def test_the_auth_examples_in_config_load_and_build_their_authenticator(name: str) -> None:
    settings = load_settings(PROJECT / "config" / name, {})
    async with aiohttp.ClientSession() as session:
        authenticator = authenticator_for(settings, session)
    assert type(authenticator).__name__ == EXPECTED_AUTHENTICATORS[settings.auth.method]


EXPECTED_AUTHENTICATORS = {
    AuthMethod.OAUTH: "BearerAuthenticator",
    AuthMethod.PASSPORT: "PassportAuthenticator",
    AuthMethod.BASIC_AUTH: "BasicAuthenticator",
}
