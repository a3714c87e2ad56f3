"""What the gateway derives once from its settings: compiled rules, the token key, label names."""

from dataclasses import dataclass

from cromwes.config.settings import AuthMethod, Settings
from cromwes.policy.paths import PathRule, compile_rules
from cromwes.translate.idempotency import DIGEST_LABEL
from cromwes.translate.pagination import token_key
from cromwes.translate.submission import SubmissionRules


@dataclass(frozen=True, slots=True)
class Prepared:
    submission_rules: SubmissionRules
    path_rules: tuple[PathRule, ...]
    token_key: bytes
    hidden_labels: frozenset[str]
    """Labels that are bookkeeping, not the client's tags (Cromwell's id label is hidden too)."""
    auth_instructions_url: str


def prepare(settings: Settings) -> Prepared:
    cromwell = settings.cromwell
    auth_url = settings.service_info.auth_instruction_url or (
        f"{settings.issuer}/.well-known/openid-configuration"
        if settings.auth.method in (AuthMethod.OAUTH, AuthMethod.PASSPORT)
        else f"{settings.external_url}/docs"
    )
    return Prepared(
        submission_rules=SubmissionRules(
            supported_versions=settings.service_info.workflow_type_versions.get("WDL", ()),
            options_filename=cromwell.options_filename,
            dependencies_filename=cromwell.dependencies_filename,
            default_options=dict(cromwell.default_workflow_options),
            valid_options=frozenset(cromwell.valid_cromwell_options),
            user_label=cromwell.user_label,
            workflow_url_label=cromwell.workflow_url_label,
            ignored_for_staging=frozenset(cromwell.files_to_ignore_for_staging),
        ),
        path_rules=compile_rules(settings.path_translations),
        token_key=token_key(settings.runs.page_token_secret, cromwell.url),
        auth_instructions_url=auth_url,
        hidden_labels=frozenset(
            {cromwell.workflow_url_label, cromwell.idempotency_label, DIGEST_LABEL}
        ),
    )
