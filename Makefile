# The two commands users need: `make up` (the local two-region sandbox) and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Debian packages the full test suite needs (browser tests, the sandbox's servers).
APT_PACKAGES := chromium wordpress wordpress-theme-twentytwentythree mariadb-server php-cli php-mysql

WEB_SOURCES := $(shell find web/src web/public web/scripts functions/catalog/covers -type f 2>/dev/null) \
	web/index.html web/package.json web/package-lock.json web/vite.config.ts web/tsconfig.json docs/openapi.json
NODE_MODULES := web/node_modules/.package-lock.json
WEB_DIST := web/dist/index.html
E2E_PORT_BASE ?= 9600

.PHONY: bench help up venv system-deps system-check lint test test-python test-web test-e2e test-unit openapi covers build web clean

help:
	@echo "make test         lint and run every test suite (creates .venv on first use)"
	@echo "make system-deps  install the Debian packages the browser and sandbox tests need"
	@echo "                  (make test does this itself when it can, or says what to run)"
	@echo "make up           start the local two-region sandbox (Ctrl-C stops it)"
	@echo "make web          build the web app into web/dist (when sources changed)"
	@echo "make bench        measure cold starts, latencies, replication, RTO: bench/RESULTS.md"
	@echo "make openapi      regenerate docs/openapi.json from the API resolver"
	@echo "make covers       regenerate the catalog's SVG covers (after editing books.json)"
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

# Run first by `make test`: a missing system package is installed where it can be (Debian or
# Ubuntu, as root or with sudo), or the run stops at once with the one line to run, instead of
# a browser or blog test failing many minutes in.
system-check:
	@node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' 2>/dev/null \
		|| { echo "make test needs Node.js 20.19 or newer (with npm): install it from https://nodejs.org" >&2; exit 1; }
	@if command -v dpkg-query >/dev/null 2>&1; then \
		missing=""; \
		for p in $(APT_PACKAGES); do \
			[ "$$(dpkg-query -W -f='$${db:Status-Status}' $$p 2>/dev/null)" = installed ] || missing="$$missing $$p"; \
		done; \
		if [ -n "$$missing" ]; then \
			if [ "$$(id -u)" = 0 ] || sudo -n true 2>/dev/null; then \
				echo "installing the system packages the tests need:$$missing"; \
				$(MAKE) --no-print-directory system-deps; \
			else \
				echo "missing system packages:$$missing; run: sudo apt-get install -y --no-install-recommends$$missing" >&2; \
				exit 1; \
			fi; \
		fi; \
	else \
		for c in chromium mariadbd php; do \
			PATH="$$PATH:/usr/sbin" command -v $$c >/dev/null 2>&1 \
				|| { echo "not Debian/Ubuntu and $$c is missing: install the equivalents of $(APT_PACKAGES)" >&2; exit 1; }; \
		done; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: system-check lint test-python test-web test-e2e

test-python: $(STAMP)
	$(VENV)/bin/pytest

test-web: $(NODE_MODULES)
	cd web && npm test

# The browser journey of the web app against a real sandbox (its own ports, torn down after),
# then the UI-state checks against the mock API.
test-e2e: system-check $(STAMP) $(WEB_DIST)
	@set -e; base=$(E2E_PORT_BASE); bin=$(CURDIR)/$(VENV)/bin/bookstore; \
	$$bin sandbox up --detach --port-base $$base; \
	trap "$$bin sandbox down --port-base $$base" EXIT; \
	cd web && FRONTDOOR_URL=http://127.0.0.1:$$base SANDBOX_PORT_BASE=$$base BOOKSTORE_BIN=$$bin \
		npx playwright test e2e/journey.spec.ts
	cd web && npx playwright test e2e/ui-states.spec.ts

test-unit: $(STAMP)
	$(VENV)/bin/pytest tests/unit

up: $(STAMP)
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory web; \
	else echo "npm not found: the sandbox starts without the web app (install Node.js 20+)"; fi
	$(VENV)/bin/bookstore sandbox up

$(NODE_MODULES): web/package.json web/package-lock.json
	cd web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
	@touch $@

# Rebuilt when any source (or a cover) changed; the build fails above the JS size budget.
$(WEB_DIST): $(NODE_MODULES) $(WEB_SOURCES)
	cd web && npm run build

web: $(WEB_DIST)

build: $(STAMP)
	$(VENV)/bin/bookstore build

# The measured performance (several minutes; starts its own sandbox): bench/RESULTS.md.
bench: $(STAMP)
	$(PY) -m bench

openapi: $(STAMP)
	$(VENV)/bin/bookstore openapi --output docs/openapi.json

covers: $(STAMP)
	$(PY) -m tools.covers

clean:
	rm -rf build $(VENV) .mypy_cache .pytest_cache .ruff_cache web/dist web/node_modules
