# Remu: the two commands that matter are `make run` (the demo) and `make test` (the suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test system-deps system-deps-test quality fmt venv migrate demo worker vendor bench-rules bench-import bench-payments bench-pages bench-overpayments bench-invoicing clean

$(STAMP): requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	touch $(STAMP)

venv: $(STAMP)

## Debian packages (scripts/system_deps.sh): installed when run as root, else the command to run.
## `make run` needs what printing PDFs needs; `make test` also Chromium for the browser tests.
system-deps:
	@bash scripts/system_deps.sh pdf

system-deps-test:
	@bash scripts/system_deps.sh test

migrate: venv
	mkdir -p var
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo

## The demo: SQLite under var/, demo data (its logins printed), task worker and web server on
## http://$(HOST):$(PORT). DEBUG off, as in production: an error shows the French error page,
## never the environment; WhiteNoise serves the static files (DEBUG off, runserver does not).
DEMO_ENV := DEBUG=false ALLOWED_HOSTS='127.0.0.1,localhost,$(HOST)'
run: system-deps migrate
	$(PY) manage.py seed_demo --host '$(HOST)' --port '$(PORT)'
	@export $(DEMO_ENV); \
	$(PY) manage.py db_worker --queue-name '*' & worker=$$!; \
	trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

worker: venv
	$(PY) manage.py db_worker --queue-name '*'

## The whole suite; on PostgreSQL when DATABASE_URL is set, else SQLite.
test: system-deps-test venv
	$(PY) -m pytest $(PYTEST_ARGS)

quality: venv
	mkdir -p var
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

fmt: venv
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

## 1,000,000 seeded trainee-months five ways: per-case (reference), columnar from Case objects
## and from rows, on one core and on every core (PROCESSES, default all); rates, ratios, load,
## one checksum each.
bench-rules: venv
	$(PY) -m remu.rules.bench 1000000 $(if $(PROCESSES),--processes $(PROCESSES))

## A 500-row attendance import, timed on the configured database (rolled back afterwards).
bench-import: migrate
	$(PY) manage.py bench_import

## 100,000 admitted trainees with a validated month, then the monthly run timed end to end.
## Meant for PostgreSQL: DATABASE_URL=postgres://... make bench-payments [WORKERS=1|3] [REGIONS=10]
## (REGIONS: that many regions of BENCH_COUNT trainees, one run per region in parallel)
bench-payments: migrate
	$(PY) manage.py bench_payments $(BENCH_COUNT) $(if $(WORKERS),--workers $(WORKERS)) $(if $(REGIONS),--regions $(REGIONS))

## The pages at 50 concurrent users (Locust, headless, its own process) on the bench-payments
## data: p50/p95/p99 per page and requests per second. DATABASE_URL=postgres://... make bench-pages
bench-pages: migrate
	$(PY) manage.py bench_pages $(BENCH_COUNT)

## After the same 100,000-trainee run: 5,000 dropouts validated, then the next run's offsets.
bench-overpayments: migrate
	$(PY) manage.py bench_overpayments $(BENCH_COUNT)

## Re-vendor Bootstrap, htmx, Chart.js and axe-core, and rebuild the communes file (needs npm).
vendor: venv
	PYTHON=$(PY) bash scripts/vendor_assets.sh

clean:
	rm -rf $(VENV) var

## 1,000 actions × 20 trainees × 12 months: declarations computed and confirmed, quarters
## invoiced, timed with one process per core. Meant for PostgreSQL: DATABASE_URL=postgres://...
bench-invoicing: migrate
	$(PY) manage.py bench_invoicing $(BENCH_ACTIONS)
