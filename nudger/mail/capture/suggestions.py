"""The one suggestions store (docs/mailbox.md): what nudger found in the mail and proposes.

A suggestion is shown as `S<id>`; accepting applies its payload to the tracker, dismissing
keeps it (so the same fingerprint is never proposed again). Used by sync (listen),
commands (act) and capture (capture).

Payloads (JSON): application {company, role, applied_on, source, url, contact_name,
contact_email}; stage {stage, date, interview_at}; contact {name, email}; reply {key}.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from nudger.errors import NotFoundError, UsageError
from nudger.store.models import SUGGESTION_KINDS, Suggestion
from nudger.text import server_text
from nudger.track import tracker


@dataclass(frozen=True)
class Outcome:
    """What accepting or dismissing one suggestion did, in one line for the user."""

    id: int
    kind: str
    ok: bool
    detail: str
    application_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {"id": f"S{self.id}", "kind": self.kind, "ok": self.ok, "detail": self.detail,
                "application_id": self.application_id}


def propose(
    session: Session,
    *,
    kind: str,
    fingerprint: str,
    summary: str,
    reason: str,
    confidence: float,
    payload: dict[str, Any],
    application_id: int | None = None,
    source: str = "",
    now: datetime,
) -> Suggestion | None:
    """Record a suggestion; None when one with this fingerprint exists in any state (an
    accepted or dismissed suggestion is never proposed again)."""
    if kind not in SUGGESTION_KINDS:
        raise ValueError(f"unknown suggestion kind {kind!r}")
    existing = session.exec(
        select(Suggestion.id).where(Suggestion.fingerprint == fingerprint)).first()
    if existing is not None:
        return None
    suggestion = Suggestion(
        kind=kind, application_id=application_id, summary=server_text(summary, 200),
        reason=server_text(reason, 300), confidence=max(0.0, min(1.0, float(confidence))),
        payload=json.dumps(payload, ensure_ascii=False, default=str),
        source=server_text(source, 300), fingerprint=fingerprint, status="open",
        created_at=now,
    )
    session.add(suggestion)
    session.flush()
    return suggestion


def open_suggestions(session: Session, application_id: int | None = None
                     ) -> list[Suggestion]:
    query = select(Suggestion).where(Suggestion.status == "open")
    if application_id is not None:
        query = query.where(Suggestion.application_id == application_id)
    return list(session.exec(query.order_by(col(Suggestion.id))).all())


def parse_ids(texts: Iterable[str]) -> list[int]:
    """"S7", "s7" or "7" → 7; UsageError naming the bad one."""
    ids: list[int] = []
    for text in texts:
        match = re.fullmatch(r"[sS]?(\d{1,9})", text.strip())
        if not match:
            raise UsageError(f"{text!r} is not a suggestion id; write it like S7 (see "
                             "`nudger suggestions`)")
        value = int(match.group(1))
        if value not in ids:
            ids.append(value)
    if not ids:
        raise UsageError("name at least one suggestion, like S7 (see `nudger suggestions`)")
    return ids


def _load(session: Session, ids: list[int]) -> list[Suggestion]:
    found = {s.id: s for s in session.exec(
        select(Suggestion).where(col(Suggestion.id).in_(ids))).all()}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFoundError(
            f"no suggestion {', '.join(f'S{i}' for i in missing)}; `nudger suggestions` "
            "lists the open ones")
    return [found[i] for i in ids]


# What accepting each kind does. Another kind registers its own applier here.
Applier = Callable[[Session, Suggestion, dict[str, Any], date, datetime], str]
APPLIERS: dict[str, Applier] = {}


def applier(kind: str) -> Callable[[Applier], Applier]:
    def register(func: Applier) -> Applier:
        APPLIERS[kind] = func
        return func
    return register


def _application_of(s: Suggestion, kind: str) -> int:
    """The application a stage, contact or reply suggestion applies to."""
    if s.application_id is None:
        raise UsageError(f"this {kind} suggestion names no application")
    return s.application_id


def _iso(value: Any, parse: Callable[[str], Any], what: str) -> Any:
    """`parse` of the payload's ISO text; UsageError saying `what` was invalid."""
    try:
        return parse(str(value))
    except ValueError:
        raise UsageError(f"{what} {value!r}") from None


def _iso_date(value: Any, today: date) -> date:
    return _iso(value, date.fromisoformat, "suggestion has an invalid date") if value \
        else today


def _iso_datetime(value: Any) -> datetime | None:
    return _iso(value, datetime.fromisoformat, "invalid interview time") if value else None


@applier("application")
def _apply_application(session: Session, s: Suggestion, p: dict[str, Any], today: date,
                       now: datetime) -> str:
    contacts = []
    if p.get("contact_email") or p.get("contact_name"):
        name = str(p.get("contact_name") or p.get("contact_email"))
        contacts.append(tracker.ContactSpec(name=server_text(name, 120),
                                            email=str(p.get("contact_email") or "")))
    later = str(p.get("stage") or "applied")
    wishlist = later == "wishlist"  # capture --outreach: a job not applied for
    app = tracker.add_application(
        session, company=server_text(p.get("company", ""), 200),
        role=server_text(p.get("role", ""), 200) or "(role unknown)", today=today,
        applied_on=None if wishlist else _iso_date(p.get("applied_on"), today),
        stage="wishlist" if wishlist else "applied",
        source=server_text(p.get("source", ""), 200), url=server_text(p.get("url", ""), 500),
        contacts=contacts, now=now)
    s.application_id = app.id
    # capture knows the latest stage the mail shows (a confirmation, then a rejection).
    if later not in ("applied", app.stage):
        assert app.id is not None
        interview = _iso_datetime(p.get("interview_at"))
        tracker.change_stage(session, app.id, later, _iso_date(p.get("stage_on"), today),
                             interview_at=interview, note=f"from suggestion S{s.id}", now=now)
        return f"added #{app.number} {app.company} ({app.role}), now {later}"
    return f"added #{app.number} {app.company} ({app.role})"


@applier("stage")
def _apply_stage(session: Session, s: Suggestion, p: dict[str, Any], today: date,
                 now: datetime) -> str:
    app_id = _application_of(s, "stage")
    interview = _iso_datetime(p.get("interview_at"))
    stage = str(p.get("stage", ""))
    current = tracker.get_application(session, app_id)
    if current.stage == stage:
        # Already there (a button or the command line did it): each change is recorded
        # once; an interview time the mail states is kept when none was known.
        if interview is not None and current.interview_at is None:
            tracker.edit_application(session, app_id, {"interview_at": interview}, now=now)
        return f"#{app_id} {current.company} was already {stage}; nothing new recorded"
    app = tracker.change_stage(session, app_id, stage,
                               _iso_date(p.get("date"), today), interview_at=interview,
                               note=f"from suggestion S{s.id}", now=now)
    return f"#{app.number} {app.company} is now {app.stage}"


@applier("contact")
def _apply_contact(session: Session, s: Suggestion, p: dict[str, Any], today: date,
                   now: datetime) -> str:
    app_id = _application_of(s, "contact")
    spec = tracker.ContactSpec(name=server_text(p.get("name") or p.get("email", ""), 120),
                               email=str(p.get("email", "")))
    try:
        contact = tracker.add_contact(session, app_id, spec)
    except tracker.ContactOnFile as known:
        return (f"{known.contact.name} <{known.contact.email}> is already a contact of "
                f"#{app_id}; nothing new recorded")
    return f"added contact {contact.name} <{contact.email}> to #{app_id}"


@applier("reply")
def _apply_reply(session: Session, s: Suggestion, p: dict[str, Any], today: date,
                 now: datetime) -> str:
    from nudger.mail.imap.replies import confirm_possible_reply

    app_id = _application_of(s, "reply")
    return confirm_possible_reply(session, app_id, str(p.get("key", "")), now)


def accept(session: Session, ids: Iterable[int], *, today: date, now: datetime
           ) -> list[Outcome]:
    """Apply each suggestion (in the caller's transaction). A suggestion already decided
    is reported, not applied twice; an invalid payload raises UsageError (nothing kept)."""

    def apply(s: Suggestion) -> str:
        func = APPLIERS.get(s.kind)
        if func is None:
            raise UsageError(f"S{s.id} is a {s.kind!r} suggestion, which this version "
                             "cannot apply")
        try:
            payload = json.loads(s.payload or "{}")
        except ValueError:
            payload = {}
        return func(session, s, payload if isinstance(payload, dict) else {}, today, now)

    return _decide(session, ids, "accepted", apply, now)


def dismiss(session: Session, ids: Iterable[int], *, now: datetime) -> list[Outcome]:
    return _decide(session, ids, "dismissed", lambda s: f"dismissed S{s.id}: {s.summary}",
                   now)


def _decide(session: Session, ids: Iterable[int], status: str,
            act: Callable[[Suggestion], str], now: datetime) -> list[Outcome]:
    """`act` on each open suggestion and mark it `status`; one already decided is
    reported, not decided twice."""
    out: list[Outcome] = []
    for s in _load(session, list(ids)):
        assert s.id is not None
        if s.status != "open":
            out.append(Outcome(s.id, s.kind, False, f"S{s.id} was already {s.status}",
                               s.application_id))
            continue
        detail = act(s)
        s.status = status
        s.decided_at = now
        session.add(s)
        out.append(Outcome(s.id, s.kind, True, detail, s.application_id))
    return out


def as_json(s: Suggestion) -> dict[str, Any]:
    try:
        payload = json.loads(s.payload or "{}")
    except ValueError:
        payload = {}
    return {"id": f"S{s.id}", "kind": s.kind, "application_id": s.application_id,
            "summary": s.summary, "reason": s.reason, "confidence": round(s.confidence, 2),
            "payload": payload, "source": s.source, "status": s.status,
            "created_at": s.created_at.isoformat()}
