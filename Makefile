# Two commands: `make demo` and `make test`. Everything else is a helper for those.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
export OPENBLAS_NUM_THREADS ?= 1
export PYTHONDONTWRITEBYTECODE = 1
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
REDIS_PORT ?= 6379
PG_HOST ?= 127.0.0.1

.PHONY: demo test install install-dev services redis postgres chromium lint typecheck bench clean

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed setup.cfg
	$(PIP) install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## demo: install, migrate SQLite, seed the demo store, train, size segments, simulate an
## experiment's traffic (first run only), serve on http://127.0.0.1:8000
demo: install
	cd example_site && ../$(PY) manage.py migrate --noinput
	cd example_site && ../$(PY) manage.py seed_demo --if-empty
	cd example_site && ../$(PY) manage.py personalization_train
	cd example_site && ../$(PY) manage.py personalization_segments
	cd example_site && ../$(PY) manage.py personalization_demo_experiment --if-none
	@echo ""
	@echo "  Demo store:    http://127.0.0.1:8000/"
	@echo "  Wagtail admin: http://127.0.0.1:8000/admin/  (login: admin / admin)"
	@echo ""
	cd example_site && ../$(PY) manage.py runserver 127.0.0.1:8000

## test: install test deps, make sure Redis (and PostgreSQL if installed) run, run the suite
test: install-dev services chromium lint
	$(VENV)/bin/pytest -q -p no:cacheprovider -n 2
	$(VENV)/bin/pytest -q -p no:cacheprovider tests_oscar --ds=tests_oscar.settings
	@if pg_isready -q -h $(PG_HOST) 2>/dev/null; then \
		echo "== PostgreSQL answers on $(PG_HOST): running the database tests against it too"; \
		PERSONALIZATION_TEST_DB=postgres $(VENV)/bin/pytest -q -p no:cacheprovider -n 2 -m "not browser"; \
	else echo "== No PostgreSQL server answers on $(PG_HOST): SQLite run only"; fi

services: redis postgres

redis:
	@if redis-cli -h 127.0.0.1 -p $(REDIS_PORT) ping >/dev/null 2>&1; then echo "Redis answers on 127.0.0.1:$(REDIS_PORT)"; \
	else \
		command -v redis-server >/dev/null || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q redis-server; }; \
		mkdir -p /tmp/sp-redis; \
		redis-server --daemonize yes --bind 127.0.0.1 --port $(REDIS_PORT) --save "" --appendonly no --dir /tmp/sp-redis --logfile /tmp/sp-redis/redis.log; \
		for i in $$(seq 1 50); do redis-cli -p $(REDIS_PORT) ping >/dev/null 2>&1 && break; sleep 0.1; done; \
		redis-cli -p $(REDIS_PORT) ping >/dev/null || { echo "could not start redis-server"; exit 1; }; \
		echo "Started redis-server on 127.0.0.1:$(REDIS_PORT)"; \
	fi

# PostgreSQL is optional: started if installed but stopped, skipped (with a message) if absent.
postgres:
	@if pg_isready -q -h $(PG_HOST) 2>/dev/null; then echo "PostgreSQL answers on $(PG_HOST)"; \
	elif command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then \
		$(SUDO) pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start || true; \
		for i in $$(seq 1 50); do pg_isready -q -h $(PG_HOST) && break; sleep 0.2; done; \
	else echo "PostgreSQL is not installed: the suite runs on SQLite only"; fi

chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium; }

LINTED := $(wildcard personalization_plugin storefront_widgets example_site tests tests_oscar benchmarks)

## lint: ruff (lint and format), mypy and import-linter (the layers), run by `make test`
lint: install-dev
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

typecheck: install-dev
	$(VENV)/bin/mypy

## bench: every benchmark; each prints its figures against a baseline measured in the same run
bench: install-dev services
	$(PY) benchmarks/ingest.py
	$(PY) benchmarks/accuracy.py
	$(PY) benchmarks/train.py
	$(PY) benchmarks/serving.py
	$(PY) benchmarks/page.py
	$(PY) benchmarks/segments.py
	$(PY) benchmarks/import_csv.py
	$(PY) benchmarks/load.py

clean:
	rm -rf $(VENV) example_site/db.sqlite3 example_site/var
