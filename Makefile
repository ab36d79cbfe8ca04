# One entry point for developers and CI (.ci/run calls `make test`).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO ?= demo

.PHONY: demo test test-full lint typecheck pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

## Quick start: install into .venv, create a demo config and database in ./demo, show them,
## capture suggestions from a sample mbox of made-up job mail (nudger/mail/capture/sample.mbox),
## and deliver today's digest into the demo Maildir (demo/Maildir).
demo: $(VENV)/.installed
	@rm -rf $(DEMO)
	$(BIN)/nudger --config $(DEMO)/config.toml init --demo --database nudger.db \
		--name "Alex Rivera" --email alex@example.com
	$(BIN)/nudger --config $(DEMO)/config.toml list
	$(BIN)/nudger --config $(DEMO)/config.toml capture nudger/mail/capture/sample.mbox
	$(BIN)/nudger --config $(DEMO)/config.toml digest
	@echo
	$(BIN)/nudger --config $(DEMO)/config.toml digest --send

## The whole suite: lint, types, tests. CI runs exactly this. Tests run on two pytest-xdist
## workers (PYTEST_WORKERS=0 runs them in this process); the long fault trials at a
## representative count.
test: $(VENV)/.installed-test lint typecheck pytest

## The same with every fault trial at its full count (52 kill -9 trials, ...): run it whenever
## the outbox, the daemon or the store changes.
test-full: export NUDGER_FULL_TRIALS = 1
test-full: test

lint: $(VENV)/.installed-test
	$(BIN)/ruff check nudger tests bench

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

PYTEST_WORKERS ?= 2
pytest: $(VENV)/.installed-test
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

## Every performance figure against its baseline: a table, and bench/results.json.
bench: $(VENV)/.installed-test
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .mypy_cache .ruff_cache .hypothesis
