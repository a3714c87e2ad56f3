"""`cromwes probe`: ask a running gateway's liveness (or readiness) endpoint, for HEALTHCHECK.

The address comes from the same settings the gateway was started with (`CROMWES_CONFIG`, the
environment), so the probe follows a port or address changed by configuration.
"""

import urllib.error
import urllib.request

from cromwes.config.settings import Settings

TIMEOUT = 5.0
_ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


def probe_url(settings: Settings, *, ready: bool) -> str:
    host = _ANY_ADDRESS.get(settings.bind_address, settings.bind_address)
    if ":" in host:
        host = f"[{host}]"
    path = "/health/ready" if ready else "/health/live"
    return f"http://{host}:{settings.server.port}{path}"


def probe(settings: Settings, *, ready: bool = False) -> tuple[bool, str]:
    """Whether the gateway answered 200, and what to print about it."""
    url = probe_url(settings, ready=ready)
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            return response.status == 200, f"{url}: {response.status}"
    except urllib.error.HTTPError as exc:
        return False, f"{url}: {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return False, f"{url}: {exc}"
