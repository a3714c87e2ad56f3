"""Staged object names: `prefix/folder/name`, never escaping, never with a leading slash."""

import pytest

from cromwes.errors import InvalidRequest
from cromwes.storage.names import staged_name


@pytest.mark.parametrize(
    ("prefix", "folder", "name", "expected"),
    [
        pytest.param("", "run", "a.txt", "run/a.txt", id="no-prefix"),
        pytest.param("staging", "run", "a.txt", "staging/run/a.txt", id="prefix"),
        pytest.param("/staging/", "run", "a.txt", "staging/run/a.txt", id="slashes-trimmed"),
        pytest.param("a//b", "run", "d/e.txt", "a/b/run/d/e.txt", id="nested"),
        pytest.param("", "run/attempt", "a.txt", "run/attempt/a.txt", id="attempt-folder"),
    ],
)
def test_staged_name(prefix: str, folder: str, name: str, expected: str) -> None:
    assert staged_name(prefix, folder, name) == expected


@pytest.mark.parametrize(
    ("folder", "name"),
    [
        pytest.param("run", "", id="empty-name"),
        pytest.param("run", "../a", id="dot-dot"),
        pytest.param("run", "a/../../b", id="dot-dot-inside"),
        pytest.param("run", "/etc/passwd", id="absolute"),
        pytest.param("run", "a//b", id="empty-segment"),
        pytest.param("run", "./a", id="dot"),
        pytest.param("run", "a\0b", id="nul"),
        pytest.param("..", "a", id="folder-dot-dot"),
        pytest.param("a//b", "c", id="folder-with-an-empty-segment"),
        pytest.param("a/..", "c", id="folder-leaving-itself"),
        pytest.param("", "c", id="folder-empty"),
    ],
)
def test_unsafe_names_are_refused(folder: str, name: str) -> None:
    with pytest.raises(InvalidRequest):
        staged_name("staging", folder, name)
