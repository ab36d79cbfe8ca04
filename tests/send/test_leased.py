"""The workers' send (send/leased.py) serves any seeker of the database, on both engines:
each seeker's digest goes to that seeker's own address with their own name and rows only,
and its outbox row is theirs; a disabled seeker's or a removed seeker's job sends nothing
and writes nothing (but for the tick's 'pending' row of a disabled seeker, marked
skipped)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from nudger.send.outbox import Outcome
from nudger.send.pool import Relay
from nudger.track import seekers, tracker
from nudger.when.business import Calendar
from tests.send.test_delivery import config
from tests.smtpserver import SmtpServer

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
DAY = date(2026, 12, 7)


def _apply(db: Any, company: str) -> None:
    with db.session() as s:
        tracker.add_application(s, company=company, role="AE", today=date(2026, 11, 2),
                                now=NOW - timedelta(days=35))


def _send(settings: Any, db: Any, seeker_id: int, tmp_path: Path) -> Any:
    from nudger.send.leased import send_leased

    async def go() -> Any:
        async with Relay(settings, {}, data_dir=tmp_path) as relay:
            return await send_leased(settings, db, Calendar.from_settings(settings), seeker_id,
                                     DAY, me="test:1:abcdef01", lease=timedelta(minutes=5),
                                     relay=relay, clock=lambda: NOW)

    return asyncio.run(go())


def _outbox(db: Any) -> list[tuple[Any, ...]]:
    with db.read_session(every_seeker=True) as s:
        return sorted((r[0], r[1], str(r[2]), r[3]) for r in s.connection().execute(text(
            "SELECT seeker_id, recipient, local_date, state FROM digest")))


def test_each_seekers_digest_is_theirs(engine_db: Any, tmp_path: Path) -> None:
    with SmtpServer("plain") as server:
        settings = config(tmp_path, server.smtp_config(tmp_path)
                          + "[digest]\nsend_when_empty = true\n")
        ann = seekers.add_seeker(engine_db, settings, email="ann@example.org", name="Ann Lee",
                                 timezone="Europe/Berlin", now=NOW)
        bob = seekers.add_seeker(engine_db, settings, email="bob@example.net",
                                 name="Bob Stone", timezone="America/New_York", now=NOW)
        ids = {row["email"]: row for row in seekers.list_seekers(engine_db)}
        assert ann["email"] in ids and bob["email"] in ids
        with engine_db.read_session(every_seeker=True) as s:
            found = dict(s.connection().execute(text("SELECT email, id FROM seeker")).all())
        ann_id, bob_id = found["ann@example.org"], found["bob@example.net"]
        _apply(engine_db.for_seeker(ann_id), "Annco Widgets")
        _apply(engine_db.for_seeker(bob_id), "Bobco Gadgets")

        first = _send(settings, engine_db, ann_id, tmp_path)
        second = _send(settings, engine_db, bob_id, tmp_path)
        assert (first.outcome, second.outcome) == (Outcome.SENT, Outcome.SENT)
        assert first.message_id != second.message_id
        to_ann, to_bob = server.messages
        assert to_ann.rcpt_tos == ["ann@example.org"] and to_bob.rcpt_tos == ["bob@example.net"]
        ann_text = to_ann.message.get_body(("plain",)).get_content()
        bob_text = to_bob.message.get_body(("plain",)).get_content()
        assert "Annco Widgets" in ann_text and "Bobco" not in ann_text
        assert "Bobco Gadgets" in bob_text and "Annco" not in bob_text
        assert "Ann Lee" in ann_text and "Bob Stone" in bob_text
        assert _outbox(engine_db) == sorted([
            (ann_id, "ann@example.org", str(DAY), "sent"),
            (bob_id, "bob@example.net", str(DAY), "sent")])

        # Once each: a second job for the same seeker and day sends nothing.
        assert _send(settings, engine_db, ann_id, tmp_path).outcome is Outcome.ALREADY
        assert len(server.messages) == 2


def test_a_disabled_or_removed_seekers_job_sends_and_writes_nothing(
        engine_db: Any, tmp_path: Path) -> None:
    with SmtpServer("plain") as server:
        settings = config(tmp_path, server.smtp_config(tmp_path)
                          + "[digest]\nsend_when_empty = true\n")
        seekers.add_seeker(engine_db, settings, email="cat@example.org", name="Cat", now=NOW)
        seekers.set_enabled(engine_db, settings, "cat@example.org", False, now=NOW)
        with engine_db.read_session(every_seeker=True) as s:
            cat_id = s.connection().execute(text("SELECT id FROM seeker")).scalar_one()
        assert _send(settings, engine_db, cat_id, tmp_path).outcome is Outcome.SKIPPED
        gone = _send(settings, engine_db, cat_id + 100, tmp_path)
        assert gone.outcome is Outcome.FAILED and "is not in" in gone.detail
        assert server.messages == [] and _outbox(engine_db) == []
        # Disabled after the tick recorded the day: the row says skipped, not pending.
        from nudger.store.outbox_bulk import DayRow, record_days

        with engine_db.session(every_seeker=True) as s:
            record_days(s.connection(), [DayRow(cat_id, "cat@example.org", DAY, "pending")],
                        NOW)
        assert _send(settings, engine_db, cat_id, tmp_path).outcome is Outcome.SKIPPED
        assert server.messages == []
        assert _outbox(engine_db) == [(cat_id, "cat@example.org", str(DAY), "skipped")]


def test_a_refused_address_marks_that_seeker_only_and_a_new_address_clears_it(
        engine_db: Any, tmp_path: Path) -> None:
    """The relay refuses one seeker's address (550 at RCPT): that digest fails, the seeker
    is marked as bouncing with the relay's words, the next seeker's digest goes out; a new
    address clears the mark, and so does an accepted digest."""
    with SmtpServer("plain", replies={"RCPT": ["550 5.1.1 <dee@example.org>: no such user"]}
                    ) as server:
        settings = config(tmp_path, server.smtp_config(tmp_path)
                          + "[digest]\nsend_when_empty = true\n")
        for email in ("dee@example.org", "eve@example.org"):
            seekers.add_seeker(engine_db, settings, email=email, name=email[:3], now=NOW)
        with engine_db.read_session(every_seeker=True) as s:
            found = dict(s.connection().execute(text("SELECT email, id FROM seeker")).all())
        dee = _send(settings, engine_db, found["dee@example.org"], tmp_path)
        eve = _send(settings, engine_db, found["eve@example.org"], tmp_path)
        assert dee.outcome is Outcome.FAILED and "no such user" in dee.detail
        assert eve.outcome is Outcome.SENT
        assert [m.rcpt_tos for m in server.messages] == [["eve@example.org"]]
        shown = seekers.show_seeker(engine_db, "dee@example.org")
        assert shown["bounced_at"] and "550" in shown["bounce_detail"]
        assert "no such user" in shown["bounce_detail"]
        assert seekers.show_seeker(engine_db, "eve@example.org")["bounced_at"] is None

        # A corrected address is not bouncing; neither is one a digest reached.
        seekers.edit_seeker(engine_db, settings, "dee@example.org",
                            {"email": "dee@example.net"}, NOW)
        assert seekers.show_seeker(engine_db, "dee@example.net")["bounced_at"] is None
        with engine_db.session(every_seeker=True) as s:
            s.connection().execute(text(
                "UPDATE seeker SET bounced_at = :t, bounce_detail = 'old' WHERE email = :e"),
                {"t": NOW.replace(tzinfo=None), "e": "eve@example.org"})
            s.connection().execute(text("DELETE FROM digest"))
        assert _send(settings, engine_db, found["eve@example.org"], tmp_path).outcome \
            is Outcome.SENT
        assert seekers.show_seeker(engine_db, "eve@example.org")["bounced_at"] is None


def test_a_seekers_interview_travels_in_their_digest_once(engine_db: Any,
                                                           tmp_path: Path) -> None:
    """The workers' digest carries the seeker's new interview as interview.ics, as the
    single user's does, and announces each interview version once."""
    interview = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)
    with SmtpServer("plain") as server:
        settings = config(tmp_path, server.smtp_config(tmp_path)
                          + "[digest]\nsend_when_empty = true\n")
        seekers.add_seeker(engine_db, settings, email="fay@example.org", name="Fay",
                           timezone="Europe/Berlin", now=NOW)
        with engine_db.read_session(every_seeker=True) as s:
            fay = s.connection().execute(text("SELECT id FROM seeker")).scalar_one()
        db = engine_db.for_seeker(fay)
        _apply(db, "Faycorp")
        with db.session() as s:
            app_id = s.connection().execute(text("SELECT id FROM application")).scalar_one()
            tracker.change_stage(s, app_id, "interviewing", DAY - timedelta(days=1),
                                 now=NOW - timedelta(days=1), interview_at=interview)
        assert _send(settings, engine_db, fay, tmp_path).outcome is Outcome.SENT
        (first,) = server.messages
        parts = [p for p in first.message.walk() if p.get_content_type() == "text/calendar"]
        assert len(parts) == 1 and parts[0].get_filename() == "interview.ics"
        import icalendar

        (event,) = icalendar.Calendar.from_ical(parts[0].get_content()).walk("VEVENT")
        assert event.decoded("dtstart") == interview and "Faycorp" in str(event["summary"])
        # The next day's digest does not announce the same interview again.
        with engine_db.session(every_seeker=True) as s:
            s.connection().execute(text("DELETE FROM digest"))
        assert _send(settings, engine_db, fay, tmp_path).outcome is Outcome.SENT
        second = server.messages[1].message
        assert not [p for p in second.walk() if p.get_content_type() == "text/calendar"]


def test_work_off_the_loop_finishes_before_a_cancel_is_seen() -> None:
    """A job cancelled (SIGTERM past the grace period) while its claim, compose or mark
    runs in a thread sees the cancel only once that work is done, so its release of the
    claim finds the row as the work left it; another job's work overlaps it meanwhile."""
    import threading

    from nudger.send.leased import off_loop

    started, release = threading.Event(), threading.Event()
    done: list[str] = []

    def slow() -> str:
        started.set()
        release.wait(5)
        done.append("slow")
        return "slow"

    async def go() -> tuple[list[str], str]:
        job = asyncio.create_task(off_loop(slow))
        while not started.is_set():
            await asyncio.sleep(0.01)
        other = await off_loop(lambda: "other")  # the loop and the other threads go on
        job.cancel()
        await asyncio.sleep(0.05)
        assert not job.done()  # still waiting for its thread
        release.set()
        try:
            await job
        except asyncio.CancelledError:
            return list(done), other
        raise AssertionError("the cancel was lost")

    seen, other = asyncio.run(go())
    assert seen == ["slow"] and other == "other"
