"""What `cromwes dev` gives the gateway and the emulator child: pure functions of the inputs."""

from pathlib import Path

import pytest

from cromwes.config.loading import settings_from_tree
from cromwes.devserver import EmulatorEndpoints, dev_settings, emulator_environment

DATA = Path("/srv/dev/data")
EMULATOR = EmulatorEndpoints(
    url="http://127.0.0.1:18000", data_dir=DATA, executions_dir=DATA / "cromwell-executions"
)
EXECUTIONS = str(DATA / "cromwell-executions")


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        pytest.param([], [EXECUTIONS], id="none"),
        pytest.param([str(DATA)], [EXECUTIONS], id="the-data-dir"),
        pytest.param(["/srv/dev"], [EXECUTIONS], id="a-parent-of-it"),
        pytest.param([str(DATA / "submissions")], [EXECUTIONS], id="its-submissions"),
        pytest.param([EXECUTIONS], [EXECUTIONS], id="its-execution-root"),
        pytest.param(
            [f"{EXECUTIONS}/wf", "/refdata"], [f"{EXECUTIONS}/wf", "/refdata", EXECUTIONS],
            id="unrelated-and-inside-executions-kept",
        ),
        pytest.param(["/srv/dev/data-evil"], ["/srv/dev/data-evil", EXECUTIONS], id="by-component"),
    ],
)  # fmt: skip
def test_the_read_roots_are_the_emulators_execution_root(
    configured: list[str], expected: list[str]
) -> None:
    settings = settings_from_tree(
        {
            "cromwell": {"url": "http://127.0.0.1:9"},
            "blob_storage_client": {"local": {"allowed_read_roots": configured}},
        }
    )
    derived = dev_settings(settings, EMULATOR, 18090)
    assert list(derived.blob_storage_client.local.allowed_read_roots) == expected
    assert derived.cromwell.url == "http://127.0.0.1:18000"
    assert derived.server.port == 18090


def test_the_emulator_inherits_only_what_runs_programs() -> None:
    environ = {
        "PATH": "/usr/bin", "HOME": "/home/u", "LANG": "C.UTF-8", "LC_ALL": "C", "TMPDIR": "/t",
        "WES_CROMWELL_PASSWORD": "s", "SERVER_PORT": "1", "SPRING_APPLICATION_JSON": "{}",
        "AWS_SECRET_ACCESS_KEY": "s", "GOOGLE_APPLICATION_CREDENTIALS": "/k.json",
        "https_proxy": "http://u:p@proxy:3128", "CROMWES_CONFIG": "c.yaml",
    }  # fmt: skip
    assert emulator_environment(environ) == {
        "PATH": "/usr/bin", "HOME": "/home/u", "LANG": "C.UTF-8", "LC_ALL": "C", "TMPDIR": "/t",
    }  # fmt: skip
