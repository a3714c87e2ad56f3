"""The dashboard at `/ui/`: static files shipped in the package, served by the gateway itself.

The files are code, not data, and public like `/docs`: a browser cannot send a bearer token
when it navigates, so the pages ask the API with the caller's credentials (see `api.js`). Only
the files named in `FILES` are served; no path a client sends reaches the disk.
"""

from pathlib import Path

from aiohttp import web

UI_PATH = "/ui"
STATIC = Path(__file__).with_name("ui_static")
CONTENT_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
}
HEADERS = {
    # Everything the pages load or call is on this origin; nothing may frame them.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # A new release must not run against an old script still in the browser's cache.
    "Cache-Control": "no-cache",
}
FILES = frozenset(
    {
        "index.html", "app.js", "api.js", "dom.js", "run.js", "runs.js", "sse.js", "timeline.js",
        "style.css", "favicon.svg",
    }
)  # fmt: skip
"""Every file of `ui_static/` (a test keeps the two in step)."""


def add_ui_routes(app: web.Application) -> None:
    app.router.add_get(UI_PATH, to_dashboard)
    app.router.add_get(f"{UI_PATH}/", dashboard_file)
    app.router.add_get(f"{UI_PATH}/{{name}}", dashboard_file)


async def to_dashboard(request: web.Request) -> web.StreamResponse:
    # Relative, so that it also leads to `<prefix>/ui/` behind a proxy.
    raise web.HTTPFound("ui/")


async def dashboard_file(request: web.Request) -> web.StreamResponse:
    name = request.match_info.get("name", "index.html")
    if name not in FILES:
        raise web.HTTPNotFound()
    path = STATIC / name
    return web.FileResponse(path, headers={**HEADERS, "Content-Type": CONTENT_TYPES[path.suffix]})
