# The two commands of the README: `make dev` (set up and serve) and `make test` (set up and pass
# every test). Everything else here is a building block of those two.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
CONFIG ?= config.yaml
# `make dev WES_PORT=18090 EMULATOR_PORT=18000 DATA_DIR=/tmp/d`: the gateway's port (default:
# server.port of $(CONFIG), 8090), the emulator's Cromwell port and its data directory. The
# gateway always points at the emulator it starts and reads its task logs, whatever these say.
WES_PORT ?=
EMULATOR_PORT ?= 8000
DATA_DIR ?= .data/emulator
# Make variables, not settings: WES_PORT would otherwise reach cromwes as an unknown WES_* setting.
unexport WES_PORT EMULATOR_PORT DATA_DIR

.PHONY: dev test lint pytest deps e2e bench bench-deps bench-load clean

$(INSTALLED): setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

## Set up, then serve the emulator on 127.0.0.1:8000 and the gateway on 127.0.0.1:8090 (Ctrl-C stops both).
dev: $(INSTALLED)
	$(BIN)/cromwes dev --config $(CONFIG) --emulator-port $(EMULATOR_PORT) --data-dir $(DATA_DIR)$(if $(WES_PORT), --port $(WES_PORT))

## Set up, install what the tests need (nginx, Azurite, WES clients), lint, and run the whole suite.
test: $(INSTALLED) deps lint pytest

deps: $(INSTALLED)
	.ci/install-deps

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

pytest: $(INSTALLED)
	$(BIN)/pytest $(PYTEST_ARGS)

## The end-to-end suite alone: against $$E2E_BASE_URI (with $$E2E_TOKEN or $$E2E_BASIC_AUTH), or a stack it starts.
e2e: $(INSTALLED)
	$(BIN)/pytest tests/e2e $(PYTEST_ARGS)

## Performance figures for the README (not a test, not in CI): the venv and wrk, none of the test programs.
bench: $(INSTALLED) bench-deps
	$(BIN)/python -m bench

bench-deps:
	.ci/install-deps wrk

bench-load: $(INSTALLED)
	$(BIN)/python -m bench.load

clean:
	rm -rf $(VENV) .venv-clients .mypy_cache .ruff_cache .pytest_cache *.egg-info tests/azurite/node_modules
