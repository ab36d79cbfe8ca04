"""progress: record_touch, complete_step, skip_step and apply_auto_ghost write what the
cadence engine then reads (through store.read.load_states, tests/store/test_read.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from nudger.config import Settings, parse_settings
from nudger.errors import UsageError
from nudger.store.db import Database
from nudger.store.models import Application, Touch
from nudger.store.read import load_states
from nudger.track import tracker
from nudger.track.cadence import due_on, next_step
from nudger.track.progress import apply_auto_ghost, complete_step, record_touch, skip_step
from nudger.when.business import Calendar
from tests.conftest import add_application as add

CHICAGO = ZoneInfo("America/Chicago")
US = Calendar("US")
TODAY = date(2026, 11, 30)


def test_record_touch_completes_only_the_next_steps_action(db: Database) -> None:
    settings = Settings()
    app_id = add(db, applied_on=date(2026, 11, 2))
    with db.session() as s:
        _, label = record_touch(s, settings, US, TODAY, app_id, "call", date(2026, 11, 4),
                                now=datetime.now(UTC))
        assert label is None  # the next step is the email: a call completes nothing
        _, label = record_touch(s, settings, US, TODAY, app_id, "email", date(2026, 11, 6),
                                now=datetime.now(UTC))
        assert label == "follow-up 1 of 5: email"
        # Within one session: the raw reads see what the session wrote (it flushes first).
        _, label = record_touch(s, settings, US, TODAY, app_id, "call", date(2026, 11, 10),
                                now=datetime.now(UTC))
        assert label == "follow-up 2 of 5: call"
    with db.read_session() as s:
        (state,) = load_states(s, zone=CHICAGO)
    assert [t.step for t in state.touches] == [None, 1, 2]


def test_complete_and_skip(db: Database) -> None:
    settings = Settings()
    app_id = add(db, applied_on=date(2026, 11, 2))
    with db.session() as s:
        _, nudge = complete_step(s, settings, US, app_id, date(2026, 11, 5), note="sent",
                                 now=datetime.now(UTC))
        assert (nudge.step, nudge.action) == (1, "email")
        _, nudge = skip_step(s, settings, US, app_id, date(2026, 11, 9), now=datetime.now(UTC))
        assert (nudge.step, nudge.action) == (2, "call")
    with db.read_session() as s:
        (state,) = load_states(s, zone=CHICAGO)
        touches = s.exec(select(Touch).order_by(col(Touch.id))).all()
    assert [(t.action, t.step, t.skipped, t.note) for t in touches] == [
        ("email", 1, False, "sent"), ("call", 2, True, "")]
    nudge = next_step(state, settings.cadence_for("applied"), US)
    # Step 3 waits its own 3 business days from the skip on Monday 9 November, and
    # Veterans Day (Wednesday 11 November) is not one of them.
    assert nudge is not None and (nudge.step, nudge.due) == (3, date(2026, 11, 13))
    closed = add(db, "Closed", applied_on=date(2026, 11, 2))
    with db.session() as s:
        tracker.change_stage(s, closed, "withdrawn", date(2026, 11, 3), now=datetime.now(UTC))
    with pytest.raises(UsageError, match="closed"), db.session() as s:
        complete_step(s, settings, US, closed, TODAY, now=datetime.now(UTC))


def test_apply_auto_ghost(db: Database, tmp_path: Path) -> None:
    settings = parse_settings(
        '[[cadence]]\nstage = "applied"\nsteps = [ { wait = "3 days", action = "email" } ]\n'
        'give_up = "30 days"\nauto_ghost = true\n\n'
        '[[cadence]]\nstage = "interviewing"\n'
        'steps = [ { wait = "1 day", action = "thank-you" } ]\n'
        'give_up = "30 days"\n', tmp_path / "config.toml")
    old = add(db, "Old", applied_on=date(2026, 10, 1))
    fresh = add(db, "Fresh", applied_on=date(2026, 11, 20))
    asking = add(db, "Asking", stage="interviewing")
    moved = add(db, "Moved", applied_on=date(2026, 9, 1))
    with db.session() as s:
        tracker.change_stage(s, asking, "interviewing", date(2026, 9, 1), now=datetime.now(UTC))
    with db.read_session() as s:
        states = load_states(s, zone=CHICAGO)
    report = due_on(states, settings.cadence, US, TODAY)
    assert {c.app_id for c in report.cold} == {old, asking, moved}
    with db.session() as s:  # the user moved one on meanwhile: it is left alone
        tracker.change_stage(s, moved, "interviewing", TODAY, now=datetime.now(UTC))
    with db.session() as s:
        closed = apply_auto_ghost(s, report, TODAY, now=datetime.now(UTC))
    assert closed == [old]
    with db.read_session() as s:
        stages = {a.id: a.stage for a in s.exec(select(Application)).all()}
        events = tracker.timeline(s, s.get(Application, old))  # type: ignore[arg-type]
    assert stages == {old: "ghosted", fresh: "applied", asking: "interviewing",
                      moved: "interviewing"}
    assert "auto_ghost" in events[-1].text and "60 days" in events[-1].text
    assert {n.app_id for n in report.without(closed).nudges} <= {fresh, asking, moved}

