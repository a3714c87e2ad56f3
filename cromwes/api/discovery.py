"""Discovery: `GET /` links service-info and the docs; `GET /services` feeds the dnastack CLI."""

from aiohttp import web
from aiohttp_apigami import docs

from cromwes import __version__
from cromwes.api.render import json_response
from cromwes.api.urls import external_root
from cromwes.appkeys import SETTINGS
from cromwes.config.settings import AuthMethod
from cromwes.models import BASE_PATH
from cromwes.translate.registry import service_entries

OAUTH_METHODS = (AuthMethod.OAUTH, AuthMethod.PASSPORT)


@docs(
    tags=["Discovery (extension)"],
    summary="Links to service-info, the API documents and the probes.",
    responses={200: {"description": "A JSON object of absolute URLs."}},
)
async def root(request: web.Request) -> web.Response:
    base = external_root(request)
    return json_response(
        {
            "name": request.app[SETTINGS].service_info.name,
            "version": __version__,
            "service_info": f"{base}{BASE_PATH}/service-info",
            "wes": f"{base}{BASE_PATH}/",
            "docs": f"{base}/docs",
            "openapi": f"{base}/docs/openapi.json",
            "services": f"{base}/services",
            "health": f"{base}/health/ready",
        }
    )


@docs(
    tags=["Discovery (extension)"],
    summary="GA4GH service-registry entries (for `dnastack use <host>`).",
    description="An array with one entry of type `org.ga4gh:wes:1.1`, whose `url` ends in `/`; "
    "with OAUTH or PASSPORT it names the OAuth client to use (`registry.*`). Served as exactly "
    "`application/json`, without a charset, which the DNAstack CLI requires.",
    responses={200: {"description": "A JSON array of service entries."}},
)
async def services(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    wes_url = f"{settings.url.rstrip('/') if settings.url else external_root(request)}{BASE_PATH}/"
    entries = service_entries(
        settings.service_info,
        wes_url=wes_url,
        oauth=settings.registry if settings.auth.method in OAUTH_METHODS else None,
        issuer=settings.issuer,
    )
    return json_response(entries)
