"""Rendering a fifty-nudge digest (every template, the drafts and the message), after
warm-up, from a real SQLite file. No target ratio: the figure is reported."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.core import Figure, median_of, settings_and_database

DAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 13, 30, tzinfo=UTC)


def figures(work: Path) -> list[Figure]:
    from nudger.digest.compose import compose_digest
    from nudger.track import tracker
    from nudger.when.business import Calendar

    settings, db = settings_and_database(
        work, 'phone = "+1 312 555 0100"\n'
        'pitch = "I grow distributor accounts."\n')
    actions = ["email", "call", "social", "network", "visit"]
    with db.session() as s:
        for i in range(50):
            applied = DAY - timedelta(days=30)
            app = tracker.add_application(
                s, company=f"Company {i}", role="Account Executive", today=applied,
                applied_on=applied, address="1 Main St",
                contacts=[tracker.parse_contact(f"Person {i} <p{i}@c{i}.example>",
                                                phone="+1 312 555 0101", social="@p")],
                                          now=datetime.now(UTC))
            assert app.id is not None
            for step, action in enumerate(actions[: i % 5], start=1):
                tracker.log_touch(s, app.id, action, applied + timedelta(days=step),
                                  note="done", step=step, now=datetime.now(UTC))
    calendar = Calendar.from_settings(settings)

    def render() -> None:
        with db.read_session() as s:
            composed = compose_digest(settings, s, calendar, DAY, NOW)
        assert composed.nudges == 50, composed.nudges

    for _ in range(3):  # warm-up: template compilation, holiday tables, SQL statements
        render()
    seconds = median_of(render, repeat=10)
    db.dispose()
    return [Figure(name="render a 50-nudge digest (after warm-up)", value=seconds * 1000,
                   unit="ms", target="reported (no target)", ok=True,
                   baseline="median of 10")]
