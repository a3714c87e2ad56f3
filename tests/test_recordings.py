"""Every response recorded from a real Cromwell is loaded by a test: a recording added to
../shared/cromwell (or its more/) that no test names makes this fail."""

import json
from pathlib import Path

import pytest

from tests.recordings import CROMWELL, METADATA_GLOB, metadata_recordings, recorded_files

TESTS = Path(__file__).resolve().parent
GLOBBED_BY = (
    TESTS / "translate" / "test_recorded_metadata.py",
    TESTS / "api" / "test_recorded_cromwell.py",
)
"""The tests that walk every `metadata-*.json` through `metadata_recordings()`."""
CATALOGUES = (
    "errors.json",
    "status-mapping.json",
    "cromwell-builtin-wes-responses.json",
    "more/small-bodies-recorded.json",
)
"""Files of many cases: each case must be named by a test too."""


def all_test_sources() -> str:
    return "\n".join(
        path.read_text(encoding="utf-8")
        for path in TESTS.rglob("*.py")
        if path != Path(__file__).resolve() and "node_modules" not in path.parts
    )


@pytest.fixture(scope="module")
def sources() -> str:
    return all_test_sources()


def test_every_recorded_file_is_loaded_by_a_test(sources: str) -> None:
    unloaded = []
    for name in recorded_files():
        if Path(name).match(METADATA_GLOB):
            assert name in metadata_recordings(), name
            assert all("metadata_recordings()" in p.read_text() for p in GLOBBED_BY)
        elif f'"{name}"' not in sources:
            unloaded.append(name)
    assert not unloaded, f"recorded files no test loads: {unloaded}"


@pytest.mark.parametrize("catalogue", CATALOGUES)
def test_every_case_of_a_catalogue_is_named_by_a_test(sources: str, catalogue: str) -> None:
    cases = json.loads((CROMWELL / catalogue).read_text(encoding="utf-8"))
    unnamed = [case for case in cases if case != "_note" and f'"{case}"' not in sources]
    assert not unnamed, f"{catalogue}: cases no test names: {unnamed}"
