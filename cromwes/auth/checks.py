"""The rules the `auth` section must obey before the gateway may start.

They live here, not in `cromwes.config.checks`, because they need what only auth knows: which JWS
algorithms are safe and whether a configured key parses. `cromwes.__main__` hands them to
`load_settings` with the other checks.
"""

from cromwes.auth.algorithms import ASYMMETRIC_ALGORITHMS, symmetric_or_unknown
from cromwes.auth.keys import static_key
from cromwes.config.checks import is_http_url
from cromwes.config.settings import AuthMethod, Settings

MAX_LEEWAY = 300.0
"""Clock skew tolerated on exp/nbf/iat; more would keep expired tokens alive for minutes."""
PLACEHOLDER_PASSWORD = "<the output of cromwes hash-password>"
"""What the example configurations carry instead of a password."""
PUBLISHED_PASSWORDS = frozenset(
    {
        PLACEHOLDER_PASSWORD,
        "change-me",
        "changeme",
        "password",
        # Hashes earlier example configurations shipped (the first is the hash of "change-me").
        "$2b$12$Xd6uam83xt6QjOmT.qHrz.kRPuP.gDBvNhSR8/0J3.YPGuVUsYaKi",
        "$2b$12$Oq2y4x0p9mfk8l0vIY7pUuQe5s3eX1o8nL1cXo0d9cJtVJkz9g1bS",
    }
)
"""Passwords anyone can read in this project's files: a gateway that accepts one is open."""


def auth_problems(settings: Settings) -> list[str]:
    """Every problem of the `auth` section, each naming its key (see `config.checks`)."""
    auth = settings.auth
    problems = []
    if auth.method in (AuthMethod.OAUTH, AuthMethod.PASSPORT):
        issuer = auth.token_issuer
        if not is_http_url(settings.issuer):
            problems.append(f"auth.token_issuer.issuer_uri: {settings.issuer!r} is not a URL")
        if issuer.jwk_set_uri is not None and not is_http_url(issuer.jwk_set_uri):
            problems.append("auth.token_issuer.jwk_set_uri: not an http(s) URL")
        if refused := symmetric_or_unknown(issuer.algorithms):
            problems.append(
                "auth.token_issuer.algorithms: only asymmetric algorithms "
                f"({', '.join(sorted(ASYMMETRIC_ALGORITHMS))}) are allowed, not {refused}"
            )
        if not issuer.algorithms:
            problems.append("auth.token_issuer.algorithms: name at least one algorithm")
        if issuer.rsa_public_key:
            try:
                static_key(issuer.rsa_public_key, issuer.algorithms)
            except ValueError as exc:
                problems.append(f"auth.token_issuer.rsa_public_key: {exc}")
        if not 0 <= issuer.leeway <= MAX_LEEWAY:
            problems.append(f"auth.token_issuer.leeway: must be between 0 and {MAX_LEEWAY} s")
        if issuer.jwks_refresh_interval <= 0:
            problems.append("auth.token_issuer.jwks_refresh_interval: must be positive")
        if issuer.jwks_max_age < issuer.jwks_refresh_interval:
            problems.append(
                "auth.token_issuer.jwks_max_age: must not be below jwks_refresh_interval"
            )
        if not auth.user_claim:
            problems.append("auth.user_claim: must name a claim")
    if auth.per_user_runs and auth.method is AuthMethod.NO_AUTH:
        problems.append(
            "auth.per_user_runs: NO_AUTH does not identify callers, so there is no user to scope "
            "runs to; choose BASIC_AUTH, OAUTH or PASSPORT"
        )
    if auth.method is AuthMethod.BASIC_AUTH:
        if not auth.basic_auth.users:
            problems.append("auth.basic_auth.users: BASIC_AUTH needs at least one user")
        for index, user in enumerate(auth.basic_auth.users):
            if user.password in PUBLISHED_PASSWORDS:
                problems.append(
                    f"auth.basic_auth.users[{index}].password: a published example, not a "
                    "password; put the bcrypt hash of your own password here (make one with "
                    "`cromwes hash-password`, and set bcrypted: true)"
                )
            elif auth.basic_auth.bcrypted and not user.password.startswith("$2"):
                problems.append(
                    f"auth.basic_auth.users[{index}].password: not a bcrypt hash "
                    "(make one with `cromwes hash-password`)"
                )
            if not user.username or ":" in user.username:
                problems.append(f"auth.basic_auth.users[{index}].username: empty or has ':'")
    return problems
