"""The Cromwell API requests the emulator received, newest last, for `GET /_emulator/requests`.

Tests read it to assert what a gateway sent Cromwell (its query parameters, headers, the parts
of its submit form). Kept in memory only and bounded, never logged nor written to disk. Headers
that carry credentials keep only their scheme (`Basic <redacted>`): a test may check that the
gateway authenticated, never needs the secret, and the log must not hand it to whoever reads it.
"""

from collections import deque
from collections.abc import Sequence
from typing import Any

from cromwes.emulator.submission import FormPart

BINARY_PARTS = frozenset({"workflowDependencies", "wdlDependencies"})
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization"})
REDACTED = "<redacted>"


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
                "headers": redacted(headers),
            }
        )

    def entries(self) -> list[dict[str, Any]]:
        return list(self._entries)

    def clear(self) -> None:
        self._entries.clear()


def redacted(headers: dict[str, str]) -> dict[str, str]:
    """The headers, each credential replaced by its scheme (if any) and `<redacted>`."""
    return {
        name: _redacted_value(value) if name.lower() in CREDENTIAL_HEADERS else value
        for name, value in headers.items()
    }


def _redacted_value(value: str) -> str:
    scheme, _, credentials = value.strip().partition(" ")
    return f"{scheme} {REDACTED}" if credentials else REDACTED


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
