# Relais — two commands: `make run` and `make test`. See README.md.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python

.PHONY: run test lint typecheck security flows-check pytest install dev-install bench clean help

help:
	@echo "make run    set up and start Relais (web + worker) on embedded defaults"
	@echo "make test   run lint, type checks, security checks and the whole test suite"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Relais needs Python 3.11 or newer"' \
		|| { echo "Python 3.11+ not found (set PYTHON=/path/to/python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt pyproject.toml | $(BIN)/python
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed
dev-install: $(VENV)/.installed-dev

run: install
	$(PY) -m gateway.devstack

lint: dev-install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: dev-install
	$(BIN)/mypy

security: dev-install
	$(BIN)/bandit -q -r gateway --severity-level medium

flows-check: install
	$(BIN)/relais flows check

# pytest exits 5 when it collected no test: that is a broken suite, not a pass.
pytest: dev-install
	@$(BIN)/pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing on purpose"; exit 1; fi; \
	exit $$rc

test: lint typecheck security flows-check pytest

# Benchmarks against the real stack (not part of `make test`); see bench/README.md.
# `make bench BENCH_ARGS="--only inbound --db sqlite --quick"` runs a part.
bench: dev-install
	$(PY) -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis test-artifacts
