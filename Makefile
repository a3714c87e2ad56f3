# The two commands of the README: `make dev` (set up and serve) and `make test` (set up and pass
# every test). Everything else here is a building block of those two.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
CONFIG ?= config.yaml

.PHONY: dev test lint pytest deps e2e bench bench-load clean

$(INSTALLED): setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

## Set up, then serve the emulator on 127.0.0.1:8000 and the gateway on 127.0.0.1:8090 (Ctrl-C stops both).
dev: $(INSTALLED)
	$(BIN)/cromwes dev --config $(CONFIG)

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

## Performance figures for the README (not a test, not in CI).
bench: $(INSTALLED)
	$(BIN)/python -m bench

bench-load: $(INSTALLED)
	$(BIN)/python -m bench.load

clean:
	rm -rf $(VENV) .venv-clients .mypy_cache .ruff_cache .pytest_cache *.egg-info tests/azurite/node_modules
