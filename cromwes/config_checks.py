"""The rules a typed configuration must also obey before the gateway may start."""

import re
from urllib.parse import urlsplit

from cromwes.auth.algorithms import ASYMMETRIC_ALGORITHMS, symmetric_or_unknown
from cromwes.auth.keys import static_key
from cromwes.settings import AuthMethod, Settings, StorageName

LOOPBACK = {"127.0.0.1", "::1", "localhost"}
MD5_HEX = re.compile(r"^[0-9a-fA-F]{32}$")
MIN_SECRET_LENGTH = 16
MAX_LEEWAY = 300.0
"""Clock skew tolerated on exp/nbf/iat; more would keep expired tokens alive for minutes."""


def settings_problems(settings: Settings) -> list[str]:
    """Every problem found, each naming its key; empty when the settings are usable."""
    return [
        *_server_problems(settings),
        *_cromwell_problems(settings),
        *_regex_problems(settings),
        *_auth_problems(settings),
        *_storage_problems(settings),
        *_limit_problems(settings),
    ]


def _server_problems(settings: Settings) -> list[str]:
    problems = []
    if not 0 <= settings.server.port <= 65535:
        problems.append(f"server.port: {settings.server.port} is not a TCP port")
    if (
        settings.auth.method is AuthMethod.NO_AUTH
        and settings.bind_address not in LOOPBACK
        and not settings.server.public_no_auth
    ):
        problems.append(
            f"server.address: NO_AUTH may only bind loopback, not {settings.bind_address}; "
            "put the gateway behind the mTLS proxy or set server.public_no_auth: true"
        )
    if settings.url is not None and not _is_http_url(settings.url):
        problems.append(f"url: {settings.url!r} is not an http(s) URL")
    return problems


def _cromwell_problems(settings: Settings) -> list[str]:
    cromwell = settings.cromwell
    problems = []
    if not _is_http_url(cromwell.url):
        problems.append(f"cromwell.url: {cromwell.url!r} is not an http(s) URL")
    if (cromwell.username is None) != (cromwell.password is None):
        problems.append("cromwell.username and cromwell.password must be set together")
    for name in ("connect_timeout", "timeout", "metadata_timeout", "queue_timeout"):
        if getattr(cromwell, name) <= 0:
            problems.append(f"cromwell.{name}: must be positive")
    if cromwell.max_concurrent_calls < 1:
        problems.append("cromwell.max_concurrent_calls: must be at least 1")
    return problems


def _regex_problems(settings: Settings) -> list[str]:
    problems = []
    for index, rule in enumerate(settings.path_translations):
        if not rule.prefix.strip():
            problems.append(f"path_translations[{index}].prefix: must not be empty")
        problems += _compiles(f"path_translations[{index}].prefix", rule.prefix)
    url_list = settings.workflows.authorizers.url_allow_list
    for index, pattern in enumerate(url_list.allowed_urls):
        problems += _compiles(
            f"workflows.authorizers.url_allow_list.allowed_urls[{index}]", pattern
        )
    checksums = settings.workflows.authorizers.checksum
    for index, checksum in enumerate(checksums.allowed_checksums):
        if not MD5_HEX.match(checksum):
            problems.append(
                f"workflows.authorizers.checksum.allowed_checksums[{index}]: not an MD5 hex digest"
            )
    return problems


def _auth_problems(settings: Settings) -> list[str]:
    auth = settings.auth
    problems = []
    if auth.method in (AuthMethod.OAUTH, AuthMethod.PASSPORT):
        issuer = auth.token_issuer
        if not _is_http_url(settings.issuer):
            problems.append(f"auth.token_issuer.issuer_uri: {settings.issuer!r} is not a URL")
        if issuer.jwk_set_uri is not None and not _is_http_url(issuer.jwk_set_uri):
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
            if auth.basic_auth.bcrypted and not user.password.startswith("$2"):
                problems.append(
                    f"auth.basic_auth.users[{index}].password: not a bcrypt hash "
                    "(make one with `cromwes hash-password`)"
                )
            if not user.username or ":" in user.username:
                problems.append(f"auth.basic_auth.users[{index}].username: empty or has ':'")
    secret = settings.runs.page_token_secret
    if secret is not None and len(secret) < MIN_SECRET_LENGTH:
        problems.append(
            f"runs.page_token_secret: too weak, use at least {MIN_SECRET_LENGTH} characters"
        )
    return problems


def _storage_problems(settings: Settings) -> list[str]:
    storage = settings.blob_storage_client
    problems = []
    if storage.name is StorageName.GCP:
        if not storage.gcp.project:
            problems.append("blob_storage_client.gcp.project: required for GCP storage")
        location = storage.gcp.staging_location or ""
        if not location.startswith("gs://") or len(location) <= len("gs://"):
            problems.append(
                "blob_storage_client.gcp.staging_location: required, as gs://bucket[/prefix]"
            )
    if storage.name is StorageName.ABS:
        if not storage.abs.connection_string:
            problems.append("blob_storage_client.abs.connection_string: required for ABS storage")
        if not storage.abs.container:
            problems.append("blob_storage_client.abs.container: required for ABS storage")
    return problems


def _limit_problems(settings: Settings) -> list[str]:
    problems = []
    if settings.default_page_size < 1:
        problems.append("default_page_size: must be at least 1")
    if settings.runs.max_page_size < settings.default_page_size:
        problems.append("runs.max_page_size: must not be below default_page_size")
    if settings.uploads.max_file_size > settings.uploads.max_request_size:
        problems.append("uploads.max_file_size: must not exceed uploads.max_request_size")
    return problems


def _compiles(key: str, pattern: str) -> list[str]:
    try:
        re.compile(pattern)
    except re.error as exc:
        return [f"{key}: invalid regular expression {pattern!r}: {exc}"]
    return []


def _is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)
