"""What a batch's decisions change, written in the batch's transaction (each in its own
savepoint): a follow-up becomes a touch of its application, a reply is recorded (and may
pause the nudges), a possible reply or an unknown recipient becomes a suggestion, a bounce
marks the contact's address."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from nudger.mail.capture.suggestions import propose
from nudger.mail.imap.decide import Decision, bounced, snippet_of
from nudger.mail.imap.headers import domain_of
from nudger.mail.imap.ledger import record
from nudger.mail.imap.match import Index, company_domain
from nudger.mail.imap.replies import pause
from nudger.mail.imap.report import SyncReport
from nudger.store.models import Application, Contact, MailMessage, Touch
from nudger.text import server_text
from nudger.track import tracker
from nudger.vocab import OPEN_STAGES
from nudger.when.times import as_utc

if TYPE_CHECKING:
    from nudger.config import Settings
    from nudger.when.business import Calendar


def apply(s: Session, settings: Settings, calendar: Calendar, index: Index,
           now: datetime, report: SyncReport, d: Decision) -> None:
    header = d.header
    if d.kind == "followup":
        apply_followup(s, settings, calendar, index, report, d)
    elif d.kind == "reply":
        apply_reply(s, settings, index, report, d)
    elif d.kind == "possible-reply":
        row = record(s, header, "in", "possible-reply", None, snippet_of(d.text),
                      now=now)
        if row is None or d.app_id is None:
            return
        ref = index.apps[d.app_id]
        who = f"{header.from_name} <{header.from_addr}>" if header.from_name else \
            header.from_addr
        made = propose(
            s, kind="reply", fingerprint=f"reply:{header.key}",
            summary=f"possible reply from {who} to #{d.app_id} {ref.company}: "
                    f"{header.subject or '(no subject)'}",
            reason=(f"Authentication-Results says {d.why}: the sender may not be who it "
                    "claims" if d.why else
                    f"the sender's domain {domain_of(header.from_addr)} is "
                    f"{ref.company}'s, but the sender is not a contact"),
            confidence=0.5, payload={"key": header.key}, application_id=d.app_id,
            source=header.key, now=now.astimezone(UTC))
        if made is not None:
            report.add("possible-reply", header, d.app_id,
                       f"suggested as S{made.id} (accept: nudger accept S{made.id})")
    elif d.kind == "contact-suggestion":
        if d.app_id is None:
            return
        addr = d.addresses[0]
        ref = index.apps[d.app_id]
        made = propose(
            s, kind="contact", fingerprint=f"contact:{d.app_id}:{addr}",
            summary=f"add {addr} as a contact of #{d.app_id} {ref.company}",
            reason=f"you wrote to {addr} ({company_domain(domain_of(addr))} is "
                   f"{ref.company}'s domain)",
            confidence=0.6, payload={"name": addr.split("@")[0], "email": addr},
            application_id=d.app_id, source=header.key, now=now.astimezone(UTC))
        if made is not None:
            report.add("suggestion", header, d.app_id, f"S{made.id}: add {addr} as a contact")
    elif d.kind == "bounce":
        apply_bounce(s, index, report, d)


def apply_followup(s: Session, settings: Settings, calendar: Calendar, index: Index,
                    report: SyncReport, d: Decision) -> None:
    from nudger.track.progress import current_step

    header = d.header
    assert d.app_id is not None
    app = s.get(Application, d.app_id)
    if app is None:
        return
    day = header.date.astimezone(settings.zone).date()
    snippet = snippet_of(d.text)
    if day < app.stage_since:
        # Before the current stage: kept for threading, not a touch of this stage.
        if record(s, header, "out", "followup", app.id, snippet,
                   now=report.started) is not None:
            index.remember(header.message_id, app.id)
        return
    same_day = s.exec(select(Touch).where(
        Touch.application_id == app.id, Touch.action == "email", Touch.touched_on == day,
        Touch.skipped == False)).first()  # noqa: E712 - SQL comparison
    if same_day is not None:
        row = record(s, header, "out", "followup", app.id, snippet, same_day.id,
                      now=report.started)
        if row is not None:
            index.remember(header.message_id, app.id)
            report.add("followup", header, app.id,
                       f"the email touch of {day} was already logged; linked to it")
        return
    nudge = current_step(s, settings, calendar, app, day)
    step = nudge.step if nudge is not None and nudge.action == "email" else None
    ends_pause = app.paused_since is None or header.date > as_utc(app.paused_since)
    touch = tracker.log_touch(s, app.id or 0, "email", day, now=report.started,
                              note=server_text(f"sent: {header.subject}", 200),
                              step=step, ends_pause=ends_pause)
    s.flush()
    row = record(s, header, "out", "followup", app.id, snippet, touch.id,
                  now=report.started)
    if row is not None:
        index.remember(header.message_id, app.id)
    done = f", completes {nudge.label}" if step is not None and nudge is not None else ""
    report.add("followup", header, app.id, f"logged an email touch on {day}{done}")




def apply_reply(s: Session, settings: Settings, index: Index, report: SyncReport,
                 d: Decision) -> None:
    header = d.header
    assert d.app_id is not None
    app = s.get(Application, d.app_id)
    if app is None:
        return
    row = record(s, header, "in", "reply", app.id, snippet_of(d.text), now=report.started)
    if row is None:
        return
    index.remember(header.message_id, app.id)
    detail = "recorded"
    if settings.mailbox.replies == "pause" and app.stage in OPEN_STAGES:
        answered = s.exec(select(MailMessage.id).where(
            MailMessage.application_id == app.id, MailMessage.kind == "followup",
            col(MailMessage.date) > row.date)).first()
        if answered is not None:
            detail = "recorded; you already answered it, so nothing is paused"
        elif pause(s, app, row, report.started):
            detail = f"recorded; nudges paused (nudger resume {app.id} to undo)"
    report.add("reply", header, app.id, detail)


def apply_bounce(s: Session, index: Index, report: SyncReport, d: Decision) -> None:
    addrs, detail = bounced(d)
    if d.header.auth_failed:
        # A bounce whose sender fails authentication may be forged to silence a contact:
        # reported, never applied.
        report.add("ignored", d.header, None,
                   f"a bounce, but Authentication-Results says {d.header.auth_failed}; "
                   f"not applied (it names {', '.join(addrs[:3]) or 'no address'})")
        return
    marked: list[str] = []
    first_app: int | None = None
    for addr in addrs:
        for app_id in index.by_contact.get(addr, []):
            contact_id = index.contact_ids.get((app_id, addr))
            contact = s.get(Contact, contact_id) if contact_id else None
            if contact is None:
                continue
            contact.bounced_at = d.header.date.astimezone(UTC)
            contact.bounce_detail = detail
            s.add(contact)
            first_app = first_app or app_id
            if addr not in marked:
                marked.append(addr)
    if not marked:
        return
    if record(s, d.header, "in", "bounce", first_app, detail,
               now=report.started) is not None:
        report.add("bounce", d.header, first_app,
                   f"{', '.join(marked)} bounced ({detail or 'no reason given'}); marked "
                   "as bouncing")
