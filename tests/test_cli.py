"""The `cromwes` command, run as a user runs it."""

import os
import subprocess
import sys
from pathlib import Path

import bcrypt
import yaml

PROJECT = Path(__file__).resolve().parents[1]


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
