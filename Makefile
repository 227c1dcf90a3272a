# The two commands users need: `make up` (the local two-region sandbox) and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Debian packages the full test suite needs (browser tests, the sandbox's servers).
APT_PACKAGES := chromium wordpress wordpress-theme-twentytwentythree mariadb-server php-cli php-mysql

.PHONY: help up venv system-deps lint test test-unit openapi build web clean

help:
	@echo "make test         lint and run every test suite (creates .venv on first use)"
	@echo "make system-deps  install the Debian packages the browser and sandbox tests need"
	@echo "make up           start the local two-region sandbox (Ctrl-C stops it)"
	@echo "make openapi      regenerate docs/openapi.json from the API resolver"
	@echo "make build        build the Lambda artifacts into build/lambda"
	@echo "make clean        remove build outputs and the virtual environment"

$(STAMP): pyproject.toml
	@command -v python3 >/dev/null || { echo "python3 (3.11+) is required" >&2; exit 1; }
	@python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required" >&2; exit 1; }
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[ops,dev]'
	@touch $@

venv: $(STAMP)

system-deps:
	@if command -v apt-get >/dev/null 2>&1; then \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(APT_PACKAGES); \
	else \
		echo "Not Debian/Ubuntu: install these yourself: $(APT_PACKAGES)"; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: lint
	$(VENV)/bin/pytest

test-unit: $(STAMP)
	$(VENV)/bin/pytest tests/unit

up: $(STAMP)
	$(VENV)/bin/bookstore sandbox up

build: $(STAMP)
	$(VENV)/bin/bookstore build

openapi: $(STAMP)
	$(VENV)/bin/bookstore openapi --output docs/openapi.json

clean:
	rm -rf build $(VENV) .mypy_cache .pytest_cache .ruff_cache
