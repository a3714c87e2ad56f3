"""The JWS algorithms a token may be signed with: asymmetric ones only, each bound to a key type.

Only public keys verify tokens here, so no shared secret can be forged: `none` and every HMAC
algorithm are refused outright. Accepting HS256 next to RS256 is the classic "key confusion" hole,
where an attacker signs with HMAC using the issuer's *public* key as the secret (RFC 8725 §2.1,
§3.1). An algorithm is also tied to the type of key that verifies it, so a token cannot pick RSA
for an EC key.
"""

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
EC_ALGORITHMS = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}
ASYMMETRIC_ALGORITHMS = RSA_ALGORITHMS | frozenset(EC_ALGORITHMS.values()) | {"EdDSA"}

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey


def key_algorithms(key: PublicKey) -> frozenset[str]:
    """The algorithms this key can verify (RFC 7518 §3.1; EC curves as in §3.4)."""
    if isinstance(key, rsa.RSAPublicKey):
        return RSA_ALGORITHMS
    if isinstance(key, ec.EllipticCurvePublicKey):
        algorithm = EC_ALGORITHMS.get(key.curve.name)
        return frozenset({algorithm}) if algorithm else frozenset()
    return frozenset({"EdDSA"})


def symmetric_or_unknown(algorithms: tuple[str, ...]) -> list[str]:
    """The algorithms of this allow-list that cromwes refuses to accept."""
    return [name for name in algorithms if name not in ASYMMETRIC_ALGORITHMS]
