"""The token issuer's public keys: parsed from a PEM or DER key, or from a JWKS document.

Only signature keys of asymmetric types are kept: symmetric (`oct`) and encryption-only
(`use: enc`) entries are skipped, and each key is bound to the algorithms its type can verify
(`cromwes.auth.algorithms`). Fetching a JWKS over HTTP is `cromwes.auth.jwks`.
"""

import base64
import binascii
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import jwt
from cryptography.hazmat.primitives.serialization import load_der_public_key, load_pem_public_key

from cromwes.auth.algorithms import PublicKey, key_algorithms

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A public key of the issuer and the algorithms it may verify."""

    key: PublicKey
    algorithms: frozenset[str]
    kid: str | None = None


class KeySource(Protocol):
    """Finds the key that verifies a token."""

    async def signing_key(self, kid: str | None) -> SigningKey | None:
        """The key for this `kid` (None: the token named none), or None if the issuer has none.

        Raises `UpstreamError` when the keys cannot be fetched at all.
        """
        ...


class StaticKey:
    """One public key from the settings (`auth.token_issuer.rsa_public_key`)."""

    def __init__(self, key: SigningKey) -> None:
        self._key = key

    async def signing_key(self, kid: str | None) -> SigningKey | None:
        # The reference service used its static key whatever the token's kid said (§6.1).
        return self._key


def static_key(text: str, allowed: Collection[str]) -> SigningKey:
    """Parse a PEM public key, or the bare base64 DER the reference service accepts (§7).

    Raises ValueError naming what is wrong.
    """
    data = text.strip()
    try:
        if data.startswith("-----BEGIN"):
            key = load_pem_public_key(data.encode())
        else:
            key = load_der_public_key(base64.b64decode("".join(data.split()), validate=True))
    except (ValueError, binascii.Error) as exc:
        raise ValueError(f"not a PEM or base64 DER public key: {exc}") from exc
    if not isinstance(key, PublicKey):
        raise ValueError(f"unsupported key type {type(key).__name__}")
    algorithms = key_algorithms(key) & frozenset(allowed)
    if not algorithms:
        raise ValueError("none of the allowed algorithms can be verified with this key")
    return SigningKey(key, algorithms)


def jwks_signing_keys(document: Any, allowed: Collection[str]) -> tuple[SigningKey, ...]:
    """The usable signature keys of a JWKS document (RFC 7517 §5); unusable entries are skipped."""
    entries = document.get("keys") if isinstance(document, Mapping) else None
    if not isinstance(entries, list):
        raise ValueError('a JWKS document is an object with a "keys" list')
    keys = []
    for entry in entries:
        if not isinstance(entry, Mapping) or entry.get("use", "sig") != "sig":
            continue
        if entry.get("kty") not in ("RSA", "EC", "OKP"):
            continue
        try:
            key = jwt.PyJWK(dict(entry)).key
        except jwt.PyJWTError as exc:
            logger.info("skipping JWKS key %r: %s", entry.get("kid"), exc)
            continue
        if not isinstance(key, PublicKey):
            continue
        algorithms = key_algorithms(key) & frozenset(allowed)
        if isinstance(entry.get("alg"), str):
            # A key that names its algorithm verifies only that one (RFC 7517 §4.4).
            algorithms &= {entry["alg"]}
        kid = entry.get("kid")
        if algorithms:
            keys.append(SigningKey(key, algorithms, kid if isinstance(kid, str) else None))
    return tuple(keys)
