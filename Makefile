# The two commands: `make run` and `make test`. Everything else here serves them.
PYTHON_SYSTEM ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Python's own bytecode cache, even where the environment turns it off: every process a test
# run starts (the pytest workers, the servers and task workers they start, manage.py) would
# otherwise compile the project's modules, and pytest rewrite every test module, again.
unexport PYTHONDONTWRITEBYTECODE

# Debian packages: the app needs CJK fonts (PDFs), HarfBuzz subsetting (fast PDFs) and gettext
# (compiled translations); the tests also need Debian's Chromium (its headless shell for the
# browser tests, the desktop browser for what only it does) and poppler's pdftoppm.
APT_RUN := fonts-noto-cjk libharfbuzz-subset0 gettext
APT_TEST := chromium chromium-headless-shell poppler-utils

define ensure_apt
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "Missing Debian packages. Run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi
endef

.PHONY: run test install install-test system system-test messages migrate demo serve lint \
	test-integration screenshots serve-prod clean

run: install system messages migrate demo serve

test: install-test system system-test messages lint
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check
	$(BIN)/pytest -n auto --dist loadgroup

# uv installs the pinned requirements: it fetches and unpacks packages side by side and compiles
# their bytecode on every core, where pip does one package after another (a fresh clone's
# install: docs/development.md). pip installs only uv itself.
UV_VERSION := 0.13.9
UV := $(BIN)/uv
UV_INSTALL := $(UV) pip install -q --python $(PY) --compile-bytecode

$(UV):
	@test -x $(PY) || $(PYTHON_SYSTEM) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: requirements.txt | $(UV)
	$(UV_INSTALL) -r requirements.txt
	@touch $@

$(VENV)/.installed-test: requirements-test.txt $(VENV)/.installed
	$(UV_INSTALL) -r requirements-test.txt
	@touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

system:
	$(call ensure_apt,$(APT_RUN))

system-test:
	$(call ensure_apt,$(APT_TEST))

messages: install
	@$(PY) manage.py compilemessages -v0 --ignore=.venv

migrate: install
	$(PY) manage.py migrate --no-input -v0

demo: migrate
	$(PY) manage.py seed_demo

# One task worker beside the server (long and periodic work, docs/operations.md). Ctrl-C stops
# both; the worker finishes its current step first, and a job cut short resumes when next run.
serve:
	@echo "Serving HTTP and websockets on http://$(HOST):$(PORT)/ with one task worker (Ctrl-C stops both)"
	@echo "E-mails the worker sends are written to var/mail/, one file each."
	@trap 'kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null' INT TERM EXIT; \
	EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend \
	  $(PY) manage.py worker --no-reload --verbosity 0 & worker=$$!; \
	$(PY) manage.py runserver $(HOST):$(PORT)

lint: install-test
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

test-integration: install-test messages
	$(BIN)/pytest -m integration

screenshots: install-test system-test messages
	$(BIN)/pytest tests/browser/test_screenshots.py --screenshots=screenshots

# Production-like serving on this machine, for load tests: DEBUG off, PostgreSQL, the Redis
# channel layer, two uvicorn workers on 8001 and 8002 sharing one secret (docs/operations.md).
# Plain HTTP on 127.0.0.1, so the HTTPS-only switches are off here; behind nginx they are on.
PROD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/gongyi_prod
PROD_REDIS_URL ?= redis://127.0.0.1:6379/1
PROD_PORTS ?= 8001 8002
PROD_ASGI_THREADS ?= 2

serve-prod: install messages
	@pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not answering on 127.0.0.1:5432: see docs/operations.md"; exit 1; }
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { echo "Redis is not answering on 127.0.0.1:6379: see docs/operations.md"; exit 1; }
	@db=$$(basename "$(PROD_DATABASE_URL)"); \
	  psql -h 127.0.0.1 -U postgres -tc "SELECT 1 FROM pg_database WHERE datname='$$db'" | grep -q 1 \
	  || createdb -h 127.0.0.1 -U postgres "$$db"
	@set -e; \
	export DEBUG=0 DATABASE_URL="$(PROD_DATABASE_URL)" REDIS_URL="$(PROD_REDIS_URL)" \
	  ALLOWED_HOSTS="127.0.0.1,localhost" SECURE_COOKIES=0 SECURE_SSL_REDIRECT=0 SECURE_HSTS_SECONDS=0; \
	export SECRET_KEY="$${SECRET_KEY:-$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')}"; \
	$(PY) manage.py migrate --no-input -v0; \
	$(PY) manage.py collectstatic --no-input -v0; \
	$(PY) manage.py seed_demo >/dev/null 2>&1 || echo "seed_demo failed (are the migrations current?): serving without demo data"; \
	trap 'kill $$pids 2>/dev/null' INT TERM EXIT; pids=""; \
	for port in $(PROD_PORTS); do \
	  ASGI_THREADS=$(PROD_ASGI_THREADS) $(BIN)/uvicorn --host 127.0.0.1 --port $$port \
	    --loop uvloop --http httptools --ws websockets --no-access-log --no-proxy-headers \
	    --timeout-keep-alive 75 --ws-per-message-deflate false \
	    config.asgi:application & pids="$$pids $$!"; \
	  echo "uvicorn worker on http://127.0.0.1:$$port/ (pid $$!)"; \
	done; \
	echo "Ctrl-C stops the workers."; wait

clean:
	rm -rf $(VENV) var
