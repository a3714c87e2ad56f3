"""Build the authenticator `auth.method` names, on the application's one HTTP session."""

import logging
import time
from collections.abc import Callable

import aiohttp

from cromwes.auth.base import Authenticator
from cromwes.auth.basic import BasicAuthenticator
from cromwes.auth.jwks import JwksKeys
from cromwes.auth.jwt import BearerAuthenticator, TokenRules
from cromwes.auth.keys import KeySource, StaticKey, static_key
from cromwes.auth.none import NoAuthenticator
from cromwes.auth.passport import PassportAuthenticator
from cromwes.config.checks import LOOPBACK
from cromwes.config.settings import AuthMethod, Settings

logger = logging.getLogger(__name__)


def authenticator_for(
    settings: Settings,
    session: aiohttp.ClientSession,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> Authenticator:
    """The authenticator of `settings.auth.method`; JWKS fetches go through `session`."""
    auth = settings.auth
    if auth.method is AuthMethod.NO_AUTH:
        if settings.bind_address not in LOOPBACK:
            logger.warning(
                "NO_AUTH on %s: every client that reaches this address can submit and cancel runs",
                settings.bind_address,
            )
        return NoAuthenticator()
    if auth.method is AuthMethod.BASIC_AUTH:
        return BasicAuthenticator(
            auth.basic_auth.users, bcrypted=auth.basic_auth.bcrypted, clock=clock
        )
    keys = key_source(settings, session, clock=clock)
    rules = token_rules(settings)
    if auth.method is AuthMethod.PASSPORT:
        return PassportAuthenticator(keys, rules)
    return BearerAuthenticator(keys, rules)


def token_rules(settings: Settings) -> TokenRules:
    issuer = settings.auth.token_issuer
    return TokenRules(
        issuer=settings.issuer,
        audiences=settings.audiences,
        algorithms=issuer.algorithms,
        leeway=issuer.leeway,
        required_scopes=frozenset(issuer.scopes),
        user_claim=settings.auth.user_claim,
    )


def key_source(
    settings: Settings, session: aiohttp.ClientSession, *, clock: Callable[[], float]
) -> KeySource:
    """A static key when one is configured (as the reference service), else the issuer's JWKS."""
    issuer = settings.auth.token_issuer
    if issuer.rsa_public_key:
        return StaticKey(static_key(issuer.rsa_public_key, issuer.algorithms))
    return JwksKeys(
        session,
        issuer=settings.issuer,
        jwks_uri=issuer.jwk_set_uri,
        algorithms=issuer.algorithms,
        refresh_interval=issuer.jwks_refresh_interval,
        max_age=issuer.jwks_max_age,
        clock=clock,
    )
