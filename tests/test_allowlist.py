import pytest

from cromwes.config.settings import Authorizers, ChecksumAllowList, UrlAllowList
from cromwes.errors import Forbidden
from cromwes.policy.allowlist import AttachmentDigest, authorize_workflow

MAIN = AttachmentDigest("main.wdl", "0123456789abcdef0123456789abcdef")
OPTIONS = AttachmentDigest("options.json", "ffffffffffffffffffffffffffffffff")
URLS = UrlAllowList(enabled=True, allowed_urls=(r"https://trusted\.org/wf/.*",))
SUMS = ChecksumAllowList(
    enabled=True,
    allowed_checksums=("0123456789ABCDEF0123456789ABCDEF",),
    excluded_files=("options.json",),
)


@pytest.mark.parametrize(
    ("authorizers", "url", "attachments", "allowed"),
    [
        pytest.param(Authorizers(), "https://anything/x.wdl", [], True, id="none-enabled"),
        pytest.param(
            Authorizers(url_allow_list=URLS), "https://trusted.org/wf/a.wdl", [], True, id="url-ok"
        ),
        pytest.param(
            Authorizers(url_allow_list=URLS),
            "https://evil.org/wf/a.wdl",
            [],
            False,
            id="url-other-host",
        ),
        pytest.param(
            Authorizers(url_allow_list=URLS),
            "https://trusted.org/wf/../evil.wdl",
            [],
            False,
            id="url-dotdot-normalised",
        ),
        pytest.param(
            Authorizers(url_allow_list=URLS),
            "https://trusted.org.evil.com/wf/a.wdl",
            [],
            False,
            id="url-host-suffix",
        ),
        pytest.param(
            Authorizers(checksum=SUMS),
            "main.wdl",
            [MAIN, OPTIONS],
            True,
            id="checksum-case-insensitive-and-excluded",
        ),
        pytest.param(
            Authorizers(checksum=SUMS),
            "main.wdl",
            [AttachmentDigest("main.wdl", "1" * 32)],
            False,
            id="checksum-tampered",
        ),
        pytest.param(
            Authorizers(checksum=SUMS), "main.wdl", [OPTIONS], False, id="checksum-nothing-to-check"
        ),
        pytest.param(
            Authorizers(checksum=SUMS),
            "https://trusted.org/wf/a.wdl",
            [MAIN],
            False,
            id="checksum-absolute-url",
        ),
        pytest.param(
            Authorizers(url_allow_list=URLS, checksum=SUMS),
            "main.wdl",
            [MAIN],
            True,
            id="any-approves",
        ),
        pytest.param(
            Authorizers(url_allow_list=URLS, checksum=SUMS),
            "evil.wdl",
            [AttachmentDigest("evil.wdl", "2" * 32)],
            False,
            id="both-refuse",
        ),
    ],
)
def test_authorizers(
    authorizers: Authorizers, url: str, attachments: list[AttachmentDigest], allowed: bool
) -> None:
    if allowed:
        authorize_workflow(url, attachments, authorizers)
    else:
        with pytest.raises(Forbidden, match="Workflow is not authorized"):
            authorize_workflow(url, attachments, authorizers)


def test_refusal_names_each_authorizer_without_echoing_the_allow_list() -> None:
    with pytest.raises(Forbidden) as refused:
        authorize_workflow(
            "evil.wdl",
            [AttachmentDigest("evil.wdl", "2" * 32)],
            Authorizers(url_allow_list=URLS, checksum=SUMS),
        )
    assert "url_allow_list:" in refused.value.msg
    assert "checksum:" in refused.value.msg
    assert "trusted" not in refused.value.msg
    assert "0123456789" not in refused.value.msg.lower()
