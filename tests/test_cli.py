"""The `cromwes` command, run as a user runs it."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import bcrypt
import pytest
import yaml

from cromwes.auth.checks import PLACEHOLDER_PASSWORD
from cromwes.config.settings import AuthMethod, AuthSettings, Settings
from tests.servers import free_port, stop

PROJECT = Path(__file__).resolve().parents[1]
KNOWN_HASH_OF_CHANGE_ME = "$2b$12$Xd6uam83xt6QjOmT.qHrz.kRPuP.gDBvNhSR8/0J3.YPGuVUsYaKi"
"""What config/basic-auth.yaml once shipped."""


def cromwes(
    *args: str, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cromwes", *args],
        input=stdin, capture_output=True, text=True, timeout=60, cwd=PROJECT,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("WES_")}, **(env or {})},
    )  # fmt: skip


def test_check_config_prints_effective_settings_with_secrets_masked() -> None:
    result = cromwes(
        "check-config",
        "--config",
        "config.yaml",
        env={"WES_CROMWELL_USERNAME": "u", "WES_CROMWELL_PASSWORD": "hunter2"},
    )
    assert result.returncode == 0, result.stderr
    shown = yaml.safe_load(result.stdout)
    assert shown["cromwell"]["url"] == "http://127.0.0.1:8000"
    assert shown["cromwell"]["password"] == "****"
    assert "hunter2" not in result.stdout
    assert shown["auth"]["method"] == "NO_AUTH"


def test_check_config_names_the_bad_key_and_exits_2() -> None:
    result = cromwes("check-config", env={"SERVER_PORT": "eighty", "WES_AUTH_METHOD": "NOPE"})
    assert result.returncode == 2
    assert ".server.port" in result.stderr
    assert ".auth.method" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_config_reads_cromwes_config(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("cromwell:\n  url: http://elsewhere:8000\n")
    result = cromwes("check-config", env={"CROMWES_CONFIG": str(config)})
    assert yaml.safe_load(result.stdout)["cromwell"]["url"] == "http://elsewhere:8000"


def test_hash_password_makes_a_bcrypt_hash_the_config_accepts() -> None:
    result = cromwes("hash-password", stdin="s3cret\n")
    assert result.returncode == 0, result.stderr
    hashed = result.stdout.strip()
    assert bcrypt.checkpw(b"s3cret", hashed.encode())
    env = {
        "WES_AUTH_METHOD": "BASIC_AUTH",
        "WES_AUTH_BASIC_AUTH_BCRYPTED": "true",
        "WES_AUTH_BASIC_AUTH_USERS_0_USERNAME": "alice",
        "WES_AUTH_BASIC_AUTH_USERS_0_PASSWORD": hashed,
    }
    assert cromwes("check-config", env=env).returncode == 0


def test_hash_password_refuses_an_empty_password() -> None:
    assert cromwes("hash-password", stdin="\n").returncode == 2


@pytest.mark.parametrize("name", ["basic-auth.yaml", "storage-local.yaml"])
def test_check_config_refuses_the_examples_placeholder_password(name: str) -> None:
    result = cromwes("check-config", "--config", f"config/{name}")
    assert result.returncode == 2
    assert "auth.basic_auth.users[0].password" in result.stderr
    assert "cromwes hash-password" in result.stderr


@pytest.mark.parametrize("password", ["change-me", KNOWN_HASH_OF_CHANGE_ME])
def test_check_config_refuses_a_password_published_in_this_project(password: str) -> None:
    env = {
        "WES_AUTH_METHOD": "BASIC_AUTH",
        "WES_AUTH_BASIC_AUTH_BCRYPTED": str(password.startswith("$2")).lower(),
        "WES_AUTH_BASIC_AUTH_USERS_0_USERNAME": "alice",
        "WES_AUTH_BASIC_AUTH_USERS_0_PASSWORD": password,
    }
    result = cromwes("check-config", env=env)
    assert result.returncode == 2
    assert "cromwes hash-password" in result.stderr


def test_the_example_runs_once_its_placeholder_is_replaced(tmp_path: Path) -> None:
    example = (PROJECT / "config" / "basic-auth.yaml").read_text()
    hashed = cromwes("hash-password", stdin="a-password-of-my-own\n").stdout.strip()
    config = tmp_path / "basic-auth.yaml"
    config.write_text(example.replace(PLACEHOLDER_PASSWORD, hashed))
    result = cromwes("check-config", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout)["server"]["address"] is None


async def test_serve_refuses_to_start_with_the_example_password() -> None:
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cromwes", "serve", "--config", "config/basic-auth.yaml",
        cwd=PROJECT, env={**os.environ, "SERVER_PORT": str(port), "SERVER_ADDRESS": "127.0.0.1"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        _, stderr = await asyncio.wait_for(server.communicate(), 60)
    finally:
        await stop(server)
    assert server.returncode == 2
    assert b"cromwes hash-password" in stderr
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)


def test_with_auth_on_the_default_bind_is_every_interface_as_the_reference() -> None:
    """Kept on purpose (README, Configuration): the reference's deployments, containers
    included, reach it there; what the default no longer brings is a known password."""
    for method in ("BASIC_AUTH", "OAUTH", "PASSPORT"):
        assert Settings(auth=AuthSettings(method=AuthMethod(method))).bind_address == "0.0.0.0"
    assert Settings().bind_address == "127.0.0.1"
