"""CORS for browser clients: off unless `observability.cors_allowed_origins` names origins."""

from collections.abc import Sequence

import aiohttp_cors
from aiohttp import web

ALLOWED_HEADERS = ("Authorization", "Content-Type", "Range", "If-None-Match", "X-Request-ID")
EXPOSED_HEADERS = ("Content-Range", "Accept-Ranges", "ETag", "Retry-After", "X-Request-ID")


def enable_cors(app: web.Application, origins: Sequence[str]) -> None:
    """Answer preflights and add CORS headers on every route for these origins (`*`: any).

    Credentials mode stays off: clients send bearer tokens in `Authorization`, not cookies.
    """
    options = aiohttp_cors.ResourceOptions(  # type: ignore[no-untyped-call]  # unannotated library
        allow_credentials=False,
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        allow_methods=("GET", "HEAD", "POST"),
        max_age=3600,
    )
    cors = aiohttp_cors.setup(app, defaults=dict.fromkeys(origins, options))
    for route in list(app.router.routes()):
        if route.method != "OPTIONS":
            cors.add(route)
