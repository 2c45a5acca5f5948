# Selfie: `make demo` starts the portal; `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.12 or newer (oidc-provider-mock needs it): the first one found.
PYTHON ?= $(firstword $(foreach p,python3.13 python3.12 $(wildcard /root/.pyenv/versions/3.1[23]*/bin/python3) python3,$(shell command -v $(p) >/dev/null 2>&1 && $(p) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && command -v $(p))))
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help demo test test-fast test-postgres lint dist translations-extract translations-update translations-compile benchmark bench clean

help:
	@echo "make demo    start the portal on http://127.0.0.1:5000 with demo data"
	@echo "make test    run the whole test suite (unit, Flask client, browser)"
	@echo "make test-postgres    the suite (without browser walks) on PostgreSQL at 127.0.0.1:5432"
	@echo "make lint    ruff check and format check"
	@echo "make dist    build the release (dist/selfie-*.whl with compiled catalogues)"
	@echo "make benchmark    time the register import (100,000 customers, 300,000 services)"
	@echo "make bench    pages under gunicorn + wrk beside a bare Flask page; writes docs/performance.md"

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

translations-compile: $(STAMP)
	$(BIN)/pybabel compile --statistics -d app/translations 2>&1 | grep -v '^$$'

translations-extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -o app/translations/messages.pot --no-location --sort-output --project Selfie --msgid-bugs-address kundtjanst@jnt.fi .

translations-update: translations-extract
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --ignore-obsolete --width 100
	$(BIN)/python -m app.i18n app/translations/en/LC_MESSAGES/messages.po

demo: $(STAMP) translations-compile
	$(BIN)/python -m app.devserver

test: $(STAMP) translations-compile
	$(BIN)/python -m pytest

test-fast: $(STAMP) translations-compile
	$(BIN)/python -m pytest -m "not browser"

# Every app a test builds gets a throwaway database on this server instead of SQLite.
TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
test-postgres: $(STAMP) translations-compile
	SELFIE_TEST_DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/python -m pytest -m "not browser and not slow"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist .

benchmark: $(STAMP) translations-compile
	$(BIN)/python -m tests.benchmarks.run

# Redis database the bench flushes (never one in use): SELFIE_BENCH_REDIS_URL.
BENCH_REDIS_URL ?= $(or $(SELFIE_BENCH_REDIS_URL),$(SELFIE_TEST_REDIS_URL),redis://127.0.0.1:6379/14)

bench: $(STAMP) translations-compile
	$(BIN)/python -m tests.benchmarks.web_bench --redis-url "$(BENCH_REDIS_URL)"

clean:
	rm -rf $(VENV) instance/selfie.sqlite3 instance/demo .pytest_cache
