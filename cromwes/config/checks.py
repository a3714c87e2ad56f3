"""The rules a typed configuration must also obey before the gateway may start."""

import ipaddress
import re
from urllib.parse import urlsplit

from cromwes.config.settings import AuthMethod, Settings, StorageName

LOOPBACK = {"127.0.0.1", "::1", "localhost"}
MD5_HEX = re.compile(r"^[0-9a-fA-F]{32}$")
MIN_SECRET_LENGTH = 16
MIN_DISTINCT = 8
"""Distinct characters a secret needs: `aaaa…` or `abababab…` is long but guessable."""


def settings_problems(settings: Settings) -> list[str]:
    """Every problem found, each naming its key; empty when the settings are usable."""
    return [
        *_server_problems(settings),
        *_cromwell_problems(settings),
        *_regex_problems(settings),
        *_secret_problems(settings),
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
    if settings.url is not None and not is_http_url(settings.url):
        problems.append(f"url: {settings.url!r} is not an http(s) URL")
    for index, entry in enumerate(settings.server.trusted_proxies):
        if entry != "*" and not _is_network(entry):
            problems.append(
                f"server.trusted_proxies[{index}]: {entry!r} is not an IP address, a CIDR "
                "network or *"
            )
    return problems


def _is_network(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


def _cromwell_problems(settings: Settings) -> list[str]:
    cromwell = settings.cromwell
    problems = []
    if not is_http_url(cromwell.url):
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


def _secret_problems(settings: Settings) -> list[str]:
    problems = []
    for key, secret in (
        ("secret", settings.secret),
        ("runs.page_token_secret", settings.runs.page_token_secret),
    ):
        if secret is not None and (
            len(secret) < MIN_SECRET_LENGTH or len(set(secret)) < MIN_DISTINCT
        ):
            problems.append(
                f"{key}: too weak, use at least {MIN_SECRET_LENGTH} characters with at least "
                f"{MIN_DISTINCT} different ones (e.g. `openssl rand -hex 32`)"
            )
    page_token_secret = settings.runs.page_token_secret
    if settings.secret is not None and page_token_secret not in (None, settings.secret):
        problems.append("runs.page_token_secret: is the former name of `secret`; set only `secret`")
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
    events = settings.events
    for name in ("poll_interval", "keepalive_interval"):
        if getattr(events, name) <= 0:
            problems.append(f"events.{name}: must be more than 0 seconds")
    for name in ("recent_runs", "max_active_runs"):
        if getattr(events, name) < 1:
            problems.append(f"events.{name}: must be at least 1")
    if settings.uploads.max_in_memory_size < 1:
        problems.append("uploads.max_in_memory_size: must be at least 1 byte")
    if settings.uploads.max_parts < 1:
        problems.append("uploads.max_parts: must be at least 1")
    if settings.batches.max_runs < 1:
        problems.append("batches.max_runs: must be at least 1")
    if not 1 <= settings.batches.submit_concurrency <= settings.cromwell.max_concurrent_calls:
        problems.append(
            "batches.submit_concurrency: must be between 1 and cromwell.max_concurrent_calls"
        )
    if settings.batches.label == settings.batches.index_label:
        problems.append("batches.index_label: must differ from batches.label")
    for name in ("running_ttl", "status_ttl", "query_ttl", "finished_runs"):
        if getattr(settings.cache, name) < 0:
            problems.append(f"cache.{name}: must not be negative")
    return problems


def _compiles(key: str, pattern: str) -> list[str]:
    try:
        re.compile(pattern)
    except re.error as exc:
        return [f"{key}: invalid regular expression {pattern!r}: {exc}"]
    return []


def is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)
