from pathlib import Path

import pytest
import yaml

from cromwes.auth.checks import auth_problems
from cromwes.config.loading import MASK, ConfigError, load_settings, masked
from cromwes.config.settings import AuthMethod, PathLocation, StorageName

PROJECT = Path(__file__).resolve().parents[1]


def test_defaults_need_no_file_and_no_environment() -> None:
    settings = load_settings(None, {})
    assert settings.server.port == 8090
    assert settings.bind_address == "127.0.0.1"
    assert settings.cromwell.url == "http://localhost:8000"


@pytest.mark.parametrize(
    "name",
    ["WES_BLOB_STORAGE_CLIENT_NAME", "WES_BLOBSTORAGECLIENT_NAME", "WES_BLOB_STORAGECLIENT_NAME"],
)
def test_both_relaxed_spellings_bind(name: str) -> None:
    env = {
        name: "abs",
        "WES_BLOB_STORAGE_CLIENT_ABS_CONNECTION_STRING": "UseDevelopmentStorage=true",
        "WES_BLOB_STORAGE_CLIENT_ABS_CONTAINER": "c",
    }
    assert load_settings(None, env).blob_storage_client.name is StorageName.ABS


def test_reference_service_variables_bind() -> None:
    env = {
        "SERVER_PORT": "9000",
        "WES_URL": "https://wes.example.org",
        "WES_CROMWELL_URL": "http://cromwell:8000",
        "WES_CROMWELL_USERNAME": "u",
        "WES_CROMWELL_PASSWORD": "p",
        "WES_PATHTRANSLATIONS_0_PREFIX": "^/data",
        "WES_PATHTRANSLATIONS_0_REPLACEMENT": "gs://bucket",
        "WES_PATHTRANSLATIONS_0_LOCATION": "inputs",
        "WES_PATHTRANSLATIONS_1_PREFIX": "/out",
        "WES_AUTH_METHOD": "OAUTH",
        "WES_AUTH_TOKEN_ISSUER_ISSUER_URI": "https://issuer.example",
        "WES_AUTH_TOKEN_ISSUER_AUDIENCES": "a,b",
        "WES_AUTH_TOKEN_ISSUER_SCOPES_0": "wes",
        "WES_SERVICEINFO_WORKFLOWTYPEVERSIONS_WDL_0": "1.0",
        "WES_SERVICEINFO_TAGS_MY_TAG": "x",
        "WES_WORKFLOWS_AUTHORIZERS_URL_ALLOW_LIST_ENABLED": "true",
        "WES_WORKFLOWS_AUTHORIZERS_URL_ALLOW_LIST_ALLOWED_URLS_0": "https://.*",
        "WES_BLOB_STORAGE_CLIENT_GCP_SIGND_URL_TTL": "PT1H",
        "WES_DEFAULTPAGESIZE": "50",
    }
    settings = load_settings(None, env)
    assert settings.server.port == 9000
    assert settings.external_url == "https://wes.example.org"
    assert settings.cromwell.password == "p"
    first, second = settings.path_translations
    assert (first.prefix, first.replacement, first.location) == (
        "^/data",
        "gs://bucket",
        PathLocation.INPUTS,
    )
    assert (second.prefix, second.location) == ("/out", PathLocation.ALL)
    assert settings.auth.method is AuthMethod.OAUTH
    assert settings.issuer == "https://issuer.example"
    assert settings.auth.token_issuer.audiences == ("a", "b")
    assert settings.auth.token_issuer.scopes == ("wes",)
    assert settings.service_info.workflow_type_versions == {"WDL": ("1.0",)}
    assert settings.service_info.tags == {"my-tag": "x"}
    assert settings.workflows.authorizers.url_allow_list.allowed_urls == ("https://.*",)
    assert settings.blob_storage_client.gcp.signed_url_ttl == 3600.0
    assert settings.default_page_size == 50


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("cromwell:\n  url: http://from-file:1\n  timeout: 10s\nserver:\n  port: 1\n")
    settings = load_settings(config, {"SERVER_PORT": "2"})
    assert settings.cromwell.url == "http://from-file:1"
    assert settings.cromwell.timeout == 10.0
    assert settings.server.port == 2


def test_spring_style_yaml_and_json_are_read(tmp_path: Path) -> None:
    config = tmp_path / "application.yml"
    config.write_text("wes:\n  blob-storage-client:\n    local:\n      staging-path: /tmp/up\n")
    spring = '{"wes": {"cromwell": {"default-workflow-options": {"backend": "Local"}}}}'
    settings = load_settings(
        config,
        {
            "SPRING_APPLICATION_JSON": spring,
            "SPRING_PROFILES_ACTIVE": "basic-auth",
            "WES_AUTH_BASIC_AUTH_USERS_0_USERNAME": "u",
            "WES_AUTH_BASIC_AUTH_USERS_0_PASSWORD": "p",
        },
    )
    assert settings.blob_storage_client.local.staging_path == "/tmp/up"
    assert settings.cromwell.default_workflow_options == {"backend": "Local"}
    assert settings.auth.method is AuthMethod.BASIC_AUTH


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"SERVER_PORT": "eighty"}, ".server.port"),
        ({"WES_CROMWELL_URL": "cromwell:8000"}, "cromwell.url"),
        ({"WES_CROMWELL_TIMEOUT": "soon"}, ".cromwell.timeout"),
        ({"WES_AUTH_METHOD": "KERBEROS"}, ".auth.method"),
        ({"WES_PATHTRANSLATIONS_0_PREFIX": "(["}, "path_translations[0].prefix"),
        ({"WES_RUNS_PAGE_TOKEN_SECRET": "short"}, "runs.page_token_secret"),
        ({"WES_SECRET": "short"}, "secret"),
        ({"WES_SECRET": "ab" * 16}, "secret"),
        (
            {
                "WES_SECRET": "x" * 8 + "0123456789",
                "WES_RUNS_PAGE_TOKEN_SECRET": "y" * 8 + "0123456789",
            },
            "runs.page_token_secret",
        ),
        ({"SERVER_ADDRESS": "0.0.0.0"}, "server.address"),
        ({"WES_AUTH_METHOD": "BASIC_AUTH"}, "auth.basic_auth.users"),
        ({"WES_BLOB_STORAGE_CLIENT_NAME": "GCP"}, "blob_storage_client.gcp.project"),
        ({"WES_AUTH_METHOD": "OAUTH", "WES_AUTH_TOKEN_ISSUER_ALGORITHMS": "HS256"}, "algorithms"),
        ({"SERVER_TRUSTED_PROXIES": "127.0.0.1,nginx"}, "server.trusted_proxies[1]"),
        ({"WES_UPLOADS_MAX_PARTS": "0"}, "uploads.max_parts"),
        ({"WES_UPLOADS_MAX_IN_MEMORY_SIZE": "0"}, "uploads.max_in_memory_size"),
        ({"WES_EVENTS_POLL_INTERVAL": "0"}, "events.poll_interval"),
        ({"WES_EVENTS_KEEPALIVE_INTERVAL": "-1"}, "events.keepalive_interval"),
        ({"WES_EVENTS_RECENT_RUNS": "0"}, "events.recent_runs"),
    ],
)
def test_invalid_values_are_refused_naming_the_key(env: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", r"\.").replace("[", r"\[")):
        load_settings(None, env, checks=(auth_problems,))


def test_event_and_dashboard_settings_bind_from_the_environment() -> None:
    env = {"WES_EVENTS_POLL_INTERVAL": "500ms", "WES_EVENTS_MAX_ACTIVE_RUNS": "50",
           "WES_UI_ENABLED": "false"}  # fmt: skip
    settings = load_settings(None, env)
    assert settings.events.poll_interval == 0.5
    assert settings.events.max_active_runs == 50
    assert settings.ui.enabled is False
    assert load_settings(None, {}).ui.enabled is True


def test_unknown_yaml_key_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("cromwell:\n  urll: http://x\n")
    with pytest.raises(ConfigError, match=r"unknown setting.*urll"):
        load_settings(config, {})


def test_secrets_are_masked() -> None:
    settings = load_settings(None, {"WES_CROMWELL_USERNAME": "u", "WES_CROMWELL_PASSWORD": "pw"})
    shown = masked(settings)
    assert shown["cromwell"]["password"] == MASK
    assert shown["cromwell"]["username"] == "u"
    assert "pw" not in repr(settings)


def test_project_config_files_load() -> None:
    files = [PROJECT / "config.yaml", *sorted((PROJECT / "config").glob("*.yaml"))]
    assert files[0].exists()
    for path in files:
        load_settings(path, {})


def test_one_secret_binds_from_the_environment_and_its_former_name_still_works() -> None:
    secret = "0c6f1e2a9b7d4c3e8f5a"
    assert load_settings(None, {"WES_SECRET": secret}).server_secret == secret
    former = load_settings(None, {"WES_RUNS_PAGE_TOKEN_SECRET": secret})
    assert former.server_secret == secret
    assert load_settings(None, {}).server_secret is None
    assert masked(load_settings(None, {"WES_SECRET": secret}))["secret"] == MASK


def test_the_shipped_configurations_read_only_the_emulators_execution_root() -> None:
    """Its data directory also holds its database and every submission: no run's files."""
    make_dev = load_settings(PROJECT / "config.yaml", {})
    assert make_dev.blob_storage_client.local.allowed_read_roots == (
        ".data/emulator/cromwell-executions",
    )
    readme = (PROJECT / "examples" / "deploy" / "README.md").read_text()
    demo = yaml.safe_load(readme.split("```yaml\n", 1)[1].split("```", 1)[0])
    assert demo["blob_storage_client"]["local"]["allowed_read_roots"] == [
        "/var/lib/cromwes-emulator/cromwell-executions"
    ]
    unit = (PROJECT / "examples" / "deploy" / "cromwes-emulator.service").read_text()
    assert "--data-dir /var/lib/cromwes-emulator" in unit
