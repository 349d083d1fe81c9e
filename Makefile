# The front door: `make run` starts the site, `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: run web worker test bench lint migrate static install install-dev clean

run: install migrate static
	@echo "Starting web and worker: http://localhost:$(PORT)/  (Ctrl-C stops both)"
	BIND_HOST=127.0.0.1 honcho start -f Procfile -p $(PORT) web worker

web: install migrate static
	BIND_HOST=127.0.0.1 honcho start -f Procfile -p $(PORT) web

# No migrate here: `make web` (or `make run`) migrates, and two migrations racing
# on one fresh SQLite file would trip over each other.
worker: install
	honcho start -f Procfile worker

test: install-dev
	ruff check .
	ruff format --check .
	mypy
	DJANGO_SETTINGS_MODULE=config.settings_test python manage.py makemigrations --check --dry-run
	python -m pytest --cov --cov-report=term
	python -m testing.services shared -m integration
	python -m testing.services postgres -m integration

# Live servers of its own, a table on stdout and data/bench/results.json; about
# 15 minutes. BENCH_ARGS="--sections 16 --runs 20" picks and repeats; "--quick"
# runs every section once on small inputs (CI does).
bench: install-dev
	@command -v wrk >/dev/null || { \
		echo "make bench needs wrk. On Debian or Ubuntu: sudo apt-get install wrk"; exit 1; }
	@command -v $${CHROMIUM_PATH:-chromium} >/dev/null || { \
		echo "make bench needs Chromium. On Debian: sudo apt-get install chromium" \
			"(or set CHROMIUM_PATH)"; exit 1; }
	python -m bench $(BENCH_ARGS)

lint: install-dev
	ruff check --fix .
	ruff format .

migrate: install
	python manage.py migrate --noinput

static: install
	python manage.py collectstatic --noinput --verbosity 0

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "Python 3.11 or newer is needed; '$(PYTHON)' is $$($(PYTHON) --version 2>&1)."; \
		echo "Run with another one: make PYTHON=python3.12 ..."; exit 1; }
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { \
		echo "Python's venv module is missing. On Debian or Ubuntu: sudo apt install python3-venv"; \
		exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache .mypy_cache .coverage
