"""What comes next for each application, as JSON-able data: `next_steps` for `nudger list`
and `show`. Light on purpose: it reads through store.states, which takes a plain sqlite3
connection, so `nudger list` never imports the ORM (bench/b_cli.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from nudger.store.states import Source, load_states
from nudger.track.cadence import AppState, Nudge, next_step
from nudger.vocab import OPEN_STAGES

if TYPE_CHECKING:
    from nudger.config import Settings
    from nudger.store.models import Application
    from nudger.when.business import Calendar


def step_json(nudge: Nudge, today: date, state: AppState | None = None) -> dict[str, Any]:
    """The step, and what the digest does with it (`state` given): `held` is "paused" (a
    reply paused the application: no nudge until it is answered), "snoozed", or None;
    `shows` the first day the digest lists it (None while paused)."""
    held: str | None = None
    shows: date | None = max(nudge.due, today)
    if state is not None and state.paused:
        held, shows = "paused", None
    elif state is not None and state.snoozed_until is not None \
            and state.snoozed_until > today:
        held, shows = "snoozed", max(nudge.due, state.snoozed_until)
    return {
        "step": nudge.step,
        "of": nudge.steps,
        "action": nudge.action,
        "template": nudge.template,
        "due": nudge.due.isoformat(),
        "overdue_days": max(0, (today - nudge.due).days),
        "repeat": nudge.repeat,
        "deadline": nudge.deadline.isoformat() if nudge.deadline else None,
        "label": nudge.label,
        "held": held,
        "shows": shows.isoformat() if shows is not None else None,
    }


def next_steps(
    source: Source, settings: Settings, calendar: Calendar, today: date,
    apps: Sequence[Application] | None = None,
) -> dict[int, dict[str, Any]]:
    """Application id → its next step (as JSON-able data), for `list` and `show`; for
    every open application when `apps` is None. `source`: a session or a plain sqlite3
    connection (store.states)."""
    out: dict[int, dict[str, Any]] = {}
    chosen = None if apps is None else [a for a in apps if a.stage in OPEN_STAGES]
    for state in load_states(source, chosen, zone=settings.zone):
        nudge = next_step(state, settings.cadence_for(state.stage), calendar, today)
        if nudge is not None:
            out[state.id] = step_json(nudge, today, state)
    return out
