"""Six zones across two DST changes with real `nudger worker` subprocesses (two at a time)
under libfaketime, against the real PostgreSQL cluster the tests start and the project's
SMTP server (tests/workers/test_tick.py drives the same tick in-process with a given clock).

The workers run in phases: for each instant below, two workers start with their clocks at
it (libfaketime's absolute "@...", running on from there), each ticks as it starts
(nudger/workers/run.py), the test waits until the relay received that phase's digests and
the outbox marked them sent, then stops them with SIGTERM. Between phases the clock jumps
hours or days, as when the workers were down: the tick records each seeker's latest digest
day only (docs/outbox.md, "The workers' tick"), so each phase's digests are listed here by
hand, (seeker, local date), and the test fails if the tick sent one twice, early, late or
not at all. The database keeps the real time (leases and retry times are read against it).
"""

from __future__ import annotations

import re
import signal
from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

import pytest

from nudger.config import parse_settings
from nudger.store.pgurl import parse
from nudger.track.seekers import add_seeker, set_enabled
from tests import pgserver
from tests.conftest import Home, pg_database
from tests.daemon_helpers import DaemonProcess, config_text, faketime_library, wait_until
from tests.smtpserver import SmtpServer

EVERY_DAY = "mon,tue,wed,thu,fri,sat,sun"
# Digest times in UTC: Paris 02:30 is 01:30 on CET, 00:30 on CEST, and on 2026-03-29 (02:00
# becomes 03:00) 02:30 does not exist: 03:30 CEST, 01:30 UTC. Sydney's 02:30 and Auckland's
# 02:15 come twice on 2026-04-05 (03:00 becomes 02:00): 15:30 and 16:30, 13:15 and 14:15 UTC
# the day before; once, at the first. New York 11:30 (EDT since 03-08), Kolkata 03:15, Sao
# Paulo (no DST) 01:20 the next UTC day.
SEEKERS = {
    "paris@example.org": ("Europe/Paris", "02:30"),
    "nyc@example.org": ("America/New_York", "07:30"),
    "sydney@example.org": ("Australia/Sydney", "02:30"),
    "kolkata@example.org": ("Asia/Kolkata", "08:45"),
    "saopaulo@example.org": ("America/Sao_Paulo", "22:20"),
    "auckland@example.org": ("Pacific/Auckland", "02:15"),
}
ADDED = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)  # Friday before Paris's change


def _d(month: int, day: int) -> date:
    return date(2026, month, day)


# (the workers' clock, UTC) -> the digests (seeker, local date) that phase sends; no digest
# moment falls less than two minutes after an instant, so a phase's seconds change nothing.
PHASES: list[tuple[str, set[tuple[str, date]]]] = [
    # Saturday: everyone's latest day (Sydney's and Auckland's Sunday already began).
    ("2026-03-28 16:00:00", {("paris", _d(3, 28)), ("nyc", _d(3, 28)), ("sydney", _d(3, 29)),
                             ("kolkata", _d(3, 28)), ("saopaulo", _d(3, 27)),
                             ("auckland", _d(3, 29))}),
    # Sunday 03:28 CEST, two minutes before Paris's 02:30 that does not exist: not yet.
    ("2026-03-29 01:28:00", {("saopaulo", _d(3, 28))}),
    # Sunday 03:31 CEST: Paris's is due at 03:30 CEST, the instant after the jump.
    ("2026-03-29 01:31:00", {("paris", _d(3, 29))}),
    # Monday: Paris on summer time (00:30 UTC); New York's Sunday was missed: its Monday.
    ("2026-03-30 12:00:00", {("paris", _d(3, 30)), ("nyc", _d(3, 30)), ("sydney", _d(3, 30)),
                             ("kolkata", _d(3, 30)), ("saopaulo", _d(3, 29)),
                             ("auckland", _d(3, 30))}),
    # A week on, Saturday 15:35 UTC: Sydney's and Auckland's Sunday, at the first 02:30 and
    # 02:15 (summer time), five and 140 minutes ago.
    ("2026-04-04 15:35:00", {("paris", _d(4, 4)), ("nyc", _d(4, 4)), ("sydney", _d(4, 5)),
                             ("kolkata", _d(4, 4)), ("saopaulo", _d(4, 3)),
                             ("auckland", _d(4, 5))}),
    # Sunday 03:20 UTC: both repeated hours are over (the second 02:30 and 02:15 came at
    # 16:30 and 14:15 UTC): nothing more for Sydney and Auckland, not even due.
    ("2026-04-05 03:20:00", {("paris", _d(4, 5)), ("kolkata", _d(4, 5)),
                             ("saopaulo", _d(4, 4))}),
    # Monday: Sydney and Auckland on standard time (16:30 and 14:15 UTC the day before).
    ("2026-04-06 12:00:00", {("paris", _d(4, 6)), ("nyc", _d(4, 6)), ("sydney", _d(4, 6)),
                             ("kolkata", _d(4, 6)), ("saopaulo", _d(4, 5)),
                             ("auckland", _d(4, 6))}),
]
STARTED = r"info: worker \S+ started on "
DUE = re.compile(r"tick: (\d+) seekers due; ")


def _sql(pg_cluster: Any, pg_url: str, sql: str) -> list[tuple[Any, ...]]:
    return pg_cluster.admin(sql, dbname=parse(pg_url).dbname)


def _digests(pg_cluster: Any, pg_url: str) -> list[tuple[str, date, str, str, str]]:
    """Every outbox row: (seeker's name before the @, local date, state, recipient,
    Message-ID)."""
    return [(str(email).split("@")[0], day, str(state), str(recipient), str(message_id))
            for email, day, state, recipient, message_id in _sql(
                pg_cluster, pg_url,
                "SELECT s.email, d.local_date, d.state, d.recipient, d.message_id "
                "FROM digest d JOIN seeker s ON s.id = d.seeker_id ORDER BY 1, 2")]


def _worker(home: Home, config: Any, at: str, library: str) -> DaemonProcess:
    return DaemonProcess(home.root / "home", config, "worker", env={
        "PGPASSWORD": pgserver.PASSWORD, "LD_PRELOAD": library, "FAKETIME": f"@{at}",
        "TZ": "UTC"})


def _phase(home: Home, config: Any, pg_cluster: Any, pg_url: str, server: SmtpServer,
           at: str, wanted: set[tuple[str, date]], library: str) -> None:
    """Two workers from `at`: exactly `wanted` sent, each once, at its seeker's address."""
    before = len(server.messages)
    total = before + len(wanted)
    workers = [_worker(home, config, at, library) for _ in range(2)]
    try:
        for worker in workers:  # logged after the start-up tick: both ticked at `at`
            line = worker.wait_log(STARTED, timeout=60)
            stamp = datetime.strptime(line[:24], "%Y-%m-%d %H:%M:%S%z")
            assert 0 <= (stamp - datetime.fromisoformat(at + "+00:00")).total_seconds() < 60
        server.wait_for_messages(total, timeout=60)
        wait_until(lambda: sum(1 for r in _digests(pg_cluster, pg_url) if r[2] == "sent")
                   >= total, 30, f"the marks at {at}")  # exactly: checked below
        codes = [w.stop(signal.SIGTERM, timeout=15) for w in workers]
        assert codes == [0, 0], [w.log for w in workers]
    finally:
        for worker in workers:
            worker.close()
    for worker in workers:
        assert "Traceback" not in worker.log, worker.log
    # Each seeker was due once: the seekers the two workers' ticks found due (SKIP LOCKED
    # splits them) are this phase's, no more (a repeated hour due again would show here).
    due = sum(int(m[1]) for w in workers for m in DUE.finditer(w.log))
    assert due == len(wanted), (at, [w.log for w in workers])
    rows = {message_id: (name, day, recipient)
            for name, day, _, recipient, message_id in _digests(pg_cluster, pg_url)}
    got = []
    for message in server.messages[before:]:
        name, day, recipient = rows[message.message_id]
        assert message.rcpt_tos == [recipient] == [f"{name}@example.org"], message.rcpt_tos
        got.append((name, day))
    assert len(server.messages) == total and sorted(got) == sorted(wanted), (at, got)


@pytest.mark.slow
@pytest.mark.xdist_group("clock")  # libfaketime on the subprocesses
def test_workers_under_a_fake_clock_send_six_zones_once_per_date_across_dst(
        home: Home, pg_cluster: Any, pg_url: str) -> None:
    library = faketime_library()
    if library is None:
        pytest.skip("libfaketime is not installed (apt-get install faketime)")
    with SmtpServer("plain") as server:
        text = config_text(server.smtp_config(home.root), zone="UTC", at="06:00",
                           catch_up="2 days")  # never skipped: each phase's latest day
        config = home.root / "worker-config.toml"
        config.write_text(text.replace('database = "nudger.db"', f'database = "{pg_url}"'))
        settings = parse_settings(config.read_text(), config)
        db = pg_database(pg_cluster, pg_url, home.root / "nudger.db")
        try:
            db.ensure(create=True)
            for email, (zone, at) in SEEKERS.items():
                add_seeker(db, settings, email=email, name=email.split("@")[0], now=ADDED,
                           timezone=zone, at=at, days=EVERY_DAY)
            add_seeker(db, settings, email="off@example.org", name="off", now=ADDED,
                       timezone="Europe/Paris", at="09:00", days=EVERY_DAY)
            set_enabled(db, settings, "off@example.org", False, ADDED)
        finally:
            db.dispose()

        for at, wanted in PHASES:
            _phase(home, config, pg_cluster, pg_url, server, at, wanted, library)

        rows = _digests(pg_cluster, pg_url)
        expected = Counter(pair for _, wanted in PHASES for pair in wanted)
        assert Counter((name, day) for name, day, *_ in rows) == expected  # one per date
        assert max(expected.values()) == 1 and {state for _, _, state, *_ in rows} == {"sent"}
        received = Counter((rcpt, message.message_id)
                           for message in server.messages for rcpt in message.rcpt_tos)
        assert received == Counter((recipient, message_id)
                                   for *_, recipient, message_id in rows)  # each once
