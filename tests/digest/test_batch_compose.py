"""A worker's batch reads its seekers' digest inputs set-based (store/read_batch.py) and
composes each digest from its slice, and skips the calendar's refresh for the seekers it
can have no invitation for: the digest must be the very one the seeker's own
session composes (same bytes but the random MIME boundary), whatever the seeker holds,
on both engines; and the batch read is a fixed number of statements, however many
seekers it serves."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from nudger.calendar.sync import pending_invitations
from nudger.digest.seeker import ServedSeeker, compose_for, serving
from nudger.mail.capture.suggestions import propose
from nudger.store.models import MailMessage
from nudger.store.read import load_digest
from nudger.store.read_batch import load_digests
from nudger.track import seekers, tracker
from nudger.when.business import Calendar
from tests.clock import DAY, NOW
from tests.digest_helpers import add_app, make_settings

IMAP = """
[imap]
host = "127.0.0.1"
port = 1993
username = "alex@example.com"
password_env = "NUDGER_IMAP_PASSWORD"
"""


def _varied(db: Any, settings: Any) -> list[ServedSeeker]:
    """Seekers in four zones: one with applications, contacts, touches (a skipped step, a
    touch after the day), a snooze, an interview and a closed application; one with
    nothing; one with suggestions (open, accepted lately, accepted long ago) and a reply;
    one with a backlog overdue."""
    added = datetime(2026, 11, 1, tzinfo=UTC)
    people = [("ann@example.org", "America/Chicago"), ("bob@example.org", "Pacific/Auckland"),
              ("cat@example.org", "Europe/London"), ("dan@example.org", "")]
    for email, zone in people:
        seekers.add_seeker(db, settings, email=email, name=email[:3].title(), now=added,
                           timezone=zone)
    with db.read_session(every_seeker=True) as s:
        found = dict(s.execute(text("SELECT email, id FROM seeker")).all())
    ids = [int(found[email]) for email, _ in people]
    ann, _bob, cat, dan = (db.for_seeker(i) for i in ids)
    now = datetime.now(UTC)
    acme = add_app(ann, "Acme", contacts=["Dana Lee <dana@acme.example>",
                                          "Sam Roe <sam@acme.example>"],
                   touches=[("email", DAY - timedelta(days=3), "sent", 1),
                            ("call", DAY + timedelta(days=1), "later", None)])
    globex = add_app(ann, "Globex", applied=DAY - timedelta(days=20),
                     contacts=["Lee <lee@globex.example>"],
                     touches=[("email", DAY - timedelta(days=9), "sent", 1),
                              ("call", DAY + timedelta(days=1), "later", None)])
    initech = add_app(ann, "Initech", applied=DAY - timedelta(days=12))
    closed = add_app(ann, "Umbrella", applied=DAY - timedelta(days=30))
    with ann.session() as s:
        tracker.log_touch(s, globex, "email", DAY - timedelta(days=2), now=now, step=2,
                          skipped=True)
        tracker.snooze(s, initech, DAY + timedelta(days=2), now=now)
        tracker.change_stage(s, acme, "interviewing", DAY - timedelta(days=1), now=now,
                             interview_at=NOW + timedelta(days=3))
        tracker.change_stage(s, closed, "rejected", DAY - timedelta(days=2), now=now)
    hooli = add_app(cat, "Hooli", contacts=["Gavin <gavin@hooli.example>"])
    with cat.session() as s:
        for key, summary, status, decided in (
                ("f1", "Pied Piper, Engineer", "open", None),
                ("f2", "Raviga, Analyst", "accepted", NOW - timedelta(hours=3)),
                ("f3", "Bachman, Intern", "accepted", NOW - timedelta(days=9))):
            found = propose(s, kind="application", fingerprint=key, summary=summary,
                            reason="Thank you for applying", confidence=0.9, payload={},
                            now=NOW - timedelta(days=10))
            assert found is not None
            found.status, found.decided_at = status, decided
            s.add(found)
        s.add(MailMessage(key="r1", message_id="r1", direction="in", kind="reply",
                          date=NOW - timedelta(hours=5), application_id=hooli,
                          created_at=NOW - timedelta(hours=4)))
    for n in range(30):
        add_app(dan, f"Backlog {n}", applied=DAY - timedelta(days=8 + n % 5))
    return [serving(settings, db, i) for i in ids]


def _without_boundary(message: bytes) -> bytes:
    for boundary in set(re.findall(rb'boundary="([^"]+)"', message)):
        message = message.replace(boundary, b"BOUNDARY")
    return message


@pytest.mark.parametrize("mailbox", [False, True], ids=["plain", "imap"])
def test_a_batch_composes_each_digest_as_the_seekers_own_session_does(
        engine_db: Any, tmp_path: Path, mailbox: bool) -> None:
    settings = make_settings(tmp_path, extra=IMAP if mailbox else "")
    served = _varied(engine_db, settings)
    calendar = Calendar.from_settings(settings)
    days = {s.seeker_id: NOW.astimezone(s.settings.zone).date() for s in served}
    assert len(set(days.values())) == 2  # Auckland is a day ahead
    statements: list[str] = []

    def count(*args: Any) -> None:
        if str(args[2]).lstrip().upper().startswith("SELECT"):
            statements.append(str(args[2]))

    event.listen(engine_db.engine, "before_cursor_execute", count)
    try:
        with engine_db.read_session(every_seeker=True) as s:
            preloaded = load_digests(s, days, {x.seeker_id: x.settings.zone for x in served})
    finally:
        event.remove(engine_db.engine, "before_cursor_execute", count)
    assert len(statements) == 7, statements  # one per table, whatever the batch's size
    shown = {x.seeker_id: 0 for x in served}
    for seeker in served:
        day: date = days[seeker.seeker_id]
        with seeker.db.read_session() as s:
            # The slice is the seeker's own read, row for row...
            mine, theirs = load_digest(s, day, seeker.settings.zone), \
                preloaded[seeker.seeker_id].data
            assert (mine.states, mine.tracked, sorted(mine.apps)) == \
                (theirs.states, theirs.tracked, sorted(theirs.apps))
            assert {a: [c.id for c in cs] for a, cs in mine.contacts.items()} == \
                {a: [c.id for c in cs] for a, cs in theirs.contacts.items()}
            assert {a: t.id for a, t in mine.last.items()} == \
                {a: t.id for a, t in theirs.last.items()}
            # ... and the digest composed from it the very same.
            own = compose_for(seeker, day, session=s, calendar=calendar, now=NOW,
                              notices=["A notice"])
            batch = compose_for(seeker, day, session=s, calendar=calendar, now=NOW,
                                notices=["A notice"], preloaded=preloaded[seeker.seeker_id])
        assert (batch.text, batch.html, batch.nudges, batch.news) == \
            (own.text, own.html, own.nudges, own.news), seeker.who
        for composed in (own, batch):  # a new random one each: the outbox keeps its own
            del composed.message["Message-ID"]
            composed.message["Message-ID"] = "<kept@example.com>"
        assert _without_boundary(batch.message.as_bytes()) == \
            _without_boundary(own.message.as_bytes())
        shown[seeker.seeker_id] = own.nudges
    # The calendar: only the seeker with an interview may have an invitation; for the
    # others the refresh the batch skips finds nothing and writes nothing.
    assert {x.who: preloaded[x.seeker_id].calendar for x in served} == {
        x.who: x.seeker_id == served[0].seeker_id for x in served}
    for seeker in served:
        with seeker.db.session() as s:
            found = pending_invitations(s, seeker.settings, calendar, NOW)
            assert (found is not None) == preloaded[seeker.seeker_id].calendar, seeker.who
            s.rollback()
    # The seekers differ as meant: one with nothing due, one with a backlog.
    assert sorted(shown.values())[0] == 0 and max(shown.values()) >= 25, shown
    texts = {x.who: preloaded[x.seeker_id] for x in served}
    assert any(p.suggestions for p in texts.values())
    assert sum(len(p.data.contacts) for p in texts.values()) >= 3


@pytest.mark.parametrize("mailbox", [False, True], ids=["plain", "imap"])
def test_a_digest_that_reads_only_its_batch_slice_runs_no_statement(
        engine_db: Any, tmp_path: Path, mailbox: bool) -> None:
    """`reads_only_preloaded` (digest/compose.py) is what lets a worker compose a digest
    on its event loop (send/leased_batch.py), where one query would hold up every other
    digest in flight: whatever it says yes to must compose without a single statement,
    and what it says no to (a mailbox) does read. On a seeker's weekly effort day the
    batch reads their whole history too (store/read_batch.py, `load_histories`): the very
    History `load_history` reads, and the very digest."""
    from nudger.digest.compose import reads_only_preloaded
    from nudger.store.read import load_history
    from nudger.track.stats import is_effort_day

    settings = make_settings(tmp_path, extra=IMAP if mailbox else "")
    served = _varied(engine_db, settings)
    calendar = Calendar.from_settings(settings)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    efforts = 0
    for offset in range(7):  # every weekday, so the effort day is one of them
        now = NOW + timedelta(days=offset)
        days = {s.seeker_id: now.astimezone(s.settings.zone).date() for s in served}
        effort = {s.seeker_id for s in served if is_effort_day(s.settings, days[s.seeker_id])}
        efforts += len(effort)
        with engine_db.read_session(every_seeker=True) as s:
            preloaded = load_digests(s, days, {x.seeker_id: x.settings.zone for x in served},
                                     effort=effort)
        for seeker in served:
            day, mine = days[seeker.seeker_id], preloaded[seeker.seeker_id]
            assert (mine.history is not None) == (seeker.seeker_id in effort)
            only = reads_only_preloaded(seeker.settings, day, mine)
            assert only == (not mailbox)
            statements.clear()
            event.listen(engine_db.engine, "before_cursor_execute", count)
            try:
                with seeker.db.read_session() as s:
                    batch = compose_for(seeker, day, session=s, calendar=calendar, now=now,
                                        preloaded=mine, message_id="<kept@example.com>")
            finally:
                event.remove(engine_db.engine, "before_cursor_execute", count)
            assert (not statements) == only, (seeker.who, day, statements[:3])
            if mine.history is not None:
                with seeker.db.read_session() as s:
                    assert mine.history == load_history(s, seeker.settings.zone)
                    own = compose_for(seeker, day, session=s, calendar=calendar, now=now,
                                      message_id="<kept@example.com>")
                assert "THIS WEEK'S EFFORT" in own.text
                assert _without_boundary(batch.message.as_bytes()) == \
                    _without_boundary(own.message.as_bytes())
    assert efforts >= len(served)  # each seeker's effort day came once
