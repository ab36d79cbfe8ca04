"""The daemon's calendar step ([ics] path / [caldav]) for a hunt of 300 open applications
(60 with an interview): refresh the events (plan for 30 days, every draft rendered,
versions reconciled in the database) and serialize the VCALENDAR, when nothing changed
since the last pass. Baseline, in the same run: the 30-day plan alone (what `nudger due
--days 30` computes), the part of the work no calendar can skip. Targets: a pass after a
change stays under a second; a pass with nothing changed (the daemon only compares
`inputs_key`) under 20 ms."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.core import Figure, median_of, settings_and_database

DAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 13, 30, tzinfo=UTC)
APPS = 300


def figures(work: Path) -> list[Figure]:
    from nudger.calendar.sync import inputs_key, refresh
    from nudger.store.read import load_states
    from nudger.track import tracker
    from nudger.track.cadence import plan
    from nudger.when.business import Calendar

    settings, db = settings_and_database(work)
    with db.session() as s:
        for i in range(APPS):
            applied = DAY - timedelta(days=i % 40)
            app = tracker.add_application(
                s, company=f"Company {i}", role="Account Executive", today=applied,
                applied_on=applied, notes=f"Panel with the team; https://zoom.us/j/{i}",
                contacts=[tracker.parse_contact(f"Person {i} <p{i}@c{i}.example>")],
                now=NOW)
            assert app.id is not None
            if i % 5 == 0:
                tracker.change_stage(s, app.id, "interviewing", DAY, now=NOW,
                                     interview_at=NOW + timedelta(days=1 + i % 20, hours=3))
    calendar = Calendar.from_settings(settings)

    def step() -> None:
        with db.session() as s:
            snapshot = refresh(s, settings, calendar, NOW)
        assert len(snapshot.to_ical()) > 0

    def check() -> None:
        with db.read_session() as s:
            inputs_key(s)

    def baseline() -> None:
        with db.read_session() as s:
            plan(load_states(s, zone=settings.zone), settings.cadence, calendar, DAY, 30)

    first = median_of(step, repeat=1)  # creates the rows, serializes every event
    for _ in range(2):
        step()
        baseline()
    base = median_of(baseline, repeat=5)
    seconds = median_of(step, repeat=5)
    skip = median_of(check, repeat=20)
    with db.read_session() as s:
        from sqlmodel import func, select

        from nudger.store.models import CalendarEvent

        events = s.exec(select(func.count()).select_from(CalendarEvent)).one()
    db.dispose()
    plan_words = f"30-day plan alone: {base * 1000:.1f} ms"
    return [
        Figure(name=f"calendar step, first pass, {APPS} applications ({events} events)",
               value=first * 1000, unit="ms", target="reported (once per daemon start)",
               ok=True, baseline=plan_words),
        Figure(name=f"calendar step after a change, {APPS} applications", value=seconds * 1000,
               unit="ms", target="< 1000 ms", ok=seconds < 1.0, baseline=plan_words,
               ratio=seconds / base if base else None),
        Figure(name="calendar pass with nothing changed (skipped)", value=skip * 1000,
               unit="ms", target="< 20 ms", ok=skip < 0.02, baseline=plan_words,
               ratio=skip / base if base else None),
    ]
