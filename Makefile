# Veilleuse: `make run` starts the platform, `make test` runs every test. Both set up what they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

AXE := node_modules/axe-core/axe.min.js
CHROMIUM ?= /usr/bin/chromium

.PHONY: install browsers migrate demo run test test-unit test-integration test-e2e bench bench-reminders tail lint clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

# Browser tests drive Debian's Chromium (never a downloaded browser) and inject axe-core from npm.
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

$(AXE): package.json
	npm install --no-audit --no-fund --silent
	@touch $(AXE)

browsers: $(CHROMIUM) $(AXE)

migrate: install
	$(PY) -m shared.migrations

demo: migrate
	$(PY) -m infra.demo_data

run: demo
	$(VENV)/bin/honcho start -f Procfile

test: install browsers
	$(PY) -m pytest

test-unit: install
	$(PY) -m pytest tests/unit

test-integration: install
	$(PY) -m pytest tests/integration

test-e2e: install browsers
	$(PY) -m pytest tests/e2e

bench: install
	$(PY) -m bench

# Only the AMAP reminders of a distribution with 2,000 baskets (also part of `make bench`).
bench-reminders: install
	$(PY) -m bench.reminders

tail: install
	$(PY) -m shared.bus.tail '#'

lint: install
	$(PY) -m ruff check .

clean:
	rm -rf var/*.db var/*.db-* .pytest_cache
