# The README's two commands: `make demo` (set up and run the demo) and `make test` (install and run all tests).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install demo test test-sqlite test-postgres lint clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/tradeline demo

# The whole suite twice: on SQLite, then on PostgreSQL (TEST_DATABASE_URL). Redis-bound and browser tests use
# TEST_REDIS_URL and /usr/bin/chromium; outside CI a missing service skips what needs it and names it at the end,
# with CI=true it fails the run.
test: install lint test-sqlite test-postgres

test-sqlite: install
	$(PY) -m pytest --db=sqlite

test-postgres: install
	$(PY) -m pytest --db=postgres

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
