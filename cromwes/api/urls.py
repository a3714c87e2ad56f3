"""The gateway's external address, as the client reached it: through a trusted proxy or not.

Forwarding headers are believed only from the peers in `server.trusted_proxies` (loopback by
default, where the nginx of `nginx/` runs), as uvicorn's `forwarded_allow_ips` and Werkzeug's
ProxyFix do; anyone else's are ignored. From a trusted proxy, `X-Forwarded-Proto/Host/Port/Prefix`
are read when it sends any of them, else RFC 7239 `Forwarded` (`proto`, `host`); of a list, the
last value, which the nearest proxy wrote. A value from a trusted proxy that is no http(s)
scheme, host, port or path prefix is a 400 (the URLs built from it would be wrong), and so is a
Host header that names no host (RFC 9112 §3.2); the message names the header, never echoes it.
"""

import re
from dataclasses import dataclass

from aiohttp import web

from cromwes.appkeys import PROXIES
from cromwes.errors import InvalidRequest
from cromwes.models import BASE_PATH

X_FORWARDED = ("X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Port", "X-Forwarded-Prefix")
SCHEMES = ("http", "https")
_DEFAULT_PORTS = {"http": "80", "https": "443"}
_HOST = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9._-]{0,252})(?::(\d{1,5}))?$")
"""A DNS name, an IPv4 address or a bracketed IPv6 literal, and an optional port."""
_SEGMENT = re.compile(r"^[A-Za-z0-9._~!$&'()*+,;=:@%-]+$")
MAX_PREFIX_SEGMENTS = 32


@dataclass(frozen=True, slots=True)
class _Forwarded:
    proto: str | None = None
    host: str | None = None
    port: str | None = None
    prefix: str | None = None


def external_base(request: web.Request) -> str:
    """`scheme://host[:port][prefix]/ga4gh/wes/v1`, as the client reached this gateway.

    URLs written into run logs must point at what the client can reach, e.g. the mTLS proxy
    (reference-service.md §2.9, which ignored the prefix).
    """
    return f"{external_root(request)}{BASE_PATH}"


def external_root(request: web.Request) -> str:
    """`scheme://host[:port][prefix]`: where this gateway's own `/` is, as the client sees it."""
    trusted = request.app[PROXIES].trusts(request.remote)
    forwarded = _forwarded(request) if trusted else _Forwarded()
    scheme = forwarded.proto or request.scheme
    host = forwarded.host or _valid_host("the Host header", request.host)
    if forwarded.port is None and forwarded.host is None and forwarded.proto is not None:
        host = _host_without_port(host)
    if forwarded.port is not None:
        host = _host_without_port(host)
        if forwarded.port != _DEFAULT_PORTS.get(scheme):
            host = f"{host}:{forwarded.port}"
    return f"{scheme}://{host}{forwarded.prefix or ''}"


def run_url(request: web.Request, run_id: str) -> str:
    return f"{external_base(request)}/runs/{run_id}"


def _forwarded(request: web.Request) -> _Forwarded:
    headers = request.headers
    if any(name in headers for name in X_FORWARDED):
        proto, host, port, prefix = X_FORWARDED
        return _Forwarded(
            proto=_scheme(proto, _last(headers.get(proto))),
            host=_host(host, _last(headers.get(host))),
            port=_port(port, _last(headers.get(port))),
            prefix=_prefix(prefix, _last(headers.get(prefix))),
        )
    if request.forwarded:
        nearest = request.forwarded[-1]
        return _Forwarded(
            proto=_scheme("Forwarded proto", nearest.get("proto")),
            host=_host("Forwarded host", nearest.get("host")),
        )
    return _Forwarded()


def _scheme(header: str, value: str | None) -> str | None:
    if value is None:
        return None
    if value.lower() not in SCHEMES:
        raise InvalidRequest(f"{header} must be http or https.")
    return value.lower()


def _host(header: str, value: str | None) -> str | None:
    return None if value is None else _valid_host(header, value)


def _valid_host(header: str, value: str) -> str:
    match = _HOST.match(value)
    if match is None or (match[1] is not None and not _is_port(match[1])):
        raise InvalidRequest(f"{header} must be a host name or address, with an optional port.")
    return value


def _port(header: str, value: str | None) -> str | None:
    if value is not None and not (value.isdigit() and len(value) <= 5 and _is_port(value)):
        raise InvalidRequest(f"{header} must be a TCP port (1-65535).")
    return value


def _prefix(header: str, value: str | None) -> str | None:
    if value is None:
        return None
    segments = [segment for segment in value.split("/") if segment]
    if len(segments) > MAX_PREFIX_SEGMENTS or any(
        not _SEGMENT.match(s) or s in (".", "..") for s in segments
    ):
        raise InvalidRequest(
            f"{header} must be a URL path prefix (no `.` or `..` segments, no query)."
        )
    return "".join(f"/{segment}" for segment in segments)


def _is_port(digits: str) -> bool:
    return 0 < int(digits) < 65536


def _last(value: str | None) -> str | None:
    if value is None:
        return None
    last = value.split(",")[-1].strip()
    return last or None


def _host_without_port(host: str) -> str:
    if host.startswith("["):
        return host[: host.index("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host
