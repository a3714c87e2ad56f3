"""Fixtures shared by every test package: where the recorded Cromwell and WES files live."""

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
"""The reference material beside the project root (../shared); never copied into this repo."""


def require_all() -> bool:
    """Under CI every external program must be present: a skip would hide a missing install."""
    return (
        os.environ.get("CI", "").lower() == "true" or os.environ.get("CROMWES_REQUIRE_ALL") == "1"
    )


def skip_or_fail(reason: str) -> NoReturn:
    if require_all():
        pytest.fail(f"{reason} (CI=true: .ci/install-deps should have installed it)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"the shared reference folder {SHARED} is missing")
    return SHARED


@pytest.fixture(scope="session")
def recorded(shared_dir: Path) -> Callable[[str], Any]:
    """Load one recorded real Cromwell body from ../shared/cromwell by file name."""

    def load(name: str) -> Any:
        return json.loads((shared_dir / "cromwell" / name).read_text(encoding="utf-8"))

    return load


@pytest.fixture(scope="session")
def wes_spec_path(shared_dir: Path) -> Path:
    return shared_dir / "wes" / "workflow_execution_service-1.1.0.bundled.openapi.yaml"
