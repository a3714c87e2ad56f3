"""Build the WES 1.1 ServiceInfo (GA4GH service-info base plus the WES fields)."""

from collections.abc import Mapping
from typing import Any

from cromwes import __version__
from cromwes.config.settings import ServiceInfoSettings

WES_TYPE = {"group": "org.ga4gh", "artifact": "wes", "version": "1.1.0"}
ENGINE = "cromwell"


def service_info(
    config: ServiceInfoSettings,
    *,
    engine_version: str | None,
    state_counts: Mapping[str, int],
    auth_instructions_url: str,
) -> dict[str, Any]:
    """ServiceInfo with every field WES 1.1 requires (an unknown engine version is an empty
    list, counts an empty map for callers who may not see them)."""
    info: dict[str, Any] = {
        "id": config.id,
        "name": config.name,
        "type": WES_TYPE,
        "description": config.description,
        "organization": {"name": config.organization_name, "url": config.organization_url},
        "version": __version__,
        "workflow_type_versions": {
            workflow_type: {"workflow_type_version": list(versions)}
            for workflow_type, versions in config.workflow_type_versions.items()
        },
        "supported_wes_versions": list(config.supported_wes_versions),
        "supported_filesystem_protocols": list(config.supported_filesystem_protocols),
        "workflow_engine_versions": {
            ENGINE: {"workflow_engine_version": [engine_version] if engine_version else []}
        },
        "default_workflow_engine_parameters": [
            {"name": p.name, "type": p.type, "default_value": p.default_value}
            for p in config.default_workflow_engine_parameters
        ],
        "system_state_counts": dict(state_counts),
        "auth_instructions_url": auth_instructions_url,
        # DNAstack's service spells it in the singular; its clients read that key.
        "auth_instruction_url": auth_instructions_url,
        "tags": dict(config.tags),
    }
    optional = {
        "contactUrl": config.contact_url,
        "documentationUrl": config.documentation_url,
        "environment": config.environment,
        "contact_info_url": config.contact_info_url,
    }
    info.update({key: value for key, value in optional.items() if value})
    return info
