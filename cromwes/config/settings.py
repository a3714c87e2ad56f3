"""The settings of a cromwes gateway: one frozen tree, loaded once and passed down.

The tree mirrors the properties of DNAstack's cromwell-wes-service (`wes.*` and `server.*`, in
snake_case), so each of its environment variables binds here unchanged; see
`cromwes.config.envbinding`.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NewType

ByteSize = NewType("ByteSize", int)
"""A size in bytes; configuration may write it as `512`, `10MB` or `1GiB`."""
Duration = NewType("Duration", float)
"""Seconds; configuration may write it as `30`, `1.5`, `500ms`, `20s`, `5m`, `1d` or `PT20S`."""

SECRET = {"secret": True}
"""Field metadata marking a value that `check-config` masks and logs never show."""


class AuthMethod(StrEnum):
    PASSPORT = "PASSPORT"
    OAUTH = "OAUTH"
    BASIC_AUTH = "BASIC_AUTH"
    NO_AUTH = "NO_AUTH"


class StorageName(StrEnum):
    LOCAL = "LOCAL"
    GCP = "GCP"
    ABS = "ABS"


class PathLocation(StrEnum):
    ALL = "ALL"
    INPUTS = "INPUTS"
    OUTPUTS = "OUTPUTS"


class LogFormat(StrEnum):
    JSON = "json"
    TEXT = "text"


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerSettings:
    address: str | None = None
    """Bind address. Unset: 127.0.0.1 in NO_AUTH mode, every interface otherwise."""
    port: int = 8090
    public_no_auth: bool = False
    """Allow NO_AUTH on a non-loopback address (logged loudly at start)."""
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    """Addresses or networks (CIDR) whose `X-Forwarded-*` and `Forwarded` headers are believed;
    `*` trusts every peer. Anyone else's are ignored."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CromwellSettings:
    url: str = "http://localhost:8000"
    username: str | None = None
    password: str | None = field(default=None, repr=False, metadata=SECRET)
    user_label: str = "user_id"
    workflow_url_label: str = "workflow_url"
    idempotency_label: str = "wes-idempotency-key"
    options_filename: str = "options.json"
    dependencies_filename: str = "dependencies.zip"
    files_to_ignore_for_staging: tuple[str, ...] = ("options.json", "dependencies.zip")
    valid_cromwell_options: tuple[str, ...] = (
        "workflow_failure_mode",
        "final_workflow_outputs_dir",
        "use_relative_output_paths",
        "final_workflow_log_dir",
        "final_call_logs_dir",
        "write_to_cache",
        "read_from_cache",
        "jes_gcs_root",
        "google_compute_service_account",
        "google_project",
        "refresh_token",
        "auth_bucket",
        "monitoring_script",
        "monitoring_image",
        "google_labels",
        "default_runtime_attributes",
        "continueOnReturnCode",
        "backend",
    )
    default_workflow_options: Mapping[str, Any] = field(
        default_factory=lambda: MappingProxyType(
            {"write_to_cache": False, "read_from_cache": False}
        )
    )
    connect_timeout: Duration = Duration(5.0)
    timeout: Duration = Duration(30.0)
    metadata_timeout: Duration = Duration(38.0)
    """Below Cromwell's own 40 s request timeout, so we answer 504 before Cromwell's plain 503."""
    max_concurrent_calls: int = 64
    queue_timeout: Duration = Duration(5.0)
    """How long a request waits for a free Cromwell slot before it gets 503 with Retry-After."""
    request_workflow_ids: bool = True
    """Choose the run id ourselves (Cromwell's `requestedWorkflowId`, UUIDv7)."""
    submit_grace_period: Duration = Duration(60.0)
    """A 404 for a run id we minted less than this many seconds ago is reported as QUEUED."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DefaultWorkflowEngineParameter:
    name: str
    type: str
    default_value: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceInfoSettings:
    id: str = "org.cromwes.wes"
    name: str = "cromwes"
    description: str = "GA4GH Workflow Execution Service in front of Cromwell"
    organization_name: str = "cromwes"
    organization_url: str = "https://github.com/cromwes/cromwes"
    contact_url: str | None = None
    documentation_url: str | None = None
    environment: str | None = None
    workflow_type_versions: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({"WDL": ("draft-2", "1.0", "1.1")})
    )
    supported_wes_versions: tuple[str, ...] = ("1.0.0", "1.1.0")
    supported_filesystem_protocols: tuple[str, ...] = ("file", "http", "https")
    auth_instruction_url: str | None = None
    contact_info_url: str | None = None
    default_workflow_engine_parameters: tuple[DefaultWorkflowEngineParameter, ...] = ()
    tags: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType(
            {
                "cromwell-options-attachment-name": "options.json",
                "dependencies-zip-attachment-name": "dependencies.zip",
            }
        )
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class PathTranslation:
    prefix: str
    replacement: str = ""
    location: PathLocation = PathLocation.ALL


@dataclass(frozen=True, slots=True, kw_only=True)
class UrlAllowList:
    enabled: bool = False
    allowed_urls: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ChecksumAllowList:
    enabled: bool = False
    allowed_checksums: tuple[str, ...] = ()
    excluded_files: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Authorizers:
    url_allow_list: UrlAllowList = field(default_factory=UrlAllowList)
    checksum: ChecksumAllowList = field(default_factory=ChecksumAllowList)


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkflowsSettings:
    authorizers: Authorizers = field(default_factory=Authorizers)


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalStorageSettings:
    staging_path: str = "uploads/"
    allowed_read_roots: tuple[str, ...] = ()
    """Directories logs and run files may be read from (Cromwell's execution roots)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GcpStorageSettings:
    project: str | None = None
    staging_location: str | None = None
    service_account_json: str | None = field(default=None, repr=False, metadata=SECRET)
    billing_project: str | None = None
    signed_url_ttl: Duration = Duration(86400.0)
    endpoint: str | None = None
    """API endpoint override (a GCS emulator); unset means Google's production endpoint."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AbsStorageSettings:
    connection_string: str | None = field(default=None, repr=False, metadata=SECRET)
    container: str | None = None
    staging_path: str = ""
    signed_url_ttl: int = 86_400_000
    """Milliseconds, as in the reference service's `abs.signed-url-ttl`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BlobStorageSettings:
    name: StorageName = StorageName.LOCAL
    local: LocalStorageSettings = field(default_factory=LocalStorageSettings)
    gcp: GcpStorageSettings = field(default_factory=GcpStorageSettings)
    abs: AbsStorageSettings = field(default_factory=AbsStorageSettings)


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenIssuerSettings:
    issuer_uri: str | None = None
    """Defaults to `auth.issuer_uri`."""
    audiences: tuple[str, ...] = ()
    """Defaults to the gateway's external URL (`url`)."""
    resources: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    jwk_set_uri: str | None = None
    rsa_public_key: str | None = None
    algorithms: tuple[str, ...] = ("RS256", "RS384", "RS512", "ES256", "ES384", "PS256")
    leeway: Duration = Duration(30.0)
    jwks_refresh_interval: Duration = Duration(60.0)
    """An unknown `kid` triggers at most one JWKS fetch per interval."""
    jwks_max_age: Duration = Duration(3600.0)
    """The JWKS is fetched again when older than this, so withdrawn keys stop verifying."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BasicAuthUser:
    username: str
    password: str = field(repr=False, metadata=SECRET)


@dataclass(frozen=True, slots=True, kw_only=True)
class BasicAuthSettings:
    users: tuple[BasicAuthUser, ...] = ()
    bcrypted: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthSettings:
    method: AuthMethod = AuthMethod.NO_AUTH
    issuer_uri: str = "http://localhost:8081"
    token_issuer: TokenIssuerSettings = field(default_factory=TokenIssuerSettings)
    basic_auth: BasicAuthSettings = field(default_factory=BasicAuthSettings)
    user_claim: str = "sub"
    per_user_runs: bool = False
    """Each caller sees, reads and cancels only the runs labelled with their id."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistrySettings:
    client_id: str = "wes-service"
    client_secret: str | None = field(default=None, repr=False, metadata=SECRET)
    grant_type: str = "urn:ietf:params:oauth:grant-type:device_code"
    token_uri: str | None = None
    device_code_uri: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunsSettings:
    max_page_size: int = 1000
    page_token_secret: str | None = field(default=None, repr=False, metadata=SECRET)
    """The former name of `secret` (it once keyed page tokens only); read when `secret` is unset."""
    task_logs_inline_limit: int = 1000
    """Above this many tasks, GET /runs/{id} answers task_logs: null and points to /tasks."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheSettings:
    metadata_max_bytes: ByteSize = ByteSize(256 * 1024 * 1024)
    running_ttl: Duration = Duration(2.0)
    """How long the metadata of a run not finished is reused (finished runs: until evicted)."""
    engine_version_ttl: Duration = Duration(300.0)
    state_counts_ttl: Duration = Duration(5.0)
    status_ttl: Duration = Duration(1.0)
    """How long Cromwell's status (and labels) of a run not finished is reused: the staleness
    bound of a status poll for changes not made through this gateway."""
    query_ttl: Duration = Duration(1.0)
    """How long Cromwell's answer to one exact query (a page of `GET /runs`) is reused."""
    finished_runs: int = 100_000
    """How many runs seen finished are remembered with their final status (never asked again)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class UploadSettings:
    max_file_size: ByteSize = ByteSize(1024 * 1024 * 1024)
    max_request_size: ByteSize = ByteSize(2 * 1024 * 1024 * 1024)
    max_in_memory_size: ByteSize = ByteSize(16 * 1024 * 1024)
    """What a request may make the gateway hold in memory: form fields, workflow files, options
    and the dependencies zip of a multipart body together, or a whole JSON/urlencoded body."""
    max_parts: int = 200
    """Parts in one multipart body (fields and attachments)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchSettings:
    max_runs: int = 1000
    """Elements of `workflow_params` (one run each) that one POST /batches may carry."""
    submit_concurrency: int = 8
    """Submissions of one batch in flight to Cromwell at once (within
    `cromwell.max_concurrent_calls`, so that other requests keep a slot)."""
    label: str = "wes-batch-id"
    """The label naming the batch of each of its runs (hidden from `tags`)."""
    index_label: str = "wes-batch-index"
    """The label giving each run's position in its batch (hidden from `tags`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RoCrateSettings:
    max_file_size: ByteSize = ByteSize(1024 * 1024 * 1024)
    """A run's output files up to this size are put in its RO-Crate; larger ones (and those
    storage cannot read) are referenced by their URL on this gateway."""
    license: str | None = None
    """The crate's `license` (a URL, e.g. an SPDX licence); unset: a note that none was given."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LogsSettings:
    redirect: bool = False
    """Answer cloud log reads with a 302 to a signed URL instead of streaming them."""
    follow_poll_interval: Duration = Duration(1.0)
    follow_max_duration: Duration = Duration(3600.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class EventsSettings:
    """The server-sent event streams (`/events`, `/runs/{id}/events`)."""

    poll_interval: Duration = Duration(1.0)
    """How often a watched run, or a watched run list, is looked at (once for all its streams)."""
    keepalive_interval: Duration = Duration(15.0)
    """Seconds between two keep-alive comments on a quiet stream (below proxies' read timeouts)."""
    recent_runs: int = 100
    """The newest runs each look of `/events` reads (new submissions, runs just finished)."""
    max_active_runs: int = 1000
    """The unfinished runs each look of `/events` reads at most."""


@dataclass(frozen=True, slots=True, kw_only=True)
class UiSettings:
    enabled: bool = True
    """Serve the dashboard at `/ui/`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ObservabilitySettings:
    log_format: LogFormat = LogFormat.JSON
    log_level: str = "INFO"
    metrics_enabled: bool = True
    cors_allowed_origins: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Everything a gateway needs to run; built once by `load_settings` or directly in tests."""

    server: ServerSettings = field(default_factory=ServerSettings)
    url: str | None = None
    """The gateway's external base URL (`WES_URL`); defaults to http://localhost:<port>."""
    secret: str | None = field(default=None, repr=False, metadata=SECRET)
    """The gateway's key (`WES_SECRET`): page tokens, idempotent run ids and the owner bound into
    each minted run id are derived from it. Replicas must share it; unset, each process makes a
    random one (see `cromwes.service.prepared`)."""
    default_page_size: int = 20
    cromwell: CromwellSettings = field(default_factory=CromwellSettings)
    service_info: ServiceInfoSettings = field(default_factory=ServiceInfoSettings)
    path_translations: tuple[PathTranslation, ...] = ()
    workflows: WorkflowsSettings = field(default_factory=WorkflowsSettings)
    blob_storage_client: BlobStorageSettings = field(default_factory=BlobStorageSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)
    registry: RegistrySettings = field(default_factory=RegistrySettings)
    runs: RunsSettings = field(default_factory=RunsSettings)
    cache: CacheSettings = field(default_factory=CacheSettings)
    uploads: UploadSettings = field(default_factory=UploadSettings)
    batches: BatchSettings = field(default_factory=BatchSettings)
    ro_crate: RoCrateSettings = field(default_factory=RoCrateSettings)
    logs: LogsSettings = field(default_factory=LogsSettings)
    events: EventsSettings = field(default_factory=EventsSettings)
    ui: UiSettings = field(default_factory=UiSettings)
    observability: ObservabilitySettings = field(default_factory=ObservabilitySettings)

    @property
    def bind_address(self) -> str:
        if self.server.address is not None:
            return self.server.address
        return "127.0.0.1" if self.auth.method is AuthMethod.NO_AUTH else "0.0.0.0"

    @property
    def server_secret(self) -> str | None:
        return self.secret if self.secret is not None else self.runs.page_token_secret

    @property
    def external_url(self) -> str:
        return (self.url or f"http://localhost:{self.server.port}").rstrip("/")

    @property
    def audiences(self) -> tuple[str, ...]:
        return self.auth.token_issuer.audiences or (self.external_url,)

    @property
    def issuer(self) -> str:
        return (self.auth.token_issuer.issuer_uri or self.auth.issuer_uri).rstrip("/")
