"""The gateway's external address, as the client reached it (through proxies)."""

from aiohttp import web

from cromwes.models import BASE_PATH

_DEFAULT_PORTS = {"http": "80", "https": "443"}


def external_base(request: web.Request) -> str:
    """`scheme://host[:port][prefix]/ga4gh/wes/v1` honouring `X-Forwarded-Proto/Host/Port/Prefix`.

    URLs written into run logs must point at what the client can reach, e.g. the mTLS proxy
    (reference-service.md §2.9, which ignored the prefix).
    """
    return f"{external_root(request)}{BASE_PATH}"


def external_root(request: web.Request) -> str:
    """`scheme://host[:port][prefix]`: where this gateway's own `/` is, as the client sees it."""
    headers = request.headers
    scheme = _first(headers.get("X-Forwarded-Proto")) or request.scheme
    host = _first(headers.get("X-Forwarded-Host")) or request.host
    port = _first(headers.get("X-Forwarded-Port"))
    if port is None and "X-Forwarded-Host" not in headers and "X-Forwarded-Proto" in headers:
        host = host.split(":")[0] if not host.startswith("[") else host
    if port is not None:
        host = _host_without_port(host)
        if port != _DEFAULT_PORTS.get(scheme):
            host = f"{host}:{port}"
    prefix = (_first(headers.get("X-Forwarded-Prefix")) or "").rstrip("/")
    if prefix and not prefix.startswith("/"):
        prefix = "/" + prefix
    return f"{scheme}://{host}{prefix}"


def run_url(request: web.Request, run_id: str) -> str:
    return f"{external_base(request)}/runs/{run_id}"


def _first(value: str | None) -> str | None:
    if value is None:
        return None
    first = value.split(",")[0].strip()
    return first or None


def _host_without_port(host: str) -> str:
    if host.startswith("["):
        return host[: host.index("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host
