"""The Cromwell API requests the emulator received, newest last, for `GET /_emulator/requests`.

Tests read it to assert what a gateway sent Cromwell (its query parameters, the parts of its
submit form). Kept in memory only and bounded; it holds headers verbatim because that is what a
test may need to check, so it is never logged nor written to disk.
"""

from collections import deque
from collections.abc import Sequence
from typing import Any

from cromwes.emulator.submission import FormPart

BINARY_PARTS = frozenset({"workflowDependencies", "wdlDependencies"})


class RequestJournal:
    """A bounded list of request summaries."""

    def __init__(self, size: int) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=size)

    def record(
        self,
        method: str,
        path: str,
        query: Sequence[tuple[str, str]],
        headers: dict[str, str],
        form: Sequence[FormPart] | None,
    ) -> None:
        self._entries.append(
            {
                "method": method,
                "path": path,
                "query": [[k, v] for k, v in query],
                "form": form_summary(form) if form is not None else None,
                "headers": headers,
            }
        )

    def entries(self) -> list[dict[str, Any]]:
        return list(self._entries)

    def clear(self) -> None:
        self._entries.clear()


def form_summary(parts: Sequence[FormPart]) -> dict[str, Any]:
    """Text parts as text; a zip, or any part that is not UTF-8, as its file name and size."""
    summary: dict[str, Any] = {}
    for part in parts:
        text: str | None = None
        if part.name not in BINARY_PARTS:
            try:
                text = part.data.decode("utf-8")
            except UnicodeDecodeError:
                text = None
        summary[part.name] = (
            text if text is not None else {"filename": part.filename, "size": len(part.data)}
        )
    return summary
