"""The daemon's log lines: a timestamp on a terminal, priority prefixes under journald."""

from __future__ import annotations

import io
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from nudger.daemon.logs import LOGGER_NAME, setup_logging, under_journald


@pytest.fixture(autouse=True)
def fresh_logger() -> Iterator[None]:
    logger = logging.getLogger(LOGGER_NAME)
    saved = list(logger.handlers)
    logger.handlers = []
    yield
    logger.handlers = saved


def test_plain_lines_carry_a_timestamp_and_the_level() -> None:
    stream = io.StringIO()
    log = setup_logging("info", {}, stream)
    log.info("digest for %s sent", "2026-11-30")
    log.debug("not shown at info")
    log.error("reload failed:\n  config.toml:3: bad\n  config.toml:9: worse")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d{4} info: digest for "
                        r"2026-11-30 sent", lines[0])
    assert lines[1].endswith("error: reload failed:; config.toml:3: bad; config.toml:9: worse")


def test_under_journald_priority_prefixes_and_no_timestamp(tmp_path: Path) -> None:
    path = tmp_path / "journal-stream"
    with path.open("w+") as stream:
        info = os.fstat(stream.fileno())
        env = {"JOURNAL_STREAM": f"{info.st_dev}:{info.st_ino}"}
        assert under_journald(env, stream)
        log = setup_logging("debug", env, stream)
        log.debug("woken")
        log.info("sent")
        log.warning("will retry")
        log.error("failed")
    assert path.read_text().splitlines() == ["<7>woken", "<6>sent", "<4>will retry",
                                             "<3>failed"]


def test_journal_stream_of_another_file_is_not_journald(tmp_path: Path) -> None:
    # JOURNAL_STREAM inherited by a process whose stderr was redirected elsewhere.
    with (tmp_path / "a").open("w") as a, (tmp_path / "b").open("w") as b:
        info = os.fstat(a.fileno())
        assert not under_journald({"JOURNAL_STREAM": f"{info.st_dev}:{info.st_ino}"}, b)
    assert not under_journald({"JOURNAL_STREAM": "junk"}, io.StringIO())


def test_reconfiguring_changes_the_level_without_doubling_lines() -> None:
    stream = io.StringIO()
    setup_logging("info", {}, stream)
    log = setup_logging("warning", {}, stream)
    log.info("hidden")
    log.warning("shown")
    assert stream.getvalue().count("shown") == 1 and "hidden" not in stream.getvalue()


def test_the_log_follows_the_current_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI wraps stderr per command (terminal.VisibleStream); a handler that kept the
    stream current at set-up wrote into a closed one on the next command in the same
    process ("I/O operation on closed file" in a logging traceback)."""
    import sys

    logger = logging.getLogger(LOGGER_NAME)
    saved = list(logger.handlers)
    logger.handlers = []
    try:
        first = io.StringIO()
        monkeypatch.setattr(sys, "stderr", first)
        setup_logging("info", {})
        first.close()
        second = io.StringIO()
        monkeypatch.setattr(sys, "stderr", second)
        setup_logging("info", {}).info("confirmation sent")
        written = second.getvalue()
        assert "Logging error" not in written and "Traceback" not in written, written
        assert written.rstrip().endswith("confirmation sent"), written
    finally:
        logger.handlers = saved
