"""The tracker as a library: what each function writes, what it refuses, and that the moment
it stamps is the `now` it is given (it reads no clock)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from nudger.errors import NotFoundError, UsageError
from nudger.store.db import Database
from nudger.store.models import Application, Contact, Snooze, StageChange, Touch
from nudger.track import tracker
from nudger.when.times import as_utc

TODAY = date(2026, 11, 20)
# A local moment (what ctx.now() gives): stored as UTC.
NOW = datetime(2026, 11, 20, 9, 15, tzinfo=ZoneInfo("America/Chicago"))
LATER = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


@pytest.fixture
def db(engine_db: Database) -> Database:
    """Every test here runs on SQLite and on PostgreSQL (tests/conftest.py `engine`)."""
    return engine_db


def add(s: Session, company: str = "Acme", **extra: object) -> Application:
    return tracker.add_application(s, company=company, role="AE", today=TODAY, now=NOW,
                                   **extra)  # type: ignore[arg-type]


def test_add_dates_the_stage_by_what_is_known(db: Database) -> None:
    with db.session() as s:
        applied = add(s, applied_on=date(2026, 11, 2))
        unapplied = add(s, "Globex")
        wish = add(s, "Initech", stage="wishlist")
        talking = add(s, "Hooli", stage="interviewing", applied_on=date(2026, 11, 2))
    assert (applied.applied_on, applied.stage_since) == (date(2026, 11, 2), date(2026, 11, 2))
    assert (unapplied.applied_on, unapplied.stage_since) == (TODAY, TODAY)
    assert (wish.applied_on, wish.stage_since) == (None, TODAY)
    assert (talking.applied_on, talking.stage_since) == (date(2026, 11, 2), TODAY)
    with db.read_session() as s:
        changes = s.exec(select(StageChange).order_by(StageChange.id)).all()  # type: ignore[arg-type]
        app = s.get(Application, applied.id)
    assert [(c.stage, c.changed_on) for c in changes] == [
        ("applied", date(2026, 11, 2)), ("applied", TODAY), ("wishlist", TODAY),
        ("interviewing", TODAY)]
    assert app is not None and as_utc(app.created_at) == NOW.astimezone(UTC)
    assert as_utc(changes[0].created_at) == NOW.astimezone(UTC)


@pytest.mark.parametrize(("values", "message"), [
    ({"company": "Acme\nBcc: x@evil.example"}, "must be one line"),
    ({"url": "https://a.example/\r\n"}, "must be one line"),
    ({"notes": "ok\x00"}, "NUL"),
    ({"company": " "}, "must not be empty"),
    ({"stage": "hired"}, "unknown stage 'hired'"),
    ({"notes": "x" * 10_001}, "the limit is 10000"),
])
def test_add_refuses_bad_input_before_writing(db: Database, values: dict[str, str],
                                               message: str) -> None:
    with pytest.raises(UsageError, match=message), db.session() as s:
        tracker.add_application(s, **{"company": "Acme", "role": "AE", "today": TODAY,
                                      "now": NOW, **values})  # type: ignore[arg-type]
    with db.read_session() as s:
        assert tracker.count_applications(s) == 0


def test_parse_contact_reads_the_forms_people_write() -> None:
    assert tracker.parse_contact("Dana Lee <dana@acme.example>") == tracker.ContactSpec(
        "Dana Lee", "dana@acme.example")
    assert tracker.parse_contact("dana@localhost").email == "dana@localhost"
    assert tracker.parse_contact('"Lee, Dana" <d@x.example>').name == "Lee, Dana"
    assert tracker.parse_contact("Dana Lee") == tracker.ContactSpec("Dana Lee", "")
    with pytest.raises(UsageError, match="cannot read an email address"):
        tracker.parse_contact("Dana <not an address>")
    with pytest.raises(UsageError, match="unknown contact kind 'boss'"):
        tracker.parse_contact("Dana", kind="boss")


def test_edit_stamps_now_and_moves_the_applied_clock(db: Database) -> None:
    with db.session() as s:
        app_id = add(s, applied_on=date(2026, 11, 2)).id
    assert app_id is not None
    with db.session() as s:
        app = tracker.edit_application(s, app_id, {"applied_on": date(2026, 11, 3),
                                                   "company": " Acme Corp "}, now=LATER)
    assert (app.company, app.stage_since) == ("Acme Corp", date(2026, 11, 3))
    assert as_utc(app.updated_at) == LATER
    with pytest.raises(UsageError, match="cannot edit 'stage'"), db.session() as s:
        tracker.edit_application(s, app_id, {"stage": "offer"}, now=LATER)
    with pytest.raises(NotFoundError, match="no application #99"), db.session() as s:
        tracker.edit_application(s, 99, {"notes": "x"}, now=LATER)


def test_touches_stages_and_snoozes(db: Database) -> None:
    with db.session() as s:
        app_id = add(s, applied_on=date(2026, 11, 2)).id
        wish_id = add(s, "Initech", stage="wishlist").id
    assert app_id is not None and wish_id is not None
    with db.session() as s:
        touch = tracker.log_touch(s, app_id, "email", date(2026, 11, 5), now=LATER, step=1)
        assert (touch.stage, touch.step, as_utc(touch.created_at)) == ("applied", 1, LATER)
        with pytest.raises(UsageError, match="unknown action 'fax'"):
            tracker.log_touch(s, app_id, "fax", date(2026, 11, 5), now=LATER)
        moved = tracker.change_stage(s, wish_id, "applied", date(2026, 11, 6), now=LATER)
        assert (moved.applied_on, moved.stage_since) == (date(2026, 11, 6), date(2026, 11, 6))
        tracker.snooze(s, app_id, date(2026, 12, 5), now=LATER)
        tracker.snooze(s, app_id, date(2026, 12, 1), now=LATER)
    with db.read_session() as s:
        assert tracker.snoozed_until(s, app_id) == date(2026, 12, 1)  # the latest one set
        app = tracker.get_application(s, app_id)
        assert as_utc(app.updated_at) == LATER
        events = tracker.timeline(s, app)
        summary = tracker.list_summary(s)
        rows = tracker.list_applications(s, "applied")
    assert [e.kind for e in events] == ["stage", "touch", "snooze", "snooze"]
    assert events[1].text == "email (step 1)"
    assert [r[0] for r in summary] == [app_id, wish_id]
    assert summary[0][5] == "2026-11-05"  # the last touch, as the `list` command shows it
    assert [(r.app.id, r.touches, r.last_touch) for r in rows] == [
        (app_id, 1, date(2026, 11, 5)), (wish_id, 0, None)]


def test_contacts_and_removal(db: Database) -> None:
    with db.session() as s:
        app_id = add(s, contacts=[tracker.parse_contact("Dana <dana@acme.example>")]).id
        other_id = add(s, "Globex").id
    assert app_id is not None and other_id is not None
    with db.session() as s:
        extra = tracker.add_contact(s, app_id, tracker.parse_contact("Sam", kind="hr"))
        tracker.log_touch(s, app_id, "call", TODAY, now=LATER)
        tracker.snooze(s, app_id, date(2026, 12, 1), now=LATER)
    with pytest.raises(NotFoundError, match=r"has no contact #\d+; its contacts: none"), \
            db.session() as s:
        tracker.remove_contact(s, other_id, extra.id or 0)
    with db.session() as s:
        removed = tracker.remove_application(s, app_id)
    assert (removed.touches, removed.contacts) == (1, 2)
    with db.read_session() as s:
        for model in (Touch, Contact, Snooze):
            assert s.exec(select(model)).all() == []
        assert [a.id for a in s.exec(select(Application)).all()] == [other_id]
