"""The Daemon in-process with a mocked clock: the interval job, not the wall clock, is what
wakes it after a suspend (asyncio's timers stand still while the clock jumps), and the
database file is opened up to what the umask allows."""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from nudger.config import ConfigLocation, parse_settings
from nudger.daemon.notify import Notifier
from nudger.daemon.run import Daemon
from nudger.files import share_as_umask_allows
from nudger.store.db import Database
from tests.daemon_helpers import EVERY_DAY, records


def test_the_database_gets_the_group_write_the_umask_allows(tmp_path: Path) -> None:
    db = tmp_path / "nudger.db"
    db.write_bytes(b"")
    db.chmod(0o640)  # what SQLite leaves under UMask=0007
    old = os.umask(0o007)
    try:
        share_as_umask_allows(db)
    finally:
        os.umask(old)
    assert stat.S_IMODE(db.stat().st_mode) == 0o660
    os.umask(0o077)
    try:
        db.chmod(0o600)
        share_as_umask_allows(db)  # a private umask adds nothing
    finally:
        os.umask(old)
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


async def wait_for(check: object, timeout: float = 10) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():  # type: ignore[operator]
        if loop.time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.02)


async def test_after_a_suspend_the_interval_job_catches_up(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    import nudger.daemon.run

    monkeypatch.setattr(nudger.daemon.run, "WAKE_EVERY", timedelta(seconds=0.2))
    config = tmp_path / "config.toml"
    text = (f'timezone = "UTC"\ndatabase = "nudger.db"\n[profile]\nemail = "a@example.com"\n'
            f'[digest]\ntime = "07:30"\ndays = {EVERY_DAY}\nsend_when_empty = true\n')
    config.write_text(text)
    settings = parse_settings(text, config)
    db = Database(tmp_path / "nudger.db")
    db.ensure(create=True)
    clock = Clock(datetime(2026, 11, 30, 7, 0, tzinfo=UTC))
    daemon = Daemon(ConfigLocation(config, True), {}, settings, db, Notifier({}),
                    logging.getLogger("nudger.test"), clock)
    serving = asyncio.create_task(daemon.serve())
    try:
        await wait_for(lambda: "2026-11-29" in records(db.path))  # start: yesterday skipped
        assert records(db.path) == {"2026-11-29": "skipped"}

        # Asleep from 07:00 to 09:00: no timer of the event loop fired, the wall clock
        # moved. The next interval wake-up sends today's digest, 1.5 h late.
        clock.now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
        await wait_for(lambda: records(db.path).get("2026-11-30") == "sent")

        clock.now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # overnight
        await wait_for(lambda: records(db.path).get("2026-12-01") == "sent")
        clock.now = datetime(2026, 12, 3, 23, 0, tzinfo=UTC)  # two days: beyond catch_up
        await wait_for(lambda: records(db.path).get("2026-12-03") == "skipped")
        await asyncio.sleep(0.5)  # more wake-ups change nothing
    finally:
        daemon.request_stop()
        assert await asyncio.wait_for(serving, 10) == 0
        db.dispose()
    assert records(db.path) == {"2026-11-29": "skipped", "2026-11-30": "sent",
                                "2026-12-01": "sent", "2026-12-03": "skipped"}
    maildir = tmp_path / "Maildir" / "new"
    assert len(list(maildir.iterdir())) == 2


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


async def test_a_database_failure_is_logged_in_words_and_the_daemon_goes_on(
        tmp_path: Path) -> None:
    import sqlite3

    config = tmp_path / "config.toml"
    text = 'timezone = "UTC"\ndatabase = "nudger.db"\n'
    config.write_text(text)
    db = Database(tmp_path / "nudger.db")
    db.ensure(create=True)
    con = sqlite3.connect(db.path)
    con.execute("DROP TABLE digest")  # what a damaged database looks like to a pass
    con.commit()
    con.close()
    log = logging.getLogger("nudger.test.dbfail")
    log.propagate = False
    handler = Lines()
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    daemon = Daemon(ConfigLocation(config, True), {}, parse_settings(text, config), db,
                    Notifier({}), log, Clock(datetime(2026, 11, 30, 9, 0, tzinfo=UTC)))
    try:
        await daemon._work("test")  # returns: one bad pass does not end the daemon
    finally:
        db.dispose()
    failed = [line for line in handler.lines if line.startswith("digest pass failed")]
    assert failed and "database error: no such table: digest" in failed[0]
    assert str(db.path) in failed[0] and "a bug" not in failed[0]
