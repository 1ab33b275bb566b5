PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
APP_STAMP := $(VENV)/.installed-app
STAMP := $(VENV)/.installed

.PHONY: run test test-slow lint typecheck bench fuzz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# What the app needs, and nothing more: `make run` on a fresh machine.
$(APP_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $(APP_STAMP)

# The app and the test, lint and type-checking tools.
$(STAMP): $(APP_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(APP_STAMP)
	$(BIN)/reliance

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/python -m pytest -q -m 'not slow' -n auto --maxprocesses=4

# Long scenarios, long property runs and fuzz runs: run before closing a change to the sync core.
test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

fuzz: $(STAMP)
	$(BIN)/python bench/fuzz.py --inputs 100000

bench: $(STAMP)
	$(BIN)/python bench/store.py
	$(BIN)/python bench/sync.py
	$(BIN)/python bench/network.py --quick
	$(BIN)/python bench/tui.py

clean:
	rm -rf $(VENV) build src/*.egg-info .mypy_cache .pytest_cache .ruff_cache
