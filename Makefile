# `make run` and `make test` work on a fresh machine: both set up .venv first.
# `make lint` = ruff + the import contracts (`lint-imports`, see [tool.importlinter] in pyproject).
# `make quick` is the day-to-day loop: lint, then the tests not marked `slow` (no training
# runs), stopping at the first failure. `make test` is lint plus the whole suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test quick check lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints-cpu.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints-cpu.txt -e '.[dev]'
	touch $(STAMP)

run: setup
	$(BIN)/notebase --vault notes

test: lint
	$(BIN)/python -m pytest -q

quick: lint
	$(BIN)/python -m pytest -q -m "not slow" -x

check: test

lint: setup
	$(BIN)/python -m ruff check notebase tests bench
	$(BIN)/lint-imports --no-logo --no-cache

clean:
	rm -rf $(VENV) notes/.notebase experiments/runs
