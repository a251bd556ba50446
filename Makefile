# Client Portal — `make run` and `make test` do all the set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORTAL_PORT ?= 3000
export PORTAL_PORT
export PATH := $(CURDIR)/.tools/node_modules/.bin:$(PATH)
# Reflex wants bun >= 1.4.4 and cannot download it here: we install it from npm (.tools/).
export REFLEX_USE_SYSTEM_BUN := 1
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := false

.PHONY: prereqs install install-dev run serve lint test test-unit test-integration test-e2e bench bench-files bench-pdf bench-invoices bench-webhooks bench-automations bench-seal bench-preview bench-verify bench-load bench-soak bench-chat bench-caddy clean

$(VENV)/.installed: requirements.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt -c constraints.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt -c constraints.txt
	touch $@

# Node.js with npm first (portal_app/prereqs.py says what to install when it is missing or too old)
.tools/node_modules/.installed: .tools/package.json
	@$(PYTHON) portal_app/prereqs.py node
	cd .tools && npm install --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed .tools/node_modules/.installed

install-dev: install $(VENV)/.installed-dev
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	@# Caddy and Pebble (a local ACME server) for tests/integration/test_caddy_tls.py: the test runs its own
	@# processes on free loopback ports, so the caddy service the package may start (on :80) is stopped again.
	@(command -v caddy >/dev/null && command -v pebble >/dev/null) || \
		(apt-get update -qq && apt-get install -y -qq caddy pebble >/dev/null && \
		 (systemctl disable --now caddy.service >/dev/null 2>&1 || true))

prereqs:
	@$(PYTHON) portal_app/prereqs.py node

run: prereqs install
	@$(PYTHON) portal_app/prereqs.py bun
	$(PY) -m portal_app.cli migrate
	$(PY) -m portal_app.cli seed
	$(VENV)/bin/reflex run --env prod --single-port --frontend-port $(PORTAL_PORT)

# The production start (README, "Production"): one granian worker per core with REFLEX_REDIS_URL (PORTAL_WORKERS
# overrides), /assets/ served by granian itself, the frontend built only when its sources changed.
serve: install
	$(PY) -m portal_app.cli migrate
	$(PY) -m portal_app.cli seed
	$(PY) -m portal_app.cli serve

# ruff (ruff.toml) and mypy (mypy.ini) over the tree: `make test` runs them before the suite.
lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# The whole suite, as two pytest processes at once: the browser journeys (tests/e2e: mostly waiting on
# Chromium and the servers they start) beside the unit and integration tests (mostly CPU). Each process
# makes its own PostgreSQL databases, free ports and temporary folders; Redis keys carry random tab
# tokens and the live hints' channel is per database number. On 2 cores: 44 min one after the other,
# about 30 side by side. The journeys' output is printed when both have ended; either failing fails.
test: install-dev lint
	@mkdir -p test-artifacts; \
	$(PY) -m pytest -q tests/e2e > test-artifacts/e2e.log 2>&1 & e2e=$$!; \
	$(PY) -m pytest -q tests/unit tests/integration; rest=$$?; \
	wait $$e2e; journeys=$$?; \
	echo "=============================== tests/e2e ==============================="; \
	cat test-artifacts/e2e.log; \
	echo "make test: unit + integration exit $$rest, e2e exit $$journeys"; \
	test $$rest -eq 0 && test $$journeys -eq 0

test-unit: install-dev
	$(PY) -m pytest -q tests/unit

test-integration: install-dev
	$(PY) -m pytest -q tests/integration

test-e2e: install-dev
	$(PY) -m pytest -q tests/e2e

bench: install-dev
	$(PY) bench/page_load.py

# Upload/download of a 200 MB file, local disk vs S3 (moto); SIZE_MB=… to change it.
SIZE_MB ?= 200
bench-files: install-dev
	$(PY) bench/file_transfer.py --size-mb $(SIZE_MB)

# Invoice PDF render time (median, p95 of PDF_RUNS renders) and size: typical and 200-line invoices.
PDF_RUNS ?= 100
bench-pdf: install-dev
	$(PY) bench/invoice_pdf.py --runs $(PDF_RUNS)

# Invoice list/detail page loads with 100,000 invoices (10,000 for one client), SQLite and PostgreSQL:
# SQL statements per load (must not grow with the data) and handler time (median, p95 of INVOICE_RUNS).
INVOICE_RUNS ?= 30
bench-invoices: install-dev
	$(PY) bench/invoice_list.py --runs $(INVOICE_RUNS)

# Stripe webhooks per second on one granian worker, PostgreSQL: WEBHOOK_EVENTS signed events (30 % re-deliveries)
# from 4 threads, then every invoice's paid/balance and the ledger checked exactly.
WEBHOOK_EVENTS ?= 2000
bench-webhooks: install-dev
	$(PY) bench/webhooks.py --events $(WEBHOOK_EVENTS)

# Automations on PostgreSQL with 2 worker processes and aiosmtpd: client signs -> welcome email accepted by SMTP
# (p50/p95 of AUTOMATION_RUNS), and email jobs per second into SMTP with 1 and 2 worker processes.
AUTOMATION_RUNS ?= 50
AUTOMATION_EMAILS ?= 1000
bench-automations: install-dev
	$(PY) bench/automations.py --runs $(AUTOMATION_RUNS) --emails $(AUTOMATION_EMAILS)

# Completing a signed document (stamp + certificate pages + PAdES seal): median/min time of
# SEAL_RUNS completions, tracemalloc peak and a child's peak RSS; 5- and 100-page documents.
SEAL_RUNS ?= 5
bench-seal: install-dev
	$(PY) bench/document_seal.py --runs $(SEAL_RUNS)

# PDF guard: page preview render (1-page letter, page 50 of 100) and inspect_pdf (5, 300 pages),
# cold child per call vs warm spare; median, p95 of PREVIEW_RUNS calls.
PREVIEW_RUNS ?= 20
bench-preview: install-dev
	$(PY) bench/pdf_preview.py --runs $(PREVIEW_RUNS)

# /verify under attack: /api/health latency (p50/p95/max) idle and while VERIFY_UPLOADS hostile PDFs (one update of
# 60,000 tiny objects) are posted to /_upload at once; production build, one worker.
VERIFY_UPLOADS ?= 4
bench-verify: install-dev
	$(PY) bench/verify_stall.py --uploads $(VERIFY_UPLOADS)

# Many users on a freshly started app (bench/loadgen: Reflex's websocket protocol, scripted client and staff
# journeys): per ramp step of LOAD_STEPS users held LOAD_HOLD s, connections, events/s, latency p50/p95/p99,
# errors, timeouts, the app's RSS and CPU per process, a /ping probe and the generator's own CPU.
# PORTAL_LOAD_CONFIG=production: fresh PostgreSQL database, Redis state, 2 granian workers (embedded by default).
LOAD_STEPS ?= 25,50,100,150
LOAD_HOLD ?= 30
bench-load: install-dev
	$(PY) -m bench.loadgen --steps $(LOAD_STEPS) --hold $(LOAD_HOLD) --json

# 30 minutes at 200 users on the production configuration, a row every 5 minutes (RSS, errors).
bench-soak: install-dev
	$(PY) -m bench.loadgen --config production --steps 200,200,200,200,200,200 --hold 300 --json test-artifacts/bench/soak.json

# Chat with CHAT_CLIENTS open conversations (client tabs with the widget loaded) and 3 staff tabs on the inbox:
# message latency client -> staff and staff -> client (p50/p95/p99 of CHAT_MESSAGES each way, through the live
# push) and the app's RSS growth per 100 open portal tabs; embedded, then production (2 workers, Redis, PostgreSQL).
CHAT_CLIENTS ?= 200
CHAT_MESSAGES ?= 100
bench-chat: install-dev
	$(PY) bench/chat_latency.py --clients $(CHAT_CLIENTS) --messages $(CHAT_MESSAGES)
	$(PY) bench/chat_latency.py --config production --clients $(CHAT_CLIENTS) --messages $(CHAT_MESSAGES)

# TLS on demand: first https visit of a custom domain to the served page (Caddy + Pebble on loopback)
bench-caddy: install-dev
	$(PY) bench/caddy_tls.py

clean:
	rm -rf .web data uploaded_files test-artifacts
