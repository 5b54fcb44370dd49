# Jangteo — two commands for a newcomer: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEPS_HASH := $(shell cat pyproject.toml | sha1sum | cut -c1-12)
RUN_STAMP := $(VENV)/.run-$(DEPS_HASH)
TEST_STAMP := $(VENV)/.test-$(DEPS_HASH)
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help run test lint bench-fanout bench-storm bench-instructions bench-opening clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel

$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e .
	@touch $@

$(TEST_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e ".[test]"
	@touch $@ $(RUN_STAMP)

run: $(RUN_STAMP) ## Start the platform with demo data at http://127.0.0.1:8000 (SQLite unless DATABASE_URL/REDIS_URL)
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py init_pki
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py serve --host $(HOST) --port $(PORT)

test: $(TEST_STAMP) ## Run the whole test suite (installs chromium for the browser tests when it can)
	@scripts/ensure-chromium
	$(BIN)/pytest

lint: $(TEST_STAMP) ## Lint, format check and missing-migration check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

bench-fanout: $(TEST_STAMP) ## Live fan-out benchmark (N watchers of one tender)
	$(BIN)/python bench/fanout.py

bench-storm: $(TEST_STAMP) ## Deadline storm: 500 suppliers bid over HTTP against PostgreSQL, three runs and their median (DATABASE_URL names the server)
	$(BIN)/python bench/deadline_storm.py

bench-instructions: $(TEST_STAMP) ## Instructions per bid submission of one platform process, counted by callgrind (needs valgrind; DATABASE_URL names the PostgreSQL server)
	$(BIN)/python bench/submission_instructions.py

bench-opening: $(TEST_STAMP) ## Opening: open and verify 1,000 sealed envelopes (SQLite, or the PostgreSQL server DATABASE_URL names)
	$(BIN)/python bench/opening.py

clean: ## Remove the virtual environment and local data
	rm -rf $(VENV) var
