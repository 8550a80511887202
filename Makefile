# Corridor — `make run` and `make test` are the whole set-up on a fresh clone.
# Needs Python 3.11+, Java 17+ and Maven on PATH (Node.js with npm optional: the interop test);
# everything else is installed here.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The Node.js partner of the interop test (tests/interop/node); skipped without node and npm.
NODE_DIR := tests/interop/node
NODE_STAMP := $(NODE_DIR)/node_modules/.installed-stamp
HAVE_NODE := $(shell command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && echo yes)
NODE_DEPS := $(if $(HAVE_NODE),$(NODE_STAMP),no-node)

.DEFAULT_GOAL := help

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "corridor: Python 3.11 or newer is needed (found " + sys.version.split()[0] + ")")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,dev]'
	@touch $@

$(NODE_STAMP): $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	npm ci --prefix $(NODE_DIR) --no-audit --no-fund
	@touch $@

.PHONY: no-node
no-node:
	@echo "corridor: node/npm not found on PATH: the Node.js interop test (tests/interop/node) will be skipped"

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: install
install: $(STAMP) ## Create .venv and install Corridor with its test and dev tools

.PHONY: run
run: $(STAMP) ## Bring up Kafka and PostgreSQL, run the processors and a demo scenario (Ctrl-C stops)
	$(BIN)/corridor run --demo

.PHONY: test
test: $(STAMP) $(NODE_DEPS) ## Run every test tier (starts a real Kafka and PostgreSQL for the run)
	$(BIN)/pytest

.PHONY: unit
unit: $(STAMP) ## Run the pure unit tests only (no broker, no database)
	$(BIN)/pytest tests/unit

.PHONY: soak
soak: $(STAMP) ## Fault injection, repeated: SIGKILL the allocator and intake mid-stream (SOAK_RUNS times)
	@for i in $$(seq $${SOAK_RUNS:-10}); do echo "soak run $$i"; $(BIN)/pytest -q -m soak || exit 1; done

.PHONY: bench
bench: $(STAMP) ## Benchmarks on this machine: codec, allocator vs a raw aiokafka loop, quality vs LP, ledger vs COPY, pipeline end to end
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	$(BIN)/corridor up
	$(BIN)/corridor bench codec
	$(BIN)/corridor bench allocator --quality
	$(BIN)/corridor bench ledger
	$(BIN)/corridor bench pipeline

.PHONY: lint
lint: $(STAMP) ## ruff (lint + format check), mypy and the architecture contracts (import-linter)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

.PHONY: format
format: $(STAMP) ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

.PHONY: status
status: $(STAMP) ## Is the local stack healthy?
	$(BIN)/corridor status

.PHONY: down
down: $(STAMP) ## Stop the local Kafka and PostgreSQL
	$(BIN)/corridor down

.PHONY: clean
clean: ## Stop the stack and remove its data (.corridor/) and the virtualenv
	-test -x $(BIN)/corridor && $(BIN)/corridor down
	rm -rf .corridor $(VENV) $(NODE_DIR)/node_modules
