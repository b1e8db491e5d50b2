# Veilleuse: `make run` starts the platform, `make test` runs every test. Both set up what they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

# The keys of this checkout, made once by the first `make run` (never committed: var/ is ignored).
KEYS_DIR := $(or $(VAR_DIR),var)/keys
# Sign-in attempts are counted where every gunicorn worker sees them.
RATELIMIT_STORAGE_URI ?= redis://127.0.0.1:6379/0

# The npm packages of package.json (axe-core for the browser tests, @asyncapi/parser for the AsyncAPI file):
# installed again whenever package.json or package-lock.json changes.
NPM_STAMP := node_modules/.installed-$(shell cat package.json package-lock.json | cksum | cut -d' ' -f1)
CHROMIUM ?= /usr/bin/chromium

.PHONY: install npm browsers keys migrate demo admin run test test-unit test-integration test-dates test-e2e bench bench-reminders tail lint clean

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

$(NPM_STAMP): package.json package-lock.json
	npm install --no-audit --no-fund --silent
	@rm -f node_modules/.installed-*
	@touch $(NPM_STAMP)

npm: $(NPM_STAMP)

browsers: $(CHROMIUM) $(NPM_STAMP)

migrate: install
	$(PY) -m shared.migrations

demo: migrate
	$(PY) -m infra.demo_data

# The first admin of a deployment: asks the password twice (or reads it from stdin); no default password.
# Without EMAIL it stops before migrating anything.
$(if $(filter admin,$(MAKECMDGOALS)),$(if $(EMAIL),,$(error usage: make admin EMAIL=you@example.org [NAME='Your name'])))
admin: migrate
	$(PY) -m gateway.admin_cli "$(EMAIL)" --name "$(NAME)"

# Random keys, kept under var/keys/ (mode 0600): made the first time, the same ones every time after.
keys: install
	@mkdir -p $(KEYS_DIR)
	$(PY) -m shared.keys $(KEYS_DIR) > $(KEYS_DIR)/files.env

run: demo keys
	RATELIMIT_STORAGE_URI=$(RATELIMIT_STORAGE_URI) $(VENV)/bin/honcho start -f Procfile -e .env,$(KEYS_DIR)/files.env

test: install browsers
	$(PY) -m pytest

test-unit: install npm
	$(PY) -m pytest tests/unit

test-integration: install
	$(PY) -m pytest tests/integration

# The unit tests with the clock moved (ticking) for the whole run to where dates break: the spring-forward night
# before and after the gap, the repeated hour of October in summer then winter time, the last evening of a month,
# New Year's Eve a minute before midnight, and a first of the month at 00:30 when UTC is still in the last one.
TEST_DATES := 2027-03-28T01:30:00+01:00 2027-03-28T03:30:00+02:00 2027-10-31T02:30:00+02:00 \
	2027-10-31T02:30:00+01:00 2027-04-30T23:30:00+02:00 2026-12-31T23:59:00+01:00 2027-06-01T00:30:00+02:00

test-dates: install npm
	@failed=""; for instant in $(TEST_DATES); do \
		echo "== tests/unit with the clock at $$instant"; \
		$(PY) -m pytest tests/unit -q --clock-at=$$instant || failed="$$failed $$instant"; \
	done; \
	if [ -n "$$failed" ]; then echo "make test-dates failed at:$$failed"; exit 1; fi

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
