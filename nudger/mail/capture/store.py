"""Capture ↔ the database: the tracked applications the matcher compares against, and the
proposals recorded as suggestions (or added at once with `--add` / `capture = "add"`)."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from nudger.errors import NudgerError
from nudger.mail.capture.scan import Proposal, Tracked
from nudger.store.scope import seeker_of
from nudger.store.states import plain_cursor

if TYPE_CHECKING:
    from sqlmodel import Session


def load_tracked(source: Session | sqlite3.Connection) -> list[Tracked]:
    """Every application as the matcher needs it, in one query without ORM objects: from a
    session, or from a plain connection (`Database.read_connection`, no SQLAlchemy)."""
    cursor = plain_cursor(source)
    try:
        rows = list(cursor.execute(
            "SELECT id, company, role, url, stage, applied_on FROM application "
            "WHERE seeker_id = ? ORDER BY id", (seeker_of(source),)))
    finally:
        cursor.close()
    return [Tracked(id=r[0], company=r[1] or "", role=r[2] or "", url=r[3] or "",
                    stage=r[4] or "", applied_on=_date(r[5])) for r in rows]


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def payload(prop: Proposal) -> dict[str, Any]:
    """The suggestion's payload (docs/mailbox.md): an application's values, or a stage change."""
    if prop.kind == "stage":
        return {
            "stage": prop.stage,
            "date": prop.stage_on.isoformat() if prop.stage_on else None,
            "interview_at": prop.interview_at.isoformat() if prop.interview_at else None,
        }
    applied = prop.applied_on or prop.stage_on  # a rejection with no confirmation before
    return {
        "company": prop.company,
        "role": prop.role or ROLE_UNKNOWN,
        "applied_on": applied.isoformat() if applied else None,
        "source": prop.source,
        "url": prop.url,
        "contact_name": prop.contact_name,
        "contact_email": prop.contact_email,
        # Capture knows more than an application's first stage: the latest one its mail
        # shows (a confirmation and a later rejection of the same job).
        "stage": prop.stage,
        "stage_on": prop.stage_on.isoformat() if prop.stage_on else None,
        "interview_at": prop.interview_at.isoformat() if prop.interview_at else None,
    }


ROLE_UNKNOWN = "(role not named in the mail)"


def record(session: Session, proposals: list[Proposal], *, mode: str, today: date,
           now: datetime, source_label: str) -> list[str]:
    """Record the new proposals as suggestions ("suggest") or add them ("add": proposed and
    accepted at once, so the store remembers them too). A proposal whose fingerprint was
    proposed before — open, accepted or dismissed — is left alone."""
    from nudger.mail.capture import suggestions

    lines: list[str] = []
    for prop in proposals:
        if prop.matched:
            continue
        kind = "stage" if prop.kind == "stage" else "application"
        made = suggestions.propose(
            session, kind=kind, fingerprint=prop.fingerprint(), summary=prop.summary(),
            reason="; ".join(prop.reasons)[:1000], confidence=round(prop.confidence, 2),
            payload=payload(prop), application_id=prop.application_id,
            source=f"{source_label}:{prop.sources[0]}" if prop.sources else source_label,
            now=now,
        )
        if made is None:
            continue
        if mode == "add":
            assert made.id is not None
            # One proposal that cannot be applied (a date out of range, a field the tracker
            # refuses) stays an open suggestion, reported; the rest are added.
            savepoint = session.begin_nested()
            try:
                outcomes = suggestions.accept(session, [made.id], today=today, now=now)
            except NudgerError as exc:
                savepoint.rollback()
                lines.append(f"S{made.id} {prop.summary()}: not added ({exc}); it stays a "
                             "suggestion (nudger suggestions)")
                continue
            savepoint.commit()
            lines.extend(outcome.detail for outcome in outcomes)
        else:
            lines.append(f"S{made.id} {prop.summary()}")
    return lines
