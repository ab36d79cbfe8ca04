# One entry point for developers and CI (.ci/run calls `make test`).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO ?= demo

.PHONY: demo test test-full test-clock lint typecheck pytest bench clean

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

## The whole suite: lint, types, tests. CI runs exactly this. Tests run on three pytest-xdist
## workers (the suite mostly waits on subprocesses and servers: three keep two cores busy;
## the libfaketime and CPU-budget tests stay in one xdist group, one at a time;
## PYTEST_WORKERS=0 runs them in this process); the long fault trials at a representative
## count.
test: $(VENV)/.installed-test lint typecheck pytest

## The same with every fault trial at its full count (52 kill -9 trials of `nudger run`, 120
## of `nudger worker`, 40 other worker faults, ...): run it whenever
## the outbox, the daemon or the store changes.
test-full: export NUDGER_FULL_TRIALS = 1
test-full: test

lint: $(VENV)/.installed-test
	$(BIN)/ruff check nudger tests bench

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

PYTEST_WORKERS ?= 3
pytest: $(VENV)/.installed-test
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

## The tests that depend on the wall clock, under libfaketime (Debian package `faketime`) at
## the instants that break such tests: 00:30, 07:29 and 23:59 on this year's last day, 00:30
## and 23:59 on this month's last day (next month's in December; machine-local time). Both are today or later, as the
## real clock only moves forward: tests may take their fixed dates to be in the past. Mail
## the test servers date with the real time (plant_maildir) is inside nudger's 60-day
## lookback only up to two months ahead. Subprocesses share the fake time, the test servers
## keep the real one (tests/fakeclock.py). Run it whenever a test reads the clock or the
## schedule, the cadence or the daemon changes (CONTRIBUTING.md).
LIBFAKETIME ?= $(firstword $(wildcard /usr/lib/*/faketime/libfaketime.so.1 \
	/usr/lib/faketime/libfaketime.so.1 /usr/local/lib/faketime/libfaketime.so.1))
CLOCK_TESTS ?= tests/daemon/test_daemon_decide.py tests/daemon/test_daemon_inprocess.py \
	tests/daemon/test_daemon_process.py tests/daemon/test_mail_daemon.py \
	tests/mail/act/test_mail_drafts.py tests/mail/act/test_mail_command_faults.py \
	tests/mail/act/test_mail_confirm.py tests/mail/act/test_mail_commands.py \
	tests/mail/capture/test_capture_command.py tests/calendar/test_caldav.py \
	tests/calendar/test_calendar.py tests/calendar/test_ics.py tests/digest/test_digest.py \
	tests/digest/test_invitations.py tests/digest/test_news.py tests/track/test_progress.py \
	tests/track/test_autoghost.py tests/track/test_stats.py tests/commands/test_tracking_cli.py \
	tests/commands/test_plan_cli.py tests/commands/test_digest_cli.py \
	tests/commands/test_cli_firstrun.py tests/send/test_status.py tests/store/test_db.py \
	tests/store/test_read.py tests/store/test_states.py tests/transfer/test_json_io.py \
	tests/e2e/test_mail_commands.py tests/e2e/test_news_digest.py tests/test_fakeclock.py
test-clock: $(VENV)/.installed-test
	@test -n "$(LIBFAKETIME)" || { echo "libfaketime is not installed (apt-get install faketime)"; exit 1; }
	@year_end=$$(date +%Y-12-31); \
	month_end=$$(date -d "$$(date +%Y-%m-01) +1 month -1 day" +%F); \
	if [ "$$month_end" = "$$year_end" ]; then \
		month_end=$$(date -d "$$(date +%Y-%m-01) +2 month -1 day" +%F); fi; \
	for at in "$$year_end 00:30:00" "$$year_end 07:29:00" "$$year_end 23:59:00" \
	          "$$month_end 00:30:00" "$$month_end 23:59:00"; do \
		echo "== the clock at $$at"; \
		FAKETIME="@$$at" FAKETIME_DONT_RESET=1 LD_PRELOAD=$(LIBFAKETIME) \
			$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup -q \
			-p no:cacheprovider $(PYTEST_ARGS) $(CLOCK_TESTS) || exit 1; \
	done

## Every performance figure against its baseline: a table, and bench/results.json.
bench: $(VENV)/.installed-test
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .mypy_cache .ruff_cache .hypothesis
