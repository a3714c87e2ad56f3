"""Build the GA4GH service-registry entries that `GET /services` lists (reference-service.md §1.10).

DNAstack's CLI (`dnastack use <host>`) imports each entry as an endpoint: its `type` must be one
the CLI's WES client knows (`org.ga4gh:wes:1.0` or `1.1`; DNAstack's own `v1.1` matches neither),
its `url` must end in `/` because the client joins relative paths to it, and `authentication`
becomes the endpoint's OAuth settings (§12).
"""

from typing import Any

from cromwes import __version__
from cromwes.config.settings import RegistrySettings, ServiceInfoSettings

WES_REGISTRY_TYPE = {"group": "org.ga4gh", "artifact": "wes", "version": "1.1"}
OAUTH_TYPE = "oauth2"


def service_entries(
    info: ServiceInfoSettings,
    *,
    wes_url: str,
    oauth: RegistrySettings | None,
    issuer: str,
) -> list[dict[str, Any]]:
    """One entry: this WES at `wes_url`, with the OAuth client to use when `oauth` is given."""
    url = wes_url if wes_url.endswith("/") else wes_url + "/"
    entry: dict[str, Any] = {
        "id": info.id,
        "name": info.name,
        "type": WES_REGISTRY_TYPE,
        "description": info.description,
        "organization": {"name": info.organization_name, "url": info.organization_url},
        "version": __version__,
        "url": url,
    }
    if info.contact_url is not None:
        entry["contactUrl"] = info.contact_url
    if info.documentation_url is not None:
        entry["documentationUrl"] = info.documentation_url
    if info.environment is not None:
        entry["environment"] = info.environment
    if oauth is not None:
        entry["authentication"] = [_oauth_client(oauth, issuer.rstrip("/"), url)]
    return [entry]


def _oauth_client(oauth: RegistrySettings, issuer: str, resource: str) -> dict[str, Any]:
    client: dict[str, Any] = {
        "type": OAUTH_TYPE,
        "accessTokenUrl": oauth.token_uri or f"{issuer}/oauth/token",
        "deviceCodeUrl": oauth.device_code_uri or f"{issuer}/oauth/device/code",
        "grantType": oauth.grant_type,
        "clientId": oauth.client_id,
        "resource": resource,
    }
    # A public device-code client's secret is published on purpose, as DNAstack's service does.
    if oauth.client_secret is not None:
        client["clientSecret"] = oauth.client_secret
    return client
