# One entry point for developers and CI (.ci/run calls `make test`).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO ?= demo

.PHONY: demo test lint typecheck pytest bench clean

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

## The whole suite: lint, types, tests. CI runs exactly this.
test: $(VENV)/.installed-test lint typecheck pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check nudger tests bench

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

pytest: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Every performance figure against its baseline: a table, and bench/results.json.
bench: $(VENV)/.installed-test
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .mypy_cache .ruff_cache .hypothesis
