"""What the gateway derives once from its settings: compiled rules, its keys, label names.

Every key is derived from the one server secret (`secret`), one per purpose, so that a key of
one use says nothing about another's. Without a configured secret the gateway makes a random one
when it starts: it then works alone, but a restart or another replica refuses its page tokens,
mints another run id for a repeated Idempotency-Key, and cannot tell the owner of a run that is
not yet visible in Cromwell (it refuses instead). `cromwes.app` warns about it at start.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from cromwes.config.settings import AuthMethod, Settings
from cromwes.policy.paths import PathRule, compile_rules
from cromwes.translate.batches import BatchLabels
from cromwes.translate.idempotency import DIGEST_LABEL
from cromwes.translate.submission import SubmissionRules


@dataclass(frozen=True, slots=True)
class Prepared:
    submission_rules: SubmissionRules
    path_rules: tuple[PathRule, ...]
    token_key: bytes
    """Of page tokens (`cromwes.translate.pagination`)."""
    run_id_key: bytes
    """Of run ids derived from an Idempotency-Key (`cromwes.translate.idempotency`)."""
    owner_key: bytes
    """Of the owner bound into each minted run id (`cromwes.service.run_ids`)."""
    batch_key: bytes
    """Of batch ids derived from an Idempotency-Key, and of their runs' ids
    (`cromwes.service.batches`)."""
    batch_labels: BatchLabels
    hidden_labels: frozenset[str]
    """Labels that are bookkeeping, not the client's tags (Cromwell's id label is hidden too)."""
    auth_instructions_url: str


def prepare(settings: Settings) -> Prepared:
    cromwell = settings.cromwell
    secret = (settings.server_secret or secrets.token_urlsafe(32)).encode()
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
            reserved_labels=frozenset({settings.batches.label, settings.batches.index_label}),
        ),
        path_rules=compile_rules(settings.path_translations),
        token_key=derived_key(secret, "page-tokens"),
        run_id_key=derived_key(secret, "idempotent-run-ids"),
        owner_key=derived_key(secret, "run-owners"),
        batch_key=derived_key(secret, "idempotent-batches"),
        auth_instructions_url=auth_url,
        batch_labels=BatchLabels(settings.batches.label, settings.batches.index_label),
        hidden_labels=frozenset(
            {
                cromwell.workflow_url_label,
                cromwell.idempotency_label,
                DIGEST_LABEL,
                settings.batches.label,
                settings.batches.index_label,
            }
        ),
    )


def derived_key(secret: bytes, purpose: str) -> bytes:
    return hmac.new(secret, f"cromwes:{purpose}".encode(), hashlib.sha256).digest()
