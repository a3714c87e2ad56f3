"""The responses recorded from real Cromwell servers (../shared/cromwell and its `more/`), found
by globbing: a recording added there is picked up by every test that walks them."""

import json
import uuid
from functools import cache
from typing import Any

from tests.conftest import SHARED

CROMWELL = SHARED / "cromwell"
FOLDERS = ("", "more/")
METADATA_GLOB = "metadata-*.json"
NOT_A_RECORDING = frozenset({"README.md"})

ANONYMISED_IDS = {"more-random-value": "metadata-azure-tes-succeeded-anonymized-v86.json"}
"""Ids the recording's author replaced with something that is not a UUID (more/README.md:
EDITED). Cromwell only writes UUIDs, so the replay serves such a body under a UUID of its own."""

STATUS_LEFT_OUT = {"metadata-failed-before-calls-includekey.json": "Failed"}
"""Bodies recorded with an `includeKey` that left `status` out; what Cromwell's `/status` says
of that workflow (README.md: it failed during input validation)."""

SNAPSHOTS_OF_ONE_WORKFLOW = (
    "metadata-submitted.json",
    "metadata-running-queuedincromwell-slurm.json",
)
"""One SLURM workflow (LIVE-74) recorded twice as it moved on: same id, earliest first."""


def recorded_files() -> list[str]:
    """Every recorded file, named relative to ../shared/cromwell (`more/...` for the second set)."""
    return sorted(
        f"{folder}{path.name}"
        for folder in FOLDERS
        for path in (CROMWELL / folder).iterdir()
        if path.is_file() and path.name not in NOT_A_RECORDING
    )


def metadata_recordings() -> list[str]:
    """Every recorded metadata body, in both folders."""
    return sorted(
        f"{folder}{p.name}" for folder in FOLDERS for p in (CROMWELL / folder).glob(METADATA_GLOB)
    )


@cache
def _text(name: str) -> str:
    return (CROMWELL / name).read_text(encoding="utf-8")


def load(name: str) -> Any:
    """A fresh copy of a recorded body (tests may change it)."""
    return json.loads(_text(name))


def replayable(name: str) -> Any:
    """A recorded metadata body as a Cromwell would serve it: an anonymised id replaced by a
    UUID (stable per file)."""
    body = load(name)
    if body.get("id") in ANONYMISED_IDS:
        body["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, name))
    return body
