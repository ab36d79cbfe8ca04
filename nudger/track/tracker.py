"""The job hunt as a library: applications, contacts, touches, stages, snoozes. One concept
over 400 lines: every change a user makes to the tracked job hunt, with its checks.

Every function takes an open session and the user's `today` (and `now`, the moment that
stamps what it writes); none reads the clock or prints. Bad input raises `UsageError` (or
`NotFoundError`) before anything is written, and the caller's session rolls back on any
error, so a failed command changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from nudger.errors import NotFoundError, UsageError
from nudger.store.models import Application, Contact, Snooze, StageChange, Touch
from nudger.store.states import check_stage
from nudger.store.states import list_summary as list_summary  # the library's, too
from nudger.vocab import (
    ACTIONS,
    CONTACT_KINDS,
    ONE_LINE_FIELDS,
    is_email,
    text_problem,
)
from nudger.when.dates import check_range
from nudger.when.times import as_utc

EDITABLE = ("company", "role", "url", "location", "address", "source", "applied_on",
            "deadline", "interview_at", "notes")


def check_text(name: str, value: str, *, one_line: bool) -> str:
    """`value` when it follows the text rules (vocab.text_problem), else UsageError."""
    problem = text_problem(name, value, one_line=one_line)
    if problem:
        raise UsageError(problem)
    return value


def check_dates(**values: date | datetime | None) -> None:
    """Every date (or the date of every moment) within nudger's range (nudger.when.dates):
    a row holding 9999-12-31 would overflow the first cadence step counted from it."""
    for name, value in values.items():
        if value is not None:
            day = value.date() if isinstance(value, datetime) else value
            check_range(day, name.replace("_", " "), value.isoformat())


def check_action(action: str) -> str:
    if action not in ACTIONS:
        raise UsageError(f"unknown action {action!r}; valid actions: {', '.join(ACTIONS)}")
    return action


@dataclass(frozen=True)
class ContactSpec:
    name: str
    email: str = ""
    phone: str = ""
    social: str = ""
    kind: str = "hiring-manager"


def parse_contact(text: str, *, phone: str = "", social: str = "",
                  kind: str = "hiring-manager") -> ContactSpec:
    """`Dana Lee <dana@acme.example>`, `dana@acme.example` or just `Dana Lee`."""
    check_text("contact", text, one_line=True)
    if kind not in CONTACT_KINDS:
        raise UsageError(f"unknown contact kind {kind!r}; valid: {', '.join(CONTACT_KINDS)}")
    raw = text.strip()
    # The address is the last <...> on the line; everything before it is the name, which
    # may itself hold any character (quotes, angle brackets, commas).
    bracketed = re.fullmatch(r"(.*)<([^<>]*)>\s*", raw, re.DOTALL)
    if bracketed:
        name, email = bracketed.group(1).strip().strip('"').strip(), bracketed.group(2).strip()
    elif "@" in raw and " " not in raw:
        name, email = "", raw
    else:
        name, email = raw, ""
    if (bracketed or email) and not is_email(email):
        raise UsageError(
            f"contact {text!r}: cannot read an email address; write it like "
            "\"Dana Lee <dana@acme.example>\""
        )
    name = name or email
    if not name:
        raise UsageError("contact name is empty; write it like \"Dana Lee <dana@acme.example>\"")
    for label, value in (("phone", phone), ("social", social)):
        check_text(f"contact {label}", value, one_line=True)
    return ContactSpec(name=name, email=email, phone=phone, social=social, kind=kind)


# --- reading ---------------------------------------------------------------------------

def app_id_of(session: Session, number: int) -> int:
    """The internal id of this seeker's application `#number` (the number the seeker sees
    and types; other rows refer to the id)."""
    found = session.exec(select(Application.id).where(Application.number == number)).first()
    if found is None:
        raise NotFoundError(f"no application #{number}; `nudger list` shows the IDs")
    return found


def app_numbers(session: Session) -> dict[int, int]:
    """Internal id → the number the seeker sees, for each of this seeker's applications."""
    return {i: n for i, n in session.exec(select(Application.id, Application.number))
            if i is not None and n is not None}


def get_application(session: Session, app_id: int) -> Application:
    app = session.get(Application, app_id)
    if app is None:
        raise NotFoundError(f"no application #{app_id}; `nudger list` shows the IDs")
    return app


@dataclass
class ApplicationRow:
    app: Application
    last_touch: date | None
    touches: int
    contacts: list[Contact] = field(default_factory=list)


def list_applications(session: Session, stage: str | None = None) -> list[ApplicationRow]:
    """Applications with their last touch and touch count, in three queries in all."""
    query = select(Application)
    if stage:
        query = query.where(Application.stage == check_stage(stage))
    apps = list(session.exec(query.order_by(col(Application.id))).all())
    stats = {
        row[0]: (row[1], row[2])
        for row in session.exec(
            select(Touch.application_id, func.max(Touch.touched_on), func.count())
            .where(col(Touch.skipped).is_(False))
            .group_by(col(Touch.application_id))
        ).all()
    }
    contacts: dict[int, list[Contact]] = {}
    for contact in session.exec(select(Contact).order_by(col(Contact.id))).all():
        contacts.setdefault(contact.application_id, []).append(contact)
    rows = []
    for app in apps:
        assert app.id is not None
        last, count = stats.get(app.id, (None, 0))
        rows.append(ApplicationRow(app, last, count, contacts.get(app.id, [])))
    return rows


@dataclass(frozen=True)
class Event:
    """One line of an application's timeline."""

    on: date
    kind: str  # "applied", "stage", "touch", "skip", "snooze"
    text: str
    created_at: datetime


def timeline(session: Session, app: Application) -> list[Event]:
    events: list[Event] = []
    for change in session.exec(
        select(StageChange).where(StageChange.application_id == app.id)
    ).all():
        note = f" ({change.note})" if change.note else ""
        events.append(Event(change.changed_on, "stage", f"stage → {change.stage}{note}",
                            change.created_at))
    for touch in session.exec(select(Touch).where(Touch.application_id == app.id)).all():
        note = f": {touch.note}" if touch.note else ""
        if touch.skipped:
            events.append(Event(touch.touched_on, "skip", f"skipped {touch.action}{note}",
                                touch.created_at))
        else:
            step = f" (step {touch.step})" if touch.step else ""
            events.append(Event(touch.touched_on, "touch", f"{touch.action}{step}{note}",
                                touch.created_at))
    for snooze in session.exec(select(Snooze).where(Snooze.application_id == app.id)).all():
        events.append(Event(snooze.created_at.date(), "snooze",
                            f"snoozed until {snooze.until.isoformat()}", snooze.created_at))
    return sorted(events, key=lambda e: (e.on, e.created_at))


def contacts_of(session: Session, app_id: int) -> list[Contact]:
    return list(session.exec(
        select(Contact).where(Contact.application_id == app_id).order_by(col(Contact.id))
    ).all())


def snoozed_until(session: Session, app_id: int) -> date | None:
    """The latest snooze set for the application (it may lie in the past)."""
    latest = session.exec(
        select(Snooze).where(Snooze.application_id == app_id)
        .order_by(col(Snooze.created_at).desc(), col(Snooze.id).desc())
    ).first()
    return latest.until if latest else None


# --- writing ---------------------------------------------------------------------------

def add_application(
    session: Session,
    *,
    company: str,
    role: str,
    today: date,
    now: datetime,
    applied_on: date | None = None,
    stage: str = "applied",
    url: str = "",
    location: str = "",
    address: str = "",
    source: str = "",
    notes: str = "",
    deadline: date | None = None,
    interview_at: datetime | None = None,
    contacts: Sequence[ContactSpec] = (),
) -> Application:
    check_stage(stage)
    values = {"company": company, "role": role, "url": url, "location": location,
              "source": source}
    for name, value in values.items():
        check_text(name, value, one_line=True)
    check_text("address", address, one_line=False)
    check_text("notes", notes, one_line=False)
    check_dates(applied_on=applied_on, deadline=deadline, interview_at=interview_at)
    if not company.strip() or not role.strip():
        raise UsageError("company and role must not be empty")
    if applied_on is None and stage != "wishlist":
        applied_on = today
    since = applied_on if stage == "applied" and applied_on else today
    stamp = as_utc(now)
    app = Application(
        company=company.strip(), role=role.strip(), url=url.strip(), location=location.strip(),
        address=address.strip(), source=source.strip(), notes=notes, applied_on=applied_on,
        stage=stage, stage_since=since, deadline=deadline, interview_at=interview_at,
        created_at=stamp, updated_at=stamp,
    )
    session.add(app)
    session.flush()
    assert app.id is not None
    session.add(StageChange(application_id=app.id, stage=stage, changed_on=since,
                            created_at=stamp))
    for spec in contacts:
        session.add(_contact(app.id, spec))
    return app


def _contact(app_id: int, spec: ContactSpec) -> Contact:
    return Contact(application_id=app_id, name=spec.name, email=spec.email, phone=spec.phone,
                   social=spec.social, kind=spec.kind)


def edit_application(session: Session, app_id: int, changes: dict[str, Any], *,
                     now: datetime) -> Application:
    app = get_application(session, app_id)
    for name, value in changes.items():
        if name not in EDITABLE:
            raise UsageError(f"cannot edit {name!r}; editable: {', '.join(EDITABLE)}")
        if isinstance(value, str):
            check_text(name, value, one_line=name in ONE_LINE_FIELDS)
            if name in ("company", "role") and not value.strip():
                raise UsageError(f"{name} must not be empty")
            value = value.strip() if name in ONE_LINE_FIELDS else value
        elif isinstance(value, date):
            check_dates(**{name: value})
        setattr(app, name, value)
    if "applied_on" in changes and app.stage == "applied" and app.applied_on:
        # For `applied`, the stage's clock is the applied date (docs/cadence.md).
        app.stage_since = app.applied_on
    app.updated_at = as_utc(now)
    session.add(app)
    return app


@dataclass(frozen=True)
class Removed:
    app: Application
    touches: int
    contacts: int


def remove_application(session: Session, app_id: int) -> Removed:
    app = get_application(session, app_id)
    touches = session.exec(
        select(func.count()).select_from(Touch).where(Touch.application_id == app_id)
    ).one()
    contacts = len(contacts_of(session, app_id))
    for model in (Touch, Contact, StageChange, Snooze):
        session.exec(delete(model).where(col(model.application_id) == app_id))
    session.delete(app)
    return Removed(app, int(touches), contacts)


def log_touch(
    session: Session,
    app_id: int,
    action: str,
    on: date,
    *,
    now: datetime,
    note: str = "",
    step: int | None = None,
    skipped: bool = False,
    ends_pause: bool = True,
) -> Touch:
    """Record a touch. A touch logged after a reply paused the application ends the pause
    (`ends_pause=False`: the mailbox sync found a follow-up sent before that reply)."""
    app = get_application(session, app_id)
    check_action(action)
    check_text("note", note, one_line=False)
    check_dates(date=on)
    stamp = as_utc(now)
    touch = Touch(application_id=app_id, action=action, touched_on=on, note=note,
                  stage=app.stage, step=step, skipped=skipped, created_at=stamp)
    session.add(touch)
    if ends_pause and not skipped and app.paused_since is not None:
        app.paused_since = None
        app.paused_by = None
    app.updated_at = stamp
    session.add(app)
    return touch


def change_stage(
    session: Session, app_id: int, stage: str, on: date, *, now: datetime, note: str = "",
    interview_at: datetime | None = None,
) -> Application:
    app = get_application(session, app_id)
    check_stage(stage)
    check_text("note", note, one_line=False)
    check_dates(date=on, interview_at=interview_at)
    if stage == "applied" and app.applied_on is None:
        app.applied_on = on
    app.stage = stage
    app.stage_since = on
    # A stage change is the user's answer to a reply: the pause it put on ends.
    app.paused_since = None
    app.paused_by = None
    if interview_at is not None:
        app.interview_at = interview_at
    stamp = as_utc(now)
    app.updated_at = stamp
    session.add(app)
    session.add(StageChange(application_id=app_id, stage=stage, changed_on=on, note=note,
                            created_at=stamp))
    return app


def snooze(session: Session, app_id: int, until: date, *, now: datetime) -> Snooze:
    get_application(session, app_id)
    check_dates(snooze=until)
    record = Snooze(application_id=app_id, until=until, created_at=as_utc(now))
    session.add(record)
    return record


class ContactOnFile(UsageError):
    """The application already has a contact with this address: one contact per address."""

    def __init__(self, contact: Contact) -> None:
        self.contact = contact
        super().__init__(
            f"#{contact.application_id} already has {contact.email} as contact "
            f"[{contact.id}] {contact.name}; change it with `nudger contact "
            f"{contact.application_id} --edit {contact.id} --phone … --kind …`")


def contact_with_address(session: Session, app_id: int, email: str) -> Contact | None:
    """The application's contact with this address (case-insensitive), if any."""
    if not email:
        return None
    wanted = email.strip().lower()
    for contact in contacts_of(session, app_id):
        if contact.email.strip().lower() == wanted:
            return contact
    return None


def add_contact(session: Session, app_id: int, spec: ContactSpec) -> Contact:
    """A new contact; ContactOnFile when one with the same address is there already."""
    get_application(session, app_id)
    existing = contact_with_address(session, app_id, spec.email)
    if existing is not None:
        raise ContactOnFile(existing)
    contact = _contact(app_id, spec)
    session.add(contact)
    session.flush()
    return contact


CONTACT_FIELDS = ("name", "email", "phone", "social", "kind")


def edit_contact(session: Session, app_id: int, contact_id: int,
                 changes: dict[str, str]) -> Contact:
    """Change a contact's name, email, phone, social or kind (one-line values; an address
    another contact of the application has is refused)."""
    contact = session.get(Contact, contact_id)
    if contact is None or contact.application_id != app_id:
        known = ", ".join(str(c.id) for c in contacts_of(session, app_id)) or "none"
        raise NotFoundError(
            f"application #{app_id} has no contact #{contact_id}; its contacts: {known}")
    for name, value in changes.items():
        if name not in CONTACT_FIELDS:
            raise UsageError(f"cannot edit a contact's {name!r}; editable: "
                             f"{', '.join(CONTACT_FIELDS)}")
        check_text(f"contact {name}", value, one_line=True)
        value = value.strip()
        if name == "kind" and value not in CONTACT_KINDS:
            raise UsageError(f"unknown contact kind {value!r}; valid: {', '.join(CONTACT_KINDS)}")
        if name == "name" and not value:
            raise UsageError("a contact's name must not be empty")
        if name == "email" and value:
            if not is_email(value):
                raise UsageError(f"{value!r} is not an email address")
            other = contact_with_address(session, app_id, value)
            if other is not None and other.id != contact.id:
                raise ContactOnFile(other)
        if name == "email" and value.lower() != contact.email.lower():
            contact.bounced_at = None  # a new address has not bounced
            contact.bounce_detail = ""
        setattr(contact, name, value)
    session.add(contact)
    return contact


def remove_contact(session: Session, app_id: int, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None or contact.application_id != app_id:
        known = ", ".join(str(c.id) for c in contacts_of(session, app_id)) or "none"
        raise NotFoundError(
            f"application #{app_id} has no contact #{contact_id}; its contacts: {known}"
        )
    session.delete(contact)
    return contact


def count_applications(session: Session, stages: Iterable[str] | None = None) -> int:
    query = select(func.count()).select_from(Application)
    if stages is not None:
        query = query.where(col(Application.stage).in_(list(stages)))
    return int(session.exec(query).one())
