# DealDesk. `make run` starts everything on a laptop; `make test` runs the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

# The first interpreter that really is Python >= 3.12. pyenv shims for versions that
# are not active fail to run, so each candidate is executed, not just looked up.
define find_python
for c in "$${PYTHON:-}" python3.12 python3.13 python3 \
	$$HOME/.pyenv/versions/3.12*/bin/python3 $$HOME/.pyenv/versions/3.13*/bin/python3 \
	/usr/local/bin/python3.12 /usr/local/bin/python3.13 /usr/bin/python3.12 /usr/bin/python3.13; do \
	[ -n "$$c" ] || continue; \
	if "$$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
		echo "$$c"; exit 0; \
	fi; \
done; \
echo "DealDesk needs Python >= 3.12; none found (set PYTHON=/path/to/python3.12)." >&2; exit 1
endef

.PHONY: help
help:
	@echo "make run          set up, migrate, load the demo company, start web + worker + beat"
	@echo "make test         the whole test suite (embedded defaults, or DATABASE_URL etc.)"
	@echo "make lint         ruff check + ruff format --check"
	@echo "make format       ruff format + ruff check --fix"
	@echo "make messages     refresh the zh-hans catalogue from the source"
	@echo "make requirements recompile requirements*.txt from the .in files"
	@echo "make bench-sweep  time the escalation sweep: 25,000 due asks among 1,000,000 in PostgreSQL"
	@echo "make bench-pages  load my queue and the manager's board (1,000,000 asks) under gunicorn with wrk"

$(PY):
	@py=$$($(find_python)) && echo "Creating $(VENV) with $$py ($$($$py --version))" && "$$py" -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	@if ! command -v uv >/dev/null 2>&1; then $(PY) -m pip install --quiet uv || true; fi
	@if command -v uv >/dev/null 2>&1; then \
		uv pip install --quiet --python $(PY) -r requirements-dev.txt; \
	else \
		$(PY) -m pip install --quiet -r requirements-dev.txt; \
	fi
	@touch $(STAMP)

.PHONY: setup
setup: $(STAMP)
	@$(PY) manage.py compilemessages --ignore=.venv --verbosity 0

.PHONY: run
run: setup
	@$(PY) manage.py migrate --noinput --verbosity 0
	@$(PY) manage.py seed_demo
	@echo
	@echo "  DealDesk is starting at http://127.0.0.1:8000/"
	@echo "  Sign in with one of the demo logins above. Ctrl-C stops web, worker and beat."
	@echo
	@honcho start -f Procfile

.PHONY: test
test: setup
	$(PY) -m pytest

# Seeds its own database once (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/
# dealdesk_bench) and uses Redis database 15 as the broker (BENCH_BROKER_URL); see bench/sweep.py.
.PHONY: bench-sweep
bench-sweep: setup
	$(PY) -m bench.sweep

# Seeds its own database once (BENCH_PAGES_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/
# dealdesk_bench_pages), serves it with gunicorn on a free loopback port and loads each page
# with wrk (BENCH_DURATION, BENCH_CONNECTIONS); see bench/pages.py.
.PHONY: bench-pages
bench-pages: setup
	@command -v wrk >/dev/null || { echo "bench-pages needs wrk: apt-get install -y wrk"; exit 1; }
	$(PY) -m bench.pages

.PHONY: lint
lint: setup
	ruff check .
	ruff format --check .

.PHONY: format
format: setup
	ruff format .
	ruff check --fix .

.PHONY: messages
messages: setup
	$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=tests --no-obsolete

.PHONY: requirements
requirements: $(STAMP)
	uv pip compile --quiet --no-header --python-version 3.12 requirements.in -o requirements.txt
	uv pip compile --quiet --no-header --python-version 3.12 requirements-dev.in -o requirements-dev.txt
