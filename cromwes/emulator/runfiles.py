"""The files of one run in its submission folder (`<data>/submissions/<id>/`): the source
bundle and inputs the runner child reads, and the result it writes. Blocking: call these
through `asyncio.to_thread`."""

import json
from pathlib import Path
from typing import Any

from cromwes.emulator.calls import Failure, failure
from cromwes.emulator.jobdirs import error_message
from cromwes.emulator.wdlsource import SubmissionSources


def write_run_files(
    folder: Path, root: Path, sources: SubmissionSources, inputs: dict[str, Any], options: str
) -> None:
    """Sources (as files, and as the bundle the runner replays), inputs, options, and a fresh
    run root."""
    folder.mkdir(parents=True, exist_ok=True)
    for path, text in sources.bundle.files.items():
        if sources.submitted(path) and Path(path).is_relative_to(folder):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(text, encoding="utf-8")
    (folder / "sources.json").write_text(json.dumps(sources.bundle.to_json()), encoding="utf-8")
    (folder / "inputs.json").write_text(json.dumps(inputs), encoding="utf-8")
    (folder / "options.json").write_text(options, encoding="utf-8")
    (folder / "result.json").unlink(missing_ok=True)
    root.mkdir(parents=True, exist_ok=True)


def read_result(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def error_failures(result: dict[str, Any]) -> list[Failure]:
    """Why a run failed outside any call, as a cause tree: the runner's chain of causes (e.g.
    "unable to download <URL>", then "HTTP Error 404: Not Found"), or miniwdl's innermost
    message."""
    causes = [str(c) for c in result.get("causes") or []] or [
        error_message(result.get("error"), "the workflow failed")
    ]
    tree: list[Failure] = []
    for message in reversed(causes):
        tree = [failure(message, tree)]
    return tree
