"""A batch's digest inputs read set-based: what `load_digest` (store/read.py) and
`found_in_mail` (mail/capture/found.py) read for one seeker, and whether the calendar may
hold an invitation for them (calendar/sync.py), read for all of a worker's
batch at once (send/leased_batch.py), one statement per table whatever the batch's size
(`WHERE seeker_id = ANY(...)`), then cut into each seeker's slice.

Each slice is built by the same code as one seeker's read (store/states.py's
`group_touches` and `states_of`, the same ORM models, the same order), so a digest composed
from it is the digest composed from the seeker's own session (tests/digest/
test_batch_compose.py composes a batch both ways and compares). It runs in an
`every_seeker=True` session (a worker's, not scoped to one seeker): every statement names
`seeker_id` itself.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import date, tzinfo
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from nudger.store.models import (
    Application,
    CalendarEvent,
    Contact,
    MailMessage,
    Snooze,
    StageChange,
    Suggestion,
    Touch,
)
from nudger.store.read import DigestData, history_of
from nudger.store.states import group_touches, states_of
from nudger.track.cadence import bulk
from nudger.track.stats import History
from nudger.vocab import OPEN_STAGES
from nudger.when.times import as_utc


@dataclass(frozen=True)
class Preloaded:
    """One seeker's digest inputs, read with the rest of their batch: what `load_digest`
    returns, and the suggestions `found_in_mail` would read (open, or accepted since the
    the moment `found_in_mail` would ask for: `found_since`)."""

    data: DigestData
    suggestions: list[Suggestion]
    # Whether the calendar may have an invitation for this digest: the seeker has calendar
    # events on record or an open application with an interview. Without either, the
    # refresh that looks for invitations (calendar/sync.py, `pending_invitations`) finds
    # no event and writes nothing, so the digest's compose skips it and its write
    # transaction.
    calendar: bool
    # The seeker's whole history (store/read.py, `load_history`), read only for a digest on
    # its weekly effort day (the effort section); None otherwise.
    history: History | None = None


def load_digests(session: Session, days: Mapping[int, date],
                 zones: Mapping[int, tzinfo], *,
                 effort: Collection[int] = ()) -> dict[int, Preloaded]:
    """The digest inputs of each seeker of `days` (seeker → the digest's local date),
    `zones` their zones (settings.zone); for the seekers of `effort` (their digest carries
    the weekly effort section) their whole history too. Seven statements whatever the
    number of seekers, five more when any is on their effort day."""
    from nudger.mail.capture.found import FOUND_KINDS, found_since

    ids = sorted(days)
    if not ids:
        return {}
    sinces = {i: as_utc(found_since(days[i], zones[i])) for i in ids}
    since = min(sinces.values())
    with bulk():
        apps = list(session.exec(
            select(Application).where(col(Application.seeker_id).in_(ids))
            .where(col(Application.stage).in_(OPEN_STAGES))
            .order_by(col(Application.seeker_id), col(Application.id))).all())
        tracked = dict(session.exec(
            select(col(Application.seeker_id), func.count()).select_from(Application)
            .where(col(Application.seeker_id).in_(ids))
            .group_by(col(Application.seeker_id))).all())
        touches = list(session.exec(
            select(Touch).where(col(Touch.seeker_id).in_(ids))
            .order_by(col(Touch.seeker_id), col(Touch.id))).all())
        latest = (select(col(Snooze.application_id), func.max(Snooze.id).label("last"))
                  .where(col(Snooze.seeker_id).in_(ids))
                  .group_by(col(Snooze.application_id)).subquery())
        snoozes = list(session.exec(
            select(col(Snooze.seeker_id), col(Snooze.application_id), col(Snooze.until))
            .join(latest, col(Snooze.id) == latest.c.last)).all())
        contacts = list(session.exec(
            select(Contact).where(col(Contact.seeker_id).in_(ids))
            .order_by(col(Contact.id))).all())
        suggestions = list(session.exec(
            select(Suggestion).where(col(Suggestion.seeker_id).in_(ids))
            .where(col(Suggestion.kind).in_(FOUND_KINDS))
            .where((col(Suggestion.status) == "open") | (
                (col(Suggestion.status) == "accepted") & (col(Suggestion.decided_at) >= since)))
            .order_by(col(Suggestion.id))).all())
        calendar = {int(i or 0) for i in session.exec(
            select(col(CalendarEvent.seeker_id)).where(col(CalendarEvent.seeker_id).in_(ids))
            .distinct()).all()}
        # Each seeker's own `since` (found_in_mail's), of the rows read for the earliest.
        suggestions = [s for s in suggestions if s.status == "open" or (
            s.decided_at is not None and as_utc(s.decided_at) >= sinces[int(s.seeker_id or 0)])]
        out = _slices(ids, days, zones, apps, tracked, touches, snoozes, contacts,
                      suggestions, calendar)
        wanted = {i: zones[i] for i in ids if i in effort}
        if wanted:
            for seeker_id, history in load_histories(session, wanted).items():
                out[seeker_id] = replace(out[seeker_id], history=history)
        return out


def load_histories(session: Session, zones: Mapping[int, tzinfo]) -> dict[int, History]:
    """Each seeker's `load_history` (store/read.py), for the seekers of `zones` (seeker →
    their zone) in five statements, each kind in load_history's order within a seeker;
    built by the same `history_of`."""
    ids = sorted(zones)
    rows: dict[int, tuple[list[Any], list[Any], list[Any], list[Any], list[Any]]] = {
        i: ([], [], [], [], []) for i in ids}
    queries: list[Any] = [  # each kind of row, as load_history orders it, by seeker
        select(Application).where(col(Application.seeker_id).in_(ids))
        .order_by(col(Application.seeker_id), col(Application.id)),
        select(Touch).where(col(Touch.seeker_id).in_(ids))
        .order_by(col(Touch.seeker_id), col(Touch.touched_on), col(Touch.id)),
        select(StageChange).where(col(StageChange.seeker_id).in_(ids))
        .order_by(col(StageChange.seeker_id), col(StageChange.changed_on), col(StageChange.id)),
        select(Snooze).where(col(Snooze.seeker_id).in_(ids))
        .order_by(col(Snooze.seeker_id), col(Snooze.created_at), col(Snooze.id)),
        select(MailMessage).where(col(MailMessage.seeker_id).in_(ids),
                                  MailMessage.kind == "reply",
                                  col(MailMessage.application_id).is_not(None))
        .order_by(col(MailMessage.seeker_id), col(MailMessage.date))]
    with bulk():
        for n, query in enumerate(queries):
            for row in session.exec(query).all():
                rows[int(row.seeker_id or 0)][n].append(row)
        return {i: history_of(*rows[i], zones[i]) for i in ids}


def _slices(ids: list[int], days: Mapping[int, date], zones: Mapping[int, tzinfo],
            apps: list[Application], tracked: dict[Any, Any], touches: list[Touch],
            snoozes: list[Any], contacts: list[Contact],
            suggestions: list[Suggestion], calendar: set[int]) -> dict[int, Preloaded]:
    by_seeker: dict[int, dict[str, list[Any]]] = {
        i: {"apps": [], "touches": [], "contacts": [], "suggestions": []} for i in ids}
    for app in apps:
        by_seeker[int(app.seeker_id or 0)]["apps"].append(app)
    for touch in touches:
        by_seeker[int(touch.seeker_id or 0)]["touches"].append(touch)
    for contact in contacts:
        by_seeker[int(contact.seeker_id or 0)]["contacts"].append(contact)
    for suggestion in suggestions:
        by_seeker[int(suggestion.seeker_id or 0)]["suggestions"].append(suggestion)
    snoozed: dict[int, dict[int, date | None]] = {}
    for seeker_id, app_id, until in snoozes:
        snoozed.setdefault(int(seeker_id), {})[app_id] = until
    out: dict[int, Preloaded] = {}
    for seeker_id in ids:
        mine = by_seeker[seeker_id]
        day = days[seeker_id]
        open_apps: list[Application] = mine["apps"]
        rows = [(a.id, a.stage, a.stage_since, a.applied_on, a.deadline, a.interview_at,
                 a.company, a.role, a.paused_since is not None)
                for a in open_apps if a.id is not None]
        open_ids = {row[0] for row in rows}
        # As load_states: the snoozes and touches of the open applications only.
        states = states_of(rows, group_touches(rows, (
            (t.application_id, t.touched_on, t.action, t.stage, t.step, t.skipped, t.id)
            for t in mine["touches"])), {
            app_id: until for app_id, until in snoozed.get(seeker_id, {}).items()
            if app_id in open_ids}, zones[seeker_id]) if rows else []
        grouped: dict[int, list[Contact]] = {}
        for contact in mine["contacts"]:
            if contact.application_id in open_ids:
                grouped.setdefault(contact.application_id, []).append(contact)
        # As last_touches: each open application's latest real touch on or before the day.
        last: dict[int, Touch] = {}
        for touch in sorted((t for t in mine["touches"] if t.application_id in open_ids
                             and not t.skipped and t.touched_on <= day),
                            key=lambda t: (t.touched_on, t.id)):
            last[touch.application_id] = touch
        out[seeker_id] = Preloaded(
            DigestData({a.id: a for a in open_apps if a.id is not None}, states, grouped,
                       last, int(tracked.get(seeker_id, 0))),
            mine["suggestions"],
            seeker_id in calendar or any(a.interview_at is not None for a in open_apps))
    return out
