# Yingke: `make run` starts the app, `make test` runs every test.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/yingke
export YINGKE_HOME ?= $(CURDIR)/var

.PHONY: run test test-sqlite test-postgres venv dev-deps system-deps lint bench messages clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.lock
	$(BIN)/pip install -q -r requirements-dev.lock
	touch $@

venv: $(VENV)/.runtime
dev-deps: $(VENV)/.dev

# Debian packages the browser tests and screenshots need (Chromium, a CJK font, gettext).
system-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || ! command -v msgfmt >/dev/null; then \
	  echo "Installing Debian packages: chromium fonts-wqy-microhei gettext"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-wqy-microhei gettext >/dev/null; \
	fi

run: venv
	$(BIN)/yingke serve --demo

test: dev-deps system-deps
	$(BIN)/ruff check src tests
	$(MAKE) --no-print-directory test-sqlite
	@if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || $(BIN)/python -c "import psycopg; psycopg.connect('$(PG_URL)'.replace('/yingke','/postgres')).close()" 2>/dev/null; then \
	  $(MAKE) --no-print-directory test-postgres; \
	elif [ "$$YINGKE_CI" = 1 ]; then echo "PostgreSQL does not answer on 127.0.0.1:5432 (YINGKE_CI=1: failing)"; exit 1; \
	else echo "PostgreSQL does not answer on 127.0.0.1:5432: PostgreSQL run skipped"; fi

test-sqlite: dev-deps
	@echo "== tests on SQLite =="
	env -u DATABASE_URL $(BIN)/pytest -n 2 --dist loadfile

test-postgres: dev-deps
	@echo "== tests on PostgreSQL =="
	DATABASE_URL=$(PG_URL) $(BIN)/pytest -n 2 --dist loadfile -m "not browser"

lint: dev-deps
	$(BIN)/ruff check src tests

bench: dev-deps
	$(BIN)/python bench/run.py

# Re-extract translatable strings per app (needs gettext) and compile catalogues.
messages: dev-deps system-deps
	cd src/yingke && for app in */locale; do (cd $${app%/locale} && ../../../$(BIN)/django-admin makemessages -l zh_Hans --no-obsolete --settings=yingke.settings && ../../../$(BIN)/django-admin compilemessages --settings=yingke.settings); done

clean:
	rm -rf $(VENV) var
