import pytest

from cromwes.translate.times import rfc3339


@pytest.mark.parametrize(
    ("cromwell", "expected"),
    [
        pytest.param("2024-08-09T23:01:51.187Z", "2024-08-09T23:01:51.187Z", id="utc-millis"),
        pytest.param("2018-07-26T17:19:00.813-04:00", "2018-07-26T21:19:00.813Z", id="offset"),
        pytest.param("2024-08-09T23:01:51Z", "2024-08-09T23:01:51Z", id="whole-seconds"),
        pytest.param("2024-08-09T23:01:51", "2024-08-09T23:01:51Z", id="naive-is-utc"),
        pytest.param(None, None, id="absent"),
        pytest.param("", None, id="empty"),
        pytest.param("yesterday", "yesterday", id="unparseable-kept"),
    ],
)
def test_rfc3339(cromwell: str | None, expected: str | None) -> None:
    assert rfc3339(cromwell) == expected
