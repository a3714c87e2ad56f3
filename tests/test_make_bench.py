"""`make bench` sets up what the bench needs and nothing more: the venv and wrk, none of the
programs the test suite drives (README "Performance")."""

import shutil
import subprocess
from pathlib import Path

from tests.devstack import PROJECT

RECORDER = '#!/bin/bash\necho "{name} $*" >> {calls}\n'


def stub(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)


def test_make_bench_installs_wrk_alone_then_runs_the_bench(tmp_path: Path) -> None:
    # A machine with none of the programs: a PATH holding only what make and the scripts run,
    # an apt-get (and a sudo, for a non-root run) that write down what they were asked, and a
    # venv set up already whose python does the same.
    path, calls = tmp_path / "bin", tmp_path / "calls"
    path.mkdir()
    for tool in ("bash", "dirname", "env", "id"):
        found = shutil.which(tool)
        assert found is not None, tool
        (path / tool).symlink_to(found)
    stub(path / "apt-get", RECORDER.format(name="apt-get", calls=calls))
    stub(path / "sudo", '#!/bin/bash\nexec "$@"\n')
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    stub(venv / "bin" / "python", RECORDER.format(name="python", calls=calls))
    (venv / ".installed").touch()

    make = shutil.which("make")
    assert make is not None
    result = subprocess.run(
        [make, "--no-print-directory", "bench", f"VENV={venv}"],
        cwd=PROJECT, env={"PATH": str(path)}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    assert calls.read_text(encoding="utf-8").splitlines() == [
        "apt-get update -qq",
        "apt-get install -y -qq --no-install-recommends wrk",
        "python -m bench",
    ]
    assert "installing wrk (apt-get)" in result.stdout
