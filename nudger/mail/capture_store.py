"""Capture ↔ the database: the tracked applications the matcher compares against, and the
proposals recorded as suggestions (or added at once with `--add` / `capture = "add"`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from nudger.mail.capture import Proposal, Tracked


def load_tracked(session: Session) -> list[Tracked]:
    """Every application as the matcher needs it, in one query without ORM objects."""
    cursor = session.connection().connection.cursor()
    try:
        rows = list(cursor.execute(
            "SELECT id, company, role, url, stage, applied_on FROM application ORDER BY id"))
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
    """The suggestion's payload (MAILBOX.md): an application's values, or a stage change."""
    if prop.kind == "stage":
        return {
            "stage": prop.stage,
            "date": (prop.stage_on or prop.applied_on or date.min).isoformat()
            if (prop.stage_on or prop.applied_on) else None,
            "interview_at": prop.interview_at.isoformat() if prop.interview_at else None,
        }
    return {
        "company": prop.company,
        "role": prop.role or ROLE_UNKNOWN,
        "applied_on": (prop.applied_on or prop.stage_on).isoformat()
        if (prop.applied_on or prop.stage_on) else None,
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


def apply_proposal(session: Session, prop: Proposal, *, today: date) -> str:
    """Add (or move the stage of) the application a proposal describes; returns one line
    saying what was done. Raises UsageError on values `nudger add` would refuse."""
    from nudger import tracker

    if prop.kind == "stage":
        assert prop.application_id is not None
        app = tracker.change_stage(session, prop.application_id, prop.stage,
                                   prop.stage_on or today, note="found in the mail",
                                   interview_at=prop.interview_at)
        return f"#{app.id} {app.company} / {app.role}: stage → {prop.stage}"
    contacts = []
    if prop.contact_name:
        spec = f"{prop.contact_name} <{prop.contact_email}>" if prop.contact_email \
            else prop.contact_name
        contacts.append(tracker.parse_contact(spec, kind="recruiter")
                        if "recruiter" in _contact_kinds() else tracker.parse_contact(spec))
    first = "wishlist" if prop.stage == "wishlist" else "applied"
    applied_on = prop.applied_on or prop.stage_on
    app = tracker.add_application(
        session, company=prop.company, role=prop.role or ROLE_UNKNOWN, today=today,
        applied_on=applied_on if first == "applied" else None, stage=first, url=prop.url,
        source=prop.source, contacts=contacts,
        notes="found in the mail by nudger capture",
    )
    assert app.id is not None
    line = f"added #{app.id} {app.company} / {app.role}"
    if prop.stage not in (first, "applied"):
        tracker.change_stage(session, app.id, prop.stage, prop.stage_on or today,
                             note="found in the mail", interview_at=prop.interview_at)
        line += f" (stage {prop.stage})"
    return line


def _contact_kinds() -> tuple[str, ...]:
    from nudger.models import CONTACT_KINDS

    return tuple(CONTACT_KINDS)


def record(session: Session, proposals: list[Proposal], *, mode: str, today: date,
           now: datetime, source_label: str) -> list[str]:
    """Record the new proposals as suggestions ("suggest") or add them ("add"). A proposal
    whose fingerprint was proposed before — open, accepted or dismissed — is left alone."""
    from nudger.mail import suggestions

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
            lines.append(apply_proposal(session, prop, today=today))
            suggestions.mark_accepted(session, made, now=now)
        else:
            lines.append(f"S{made.id} {prop.summary()}")
    return lines
