"""Between the store and nudger.calendar.ics: which events the user's calendars hold now, each at
its current version, the file `[ics] path` the daemon keeps current, and the daemon's
calendar pass (`CalendarPass`: refresh, file, CalDAV push, each outcome recorded).

`refresh` gathers the interviews (open applications whose interview has not ended) and
the follow-ups the plan of `due --days` lists for the next `[ics] days`, and reconciles
them with the `calendar_event` table in one write transaction:
- an event seen for the first time gets SEQUENCE 0 and DTSTAMP = now;
- an event whose content changed (an interview moved, a draft reworded) gets SEQUENCE + 1
  and DTSTAMP/LAST-MODIFIED = now; an unchanged one keeps both, so the bytes of an export
  do not change when nothing did;
- an event no longer there (a follow-up done, an interview over or cleared) is marked
  gone; its row stays while a CalDAV copy of it exists (nudger.calendar.caldav removes that).

An application's interview keeps its UID when it moves (same ordinal); once an interview
is over, the next one set on that application is a new event (ordinal + 1).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from nudger.calendar import ics
from nudger.config import Settings
from nudger.errors import ConfigError, NudgerError
from nudger.files import atomic_write
from nudger.store.models import Application, CalendarEvent, CalendarSync, Contact
from nudger.store.scope import seeker_of
from nudger.store.states import plain_cursor
from nudger.vocab import OPEN_STAGES
from nudger.when.business import Calendar
from nudger.when.times import as_utc

log = logging.getLogger("nudger.calendar")
# Each event's serialization at its version, kept by this process (the daemon) so that a
# pass after a change re-serializes only what changed.
_EVENT_BYTES: ics.EventCache = {}


@dataclass(frozen=True)
class Snapshot:
    """The events in the calendar now, each with its version."""

    events: list[tuple[ics.EventSpec, ics.Version]]
    zone: Any
    domain: str
    now: datetime

    def to_ical(self, *, method: str | None = None) -> bytes:
        return ics.build_calendar(self.events, self.zone, self.domain, self.now,
                                  method=method, cache=_EVENT_BYTES)

    def only(self, uids: Sequence[str]) -> Snapshot:
        keep = set(uids)
        return Snapshot([e for e in self.events if e[0].uid in keep], self.zone,
                        self.domain, self.now)


def _second(moment: datetime) -> datetime:
    return as_utc(moment).replace(microsecond=0)


def _contact_line(contact: Contact | None) -> str:
    if contact is None:
        return ""
    from nudger.digest.values import KIND_TITLES

    parts = [f"{contact.name} ({KIND_TITLES.get(contact.kind, contact.kind)})"]
    parts += [p for p in (contact.email, contact.phone) if p]
    return ", ".join(parts)


# --- gathering -------------------------------------------------------------------------

def _interviews(session: Session, settings: Settings, now: datetime,
                rows: Mapping[str, CalendarEvent], domain: str) -> list[ics.EventSpec]:
    from nudger.digest.values import pick_contact
    from nudger.store.read import group_contacts

    length = settings.ics.interview_length.as_timedelta()
    alarm = settings.ics.alarm.as_timedelta() if settings.ics.alarm is not None else None
    apps = list(session.exec(
        select(Application).where(col(Application.stage).in_(OPEN_STAGES))
        .where(col(Application.interview_at).is_not(None)).order_by(col(Application.id))
    ).all())
    latest: dict[int, CalendarEvent] = {}
    for row in rows.values():
        if row.kind == "interview" and (row.application_id not in latest
                                        or row.number > latest[row.application_id].number):
            latest[row.application_id] = row
    contacts = group_contacts(session, [a.id for a in apps if a.id is not None])
    out = []
    for app in apps:
        assert app.id is not None and app.interview_at is not None
        start = as_utc(app.interview_at)
        if start + length <= now:
            continue  # over: it leaves the calendar
        previous = latest.get(app.id)
        number = 1
        if previous is not None:
            number = previous.number
            if as_utc(previous.starts_at) != start and as_utc(previous.ends_at) <= now:
                number += 1  # the earlier interview happened: this is the next one
        contact = pick_contact(contacts.get(app.id, []), "thank-you")
        item = ics.Interview(
            app_id=app.id, number=number, company=app.company, role=app.role, start=start,
            shown=app.number or 0,
            length=length, contact=_contact_line(contact),
            address=app.address, location=app.location, notes=app.notes,
            posting=app.url)
        out.append(ics.interview_event(item, settings.zone, domain, alarm))
    return out


def _followups(session: Session, settings: Settings, calendar: Calendar, today: date,
               days: int, domain: str) -> list[ics.EventSpec]:
    """The plan `nudger due --days` shows, each follow-up on the day it first shows."""
    from nudger.digest.render import Renderer
    from nudger.digest.values import draft_context, pick_contact
    from nudger.digest.values import render_draft as render_one
    from nudger.store.read import group_contacts, last_touches, load_states
    from nudger.track.cadence import plan

    states = load_states(session, zone=settings.zone)
    entries = plan(states, settings.cadence, calendar, today, days)
    if not entries:
        return []
    ids = sorted({n.app_id for n in entries})
    apps = {a.id: a for a in session.exec(
        select(Application).where(col(Application.id).in_(ids))).all()}
    contacts = group_contacts(session, ids)
    last = last_touches(session, ids, today)
    renderer = Renderer.for_dir(settings.templates_dir)
    out = []
    for nudge in entries:
        app = apps.get(nudge.app_id)
        if app is None:
            continue
        day = nudge.shows or today
        contact = pick_contact(contacts.get(nudge.app_id, []), nudge.action)
        context = draft_context(settings, app, contact, nudge, last.get(nudge.app_id), day,
                                nudge.action)
        try:
            draft = render_one(renderer, nudge.template, context, with_mailto=False)
            body, subject = draft["body"], draft["subject"] or ""
        except ConfigError as exc:
            body, subject = f"(the draft could not be rendered: {exc})", ""
        item = ics.FollowUp(
            app_id=nudge.app_id, stage=nudge.stage, step=nudge.step, steps=nudge.steps,
            action=nudge.action, day=day, company=app.company, role=app.role,
            repeat=nudge.repeat, contact_name=contact.name if contact else "",
            contact=_contact_line(contact), draft=body,
            draft_subject=subject, overdue_days=nudge.overdue_days, shown=app.number or 0)
        out.append(ics.followup_event(item, domain))
    return out


# --- reconciling -----------------------------------------------------------------------

def reconcile(session: Session, specs: Sequence[ics.EventSpec], now: datetime,
              rows: dict[str, CalendarEvent], *, complete: bool = True,
              ) -> list[tuple[ics.EventSpec, ics.Version]]:
    """Give each event its version (new, changed or as it was); when `specs` is the
    complete set (not an interviews-only or shorter export), mark the rest gone."""
    stamp = _second(now)
    out = []
    seen = set()
    for spec in specs:
        if spec.uid in seen:
            continue
        seen.add(spec.uid)
        row = rows.get(spec.uid)
        if row is None:
            row = CalendarEvent(uid=spec.uid, kind=spec.kind, application_id=spec.app_id,
                                number=spec.number, stage=spec.stage,
                                fingerprint=spec.fingerprint, starts_at=spec.starts_at,
                                ends_at=spec.ends_at, sequence=0, stamp=stamp,
                                created_at=stamp)
            rows[spec.uid] = row
            session.add(row)
        elif row.fingerprint != spec.fingerprint or row.gone_at is not None:
            if row.fingerprint != spec.fingerprint:
                row.sequence += 1
                row.stamp = stamp
            row.fingerprint = spec.fingerprint
            row.starts_at, row.ends_at = spec.starts_at, spec.ends_at
            row.gone_at = None
            session.add(row)
        out.append((spec, ics.Version(row.sequence, as_utc(row.stamp), as_utc(row.created_at))))
    for uid, row in rows.items():
        if complete and uid not in seen and row.gone_at is None:
            row.gone_at = stamp
            session.add(row)
    return out


def prune(session: Session, rows: Mapping[str, CalendarEvent], keep_caldav: bool) -> None:
    """Forget gone follow-ups no server holds a copy of (an interview's row stays: it
    numbers the application's next interview)."""
    for row in rows.values():
        if (row.gone_at is not None and row.kind == "followup"
                and (row.caldav_href is None or not keep_caldav)):
            session.delete(row)


def refresh(session: Session, settings: Settings, calendar: Calendar, now: datetime, *,
            days: int | None = None, followups: bool | None = None) -> Snapshot:
    """The events as of `now`, versions reconciled. Call inside a write session.

    `days` and `followups` override [ics] for one export; such an export gives versions
    to what it holds but marks nothing gone, so the daemon's file and CalDAV copies are
    not disturbed by it."""
    domain = ics.uid_domain(settings.recipient)
    rows = {row.uid: row for row in session.exec(select(CalendarEvent)).all()}
    today = now.astimezone(settings.zone).date()
    specs = _interviews(session, settings, as_utc(now), rows, domain)
    if settings.ics.followups if followups is None else followups:
        specs += _followups(session, settings, calendar, today,
                            days if days is not None else settings.ics.days, domain)
    complete = days in (None, settings.ics.days) and followups in (None, settings.ics.followups)
    events = reconcile(session, specs, now, rows, complete=complete)
    if complete:
        prune(session, rows, keep_caldav=settings.caldav is not None)
    session.flush()
    return Snapshot(events, settings.zone, domain, now)


# --- knowing when nothing changed --------------------------------------------------------

_INPUT_TABLES = ("touch", "contact", "snooze", "stagechange")


def sync_row(session: Session, target: str) -> CalendarSync | None:
    """How the last push to `target` went, for this session's seeker (the key is the
    seeker and the target)."""
    return session.exec(select(CalendarSync).where(CalendarSync.target == target)).first()


def inputs_key(session: Session) -> tuple[Any, ...]:
    """A cheap summary of everything the events are made from: two numbers per table
    (row count, newest id or change). When it and the config are unchanged and no event
    ended or day began, a refresh would give the same events."""
    seeker = (seeker_of(session),)
    cursor = plain_cursor(session)
    try:
        parts: list[Any] = list(cursor.execute(
            "SELECT count(*), max(updated_at), max(id) FROM application WHERE seeker_id = ?",
            seeker).fetchone())
        for table in _INPUT_TABLES:
            parts += cursor.execute(f"SELECT count(*), max(id) FROM {table} "
                                    "WHERE seeker_id = ?", seeker).fetchone()
    finally:
        cursor.close()
    return tuple(parts)


def valid_until(snapshot: Snapshot, zone: Any) -> datetime:
    """When time alone changes the events: the next local midnight (the plan moves on) or
    the end of the first interview still to end, whichever comes first."""
    from datetime import time, timedelta

    local = snapshot.now.astimezone(zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)
    ends = [spec.ends_at for spec, _v in snapshot.events
            if spec.kind == "interview" and spec.ends_at > as_utc(snapshot.now)]
    return min([as_utc(midnight), *ends])


# --- invitations -----------------------------------------------------------------------

@dataclass(frozen=True)
class Invitations:
    """Interviews added or changed since a digest last announced them."""

    snapshot: Snapshot
    notices: list[str]

    @property
    def uids(self) -> list[str]:
        return [spec.uid for spec, _v in self.snapshot.events]

    def to_ical(self) -> bytes:
        return self.snapshot.to_ical(method="PUBLISH")


def _when(moment: datetime) -> str:
    return f"{moment:%a} {moment.day} {moment:%b} at {moment:%H:%M}"


def pending_invitations(session: Session, settings: Settings, calendar: Calendar,
                        now: datetime) -> Invitations | None:
    """Refresh the events, then the upcoming interviews whose current version no digest
    announced yet. Call inside a write session; None when there are none."""
    snapshot = refresh(session, settings, calendar, now, followups=False)
    if not snapshot.events:
        return None  # nothing to announce (most digests): no need to read the rows
    rows = {row.uid: row for row in session.exec(
        select(CalendarEvent).where(CalendarEvent.kind == "interview")
        .where(col(CalendarEvent.gone_at).is_(None))).all()}
    chosen: list[str] = []
    notices: list[str] = []
    for spec, version in snapshot.events:
        row = rows.get(spec.uid)
        if row is None or spec.kind != "interview" or spec.starts_at <= as_utc(now):
            continue
        if row.announced_sequence is not None and row.announced_sequence >= version.sequence:
            continue
        chosen.append(spec.uid)
        assert isinstance(spec.start, datetime)
        moved = "updated" if row.announced_sequence is not None else "new"
        notices.append(f"Calendar invitation attached ({moved}): {spec.summary}, "
                       f"{_when(spec.start.astimezone(settings.zone))}. Open the "
                       "attached interview.ics to add it to your calendar.")
    if not chosen:
        return None
    return Invitations(snapshot.only(chosen), notices)


def mark_announced(session: Session, invitations: Invitations) -> None:
    """After the digest carrying them was accepted: announced once."""
    versions = {spec.uid: version.sequence for spec, version in invitations.snapshot.events}
    for uid, sequence in versions.items():
        row = session.get(CalendarEvent, uid)
        if row is not None and (row.announced_sequence is None
                                or row.announced_sequence < sequence):
            row.announced_sequence = sequence
            session.add(row)


def attach_invitation(message: Any, invitations: Invitations) -> None:
    """Turn the digest (multipart/alternative) into multipart/mixed with the invitation
    as a text/calendar; method=PUBLISH part after it. The text and HTML parts are left
    exactly as they were."""
    message.make_mixed()
    message.add_attachment(invitations.to_ical(), maintype="text", subtype="calendar",
                           filename="interview.ics",
                           params={"method": "PUBLISH", "charset": "utf-8"})


# --- the file --------------------------------------------------------------------------

def write_atomic(path: Path, data: bytes) -> bool:
    """Replace `path` with `data` whole or not at all (nudger.files.atomic_write); False
    when it already holds exactly these bytes (the file is left alone, so a subscriber
    polling its modification time sees no change)."""
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, data, perms=0o644)
    except OSError as exc:
        raise NudgerError(f"cannot write {path}: {exc.strerror}; check that its directory "
                          "exists and is writable; nothing was changed") from None
    return True


def record_sync(session: Session, target: str, now: datetime, *, error_kind: str = "",
                error: str = "", detail: str = "") -> None:
    row = sync_row(session, target) or CalendarSync(target=target)
    row.last_attempt_at = _second(now)
    if error_kind:
        row.error_kind, row.last_error = error_kind, error[:500]
        row.failures += 1
    else:
        row.error_kind, row.last_error, row.failures = "", "", 0
        row.last_ok_at = _second(now)
        row.detail = detail[:500]
    session.add(row)


def sync_status(session: Session) -> list[CalendarSync]:
    """The calendar targets' last outcomes, their moments aware UTC."""
    rows = list(session.exec(select(CalendarSync).order_by(col(CalendarSync.target))).all())
    for row in rows:
        session.expunge(row)
        if row.last_attempt_at is not None:
            row.last_attempt_at = as_utc(row.last_attempt_at)
        if row.last_ok_at is not None:
            row.last_ok_at = as_utc(row.last_ok_at)
    return rows


def export_file(settings: Settings, db: Any, snapshot: Snapshot, now: datetime) -> str:
    """The daemon's step for `[ics] path`: rewrite the file if `snapshot` (just
    refreshed) changed it. Returns what it did, in words; raises NudgerError when the file
    cannot be written (recorded for `status` either way)."""
    assert settings.ics.path is not None
    path = settings.resolve(settings.ics.path)
    data = snapshot.to_ical()
    try:
        changed = write_atomic(path, data)
    except NudgerError as exc:
        with db.session() as session:
            record_sync(session, "file", now, error_kind="write", error=str(exc))
        raise
    detail = (f"wrote {len(snapshot.events)} events to {path}" if changed
              else f"{path} is current ({len(snapshot.events)} events)")
    with db.session() as session:
        record_sync(session, "file", now, detail=detail)
    return detail


# --- the daemon's pass -----------------------------------------------------------------

class CalendarPass:
    """[ics] path and [caldav] brought in step after the daemon's digest work: a refresh of
    the events, the file rewritten, the CalDAV push, each outcome recorded for `status`.
    A refresh renders every draft of the coming month, so a pass whose inputs did not
    change (same data, same config, no interview ended, same day) and whose last push
    worked does nothing. Failures raise to the daemon, which logs them and goes on."""

    def __init__(self) -> None:
        # The inputs when the pass last ran, and when time alone changes its result.
        self.key: tuple[Any, ...] | None = None
        self.until = datetime.min.replace(tzinfo=UTC)

    def forget(self) -> None:
        """Run in full next time (after a reload: templates are in the events)."""
        self.key = None

    async def run(self, settings: Settings, db: Any, calendar: Calendar,
                  env: Mapping[str, str], now: datetime, logger: logging.Logger) -> None:
        if settings.ics.path is None and settings.caldav is None:
            return
        with db.read_session() as s:
            key = (settings, inputs_key(s))
            failing = any(r.error_kind for r in [sync_row(s, "file"),
                                                 sync_row(s, "caldav")] if r)
        if key == self.key and now < self.until and not failing:
            logger.debug("calendar: nothing changed since the last pass")
            return
        self.key = None
        with db.session() as s:
            snapshot = refresh(s, settings, calendar, now)
        if settings.ics.path is not None:
            detail = export_file(settings, db, snapshot, now)
            logger.debug("calendar file: %s", detail)
        if settings.caldav is not None:
            await asyncio.to_thread(push_caldav, settings, db, snapshot, env, now, logger)
        self.key = key
        self.until = valid_until(snapshot, settings.zone)


def push_caldav(settings: Settings, db: Any, snapshot: Snapshot, env: Mapping[str, str],
                now: datetime, logger: logging.Logger) -> None:
    """The CalDAV push (nudger.calendar.caldav) and its outcome recorded; a failure already
    recorded is logged at debug level, a new one as a warning, and the end of one said."""
    from nudger.calendar import caldav as caldav_push

    with db.read_session() as s:
        before = sync_row(s, "caldav")
        failing = before.error_kind if before is not None else ""
    try:
        result = caldav_push.push(settings, db, snapshot, env, now)
    except (caldav_push.CaldavError, ConfigError) as exc:
        kind = getattr(exc, "kind", "config")
        with db.session() as s:
            record_sync(s, "caldav", now, error_kind=kind, error=str(exc))
        if kind != failing:
            logger.warning("caldav: %s (%s); retried at the next pass", exc, kind)
        else:
            logger.debug("caldav still failing: %s", exc)
        return
    with db.session() as s:
        if result.errors:
            first = result.errors[0]
            record_sync(s, "caldav", now, error_kind=first.kind, error=str(first))
        else:
            record_sync(s, "caldav", now, detail=result.summary())
    for error in result.errors:
        if error.kind != failing:
            logger.warning("caldav: %s (%s); retried at the next pass", error, error.kind)
        else:
            logger.debug("caldav still failing: %s", error)
    if result.created or result.updated or result.removed:
        logger.info("caldav: %s", result.summary())
    elif failing and not result.errors:
        logger.info("caldav: working again (%s)", result.summary())
