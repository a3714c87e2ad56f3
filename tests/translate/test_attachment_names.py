import pytest

from cromwes.errors import InvalidRequest
from cromwes.translate.attachment_names import attachment_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("hello.wdl", "hello.wdl"), ("lib/tasks.wdl", "lib/tasks.wdl"), ("./a//b.txt", "a/b.txt")],
)
def test_relative_names_are_kept(raw: str, expected: str) -> None:
    assert attachment_name(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("/etc/passwd", id="absolute"),
        pytest.param("../escape.wdl", id="dotdot"),
        pytest.param("a/../../b", id="dotdot-nested"),
        pytest.param("a\\..\\b", id="backslash"),
        pytest.param("C:evil", id="drive"),
        pytest.param("bad\nname", id="newline"),
        pytest.param("nul\x00", id="nul"),
        pytest.param(".", id="dot-only"),
        pytest.param("x" * 2000, id="too-long"),
    ],
)
def test_dangerous_names_are_refused(raw: str | None) -> None:
    with pytest.raises(InvalidRequest):
        attachment_name(raw)
