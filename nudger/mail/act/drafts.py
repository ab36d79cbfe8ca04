"""Drafts in the Drafts folder: each due email step whose contact has an address gets
exactly one draft, the digest's subject and body, From the user, To the contact, threaded
when nudger knows the last message with that contact (In-Reply-To, and References: that
message's whole chain). A draft looks like the user's own: no header of nudger's, a
Message-ID at the user's domain.

Exactly one per step, whatever runs it (digests, restarts, two daemons): a `maildraft` row
keyed by application, stage (and the day it was entered) and step is written *before* the
APPEND (state `appending`, with the draft's Message-ID and content hash) and marked
`present` with the server's APPENDUID after. A pass that finds an `appending` row looks the
Message-ID up in Drafts first, so a crash between APPEND and mark never makes a second copy.

When the step is no longer due (done, skipped, snoozed past, the stage changed, the
application removed), the draft nudger put there is deleted — only that UID, only while it
still has the same Message-ID and the same bytes (an edited draft is saved by mail clients
as a new message: the user's, and it stays). Nothing else in Drafts is ever touched.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.policy import SMTP
from typing import TYPE_CHECKING

from sqlmodel import Session, col, or_, select

from nudger.send.message import DRAFT, Parts, build_message, msgid_domain, sender_address
from nudger.store.models import Contact, MailMessage
from nudger.text import clean_header
from nudger.when.times import as_utc

if TYPE_CHECKING:
    from nudger.config import Settings
    from nudger.mail.imap.client import ImapSession
    from nudger.store.db import Database
    from nudger.when.business import Calendar

from nudger.store.models import MailDraft

log = logging.getLogger(__name__)

DRAFT_ACTIONS = ("email", "thank-you", "apply", "network")
DRAFT_STATES = ("appending", "present", "deleted", "kept", "gone")
APPEND_GRACE = timedelta(minutes=5)  # an `appending` row younger than this is in flight


@dataclass(frozen=True)
class Wanted:
    key: str
    app_id: int
    label: str
    to_name: str
    to_addr: str
    subject: str
    body: str
    in_reply_to: str  # a Message-ID with angle brackets, or ""
    references: tuple[str, ...]

    def render_hash(self) -> str:
        """What the draft says, whatever its Date: the digest of the same day renders
        the same words ("applied 12 days ago" in both)."""
        parts = (self.to_name, self.to_addr, self.subject, self.body, self.in_reply_to,
                 *self.references)
        return hashlib.sha256("\x00".join(parts).encode("utf-8", "replace")).hexdigest()


def draft_key(app_id: int, stage: str, since: date, step: int) -> str:
    return f"{app_id}:{stage}:{since.isoformat()}:{step}"


def wanted_drafts(settings: Settings, session: Session, calendar: Calendar,
                  day: date) -> list[Wanted]:
    """The drafts due on `day`: what the digest of `day` shows, for email-like steps whose
    contact has an address."""
    from functools import partial

    from nudger.digest.render import Renderer
    from nudger.digest.values import gather, nudge_item, render_draft

    renderer = Renderer.for_dir(settings.templates_dir)
    g = gather(session, settings, calendar, day)
    out: list[Wanted] = []
    for nudge in [*g.report.overdue, *g.report.today]:
        if nudge.action not in DRAFT_ACTIONS:
            continue
        item = nudge_item(partial(render_draft, renderer), settings, g, nudge, day)
        draft = item["draft"]
        if draft["subject"] is None or not draft["to"]:
            continue
        app = g.apps[nudge.app_id]
        contact = item["contact"] or {}
        subject, reply_to = draft["subject"], ""
        refs: tuple[str, ...] = ()
        last = _last_message(session, nudge.app_id, draft["to"])
        if last is not None and last.message_id:
            reply_to = f"<{last.message_id}>"
            refs = references_chain(last.thread_refs.split(), last.message_id)
            base = re.sub(r"^((re|aw|sv|fwd?)\s*:\s*)+", "", last.subject or subject,
                          flags=re.IGNORECASE)
            subject = clean_header(f"Re: {base}", limit=200)
        out.append(Wanted(draft_key(nudge.app_id, app.stage, app.stage_since, nudge.step),
                          nudge.app_id, nudge.label, contact.get("name", ""), draft["to"],
                          subject, draft["body"], reply_to, refs))
    return out


MAX_REFERENCES = 20


def references_chain(parent_refs: list[str], parent_id: str) -> tuple[str, ...]:
    """An answer's References: its parent's References, then the parent (RFC 5322 3.6.4),
    duplicates dropped; a very long chain keeps its first and its latest ids."""
    chain: list[str] = []
    for mid in (*parent_refs, parent_id):
        mid = mid.strip().strip("<>")
        if mid and mid not in chain:
            chain.append(mid)
    if len(chain) > MAX_REFERENCES:
        chain = [chain[0], *chain[-(MAX_REFERENCES - 1):]]
    return tuple(f"<{m}>" for m in chain)


def _last_message(session: Session, app_id: int, address: str) -> MailMessage | None:
    address = address.lower()
    return session.exec(
        select(MailMessage).where(MailMessage.application_id == app_id)
        .where(or_(col(MailMessage.from_addr) == address,
                   col(MailMessage.to_addrs).contains(address)))
        .order_by(col(MailMessage.date).desc())).first()


def build_draft(settings: Settings, wanted: Wanted, message_id: str,
                now: datetime) -> bytes:
    """The draft as the bytes APPENDed: built by the one message builder from the parts
    `render_draft` rendered (the words the digest shows), From the user, To the contact."""
    parts = Parts(wanted.subject, wanted.body + "\n")
    msg = build_message(settings, DRAFT, parts, now=now, message_id=message_id,
                        sender=sender_address_of_user(settings), to=_to(wanted),
                        in_reply_to=wanted.in_reply_to, references=wanted.references)
    return msg.as_bytes(policy=SMTP)


def _to(wanted: Wanted) -> str:
    from email.headerregistry import Address

    local, _, domain = wanted.to_addr.partition("@")
    return str(Address(display_name=clean_header(wanted.to_name, limit=80), username=local,
                       domain=domain))


def sender_address_of_user(settings: Settings) -> str:
    """From the user (profile), not nudger's own `delivery.from`: the draft is theirs."""
    from email.headerregistry import Address

    local, _, domain = settings.profile.email.partition("@")
    return str(Address(display_name=clean_header(settings.profile.name, limit=80),
                       username=local, domain=domain))


def draft_message_id(settings: Settings, key: str) -> str:
    """A Message-ID like the user's own mail client makes (a UUID at the user's domain):
    nothing in a draft says a tool wrote it. nudger knows its drafts by what it recorded
    (this Message-ID, the UID, the content hash), never by a mark in the message."""
    digest = hashlib.sha256(f"nudger-draft|{settings.profile.email}|{key}".encode()
                            ).hexdigest().upper()
    uuid = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
    return f"<{uuid}@{msgid_domain(settings.profile.email or sender_address(settings).addr_spec)}>"


@dataclass
class DraftReport:
    appended: list[str]
    deleted: list[str]
    kept: list[str]

    def lines(self) -> list[str]:
        return ([f"draft ready in Drafts: {x}" for x in self.appended]
                + [f"draft removed (step no longer due): {x}" for x in self.deleted]
                + [f"draft kept (you edited it): {x}" for x in self.kept])


def sync_drafts(settings: Settings, db: Database, calendar: Calendar, imap: ImapSession,
                today: date, now: datetime) -> DraftReport:
    """Put the due drafts into Drafts and remove the ones no longer due. Each database
    write is its own short transaction; no transaction spans the network."""
    report = DraftReport([], [], [])
    folder = imap.folders.drafts
    if folder is None or not settings.mailbox.drafts:
        return report
    with db.read_session() as s:
        wanted = {w.key: w for w in wanted_drafts(settings, s, calendar, today)}
        rows = {r.key: r for r in s.exec(select(MailDraft).where(
            col(MailDraft.state).in_(("appending", "present")))).all()}
    validity, _next = imap.select_readonly(folder)
    for key, w in wanted.items():
        if key in rows and rows[key].state == "present":
            row = rows[key]
            if not row.render_hash or row.render_hash == w.render_hash():
                continue
            # Rendered on another day ("11 days ago"): replaced by today's words, the
            # digest's, when the user has not touched it; theirs when they did.
            outcome = _remove_if_untouched(imap, folder, validity, row)
            if outcome != "deleted":
                _mark(db, now, key, state=outcome)
                if outcome == "kept":
                    report.kept.append(f"#{row.application_id} {row.label}")
                continue
            _mark(db, now, key, state="deleted")
        with db.read_session() as s:
            done = s.exec(select(MailDraft).where(MailDraft.key == key)).first()
        if done is not None and done.state in ("kept", "gone"):
            continue  # the user took this step's draft (sent, edited or deleted it)
        mid = draft_message_id(settings, key)
        raw = build_draft(settings, w, mid, now)
        digest = hashlib.sha256(raw).hexdigest()
        if done is None:
            if not _record(db, MailDraft(key=key, application_id=w.app_id, label=w.label,
                                         message_id=mid, content_hash=digest, folder=folder,
                                         uidvalidity=validity, created_at=now,
                                         updated_at=now, render_hash=w.render_hash())):
                continue  # another process recorded it first: it appends
        elif done.state == "appending":
            updated = as_utc(done.updated_at)
            if now - updated < APPEND_GRACE:
                continue  # another process is appending it right now
            existing = imap.search_message_id(folder, mid)
            if existing:  # appended, then the process died before marking it
                _mark(db, now, key, state="present", uid=existing[0], uidvalidity=validity)
                continue
            _mark(db, now, key, content_hash=digest)
        else:  # deleted (not due after a snooze, or stale): due again, in today's words
            _mark(db, now, key, state="appending", content_hash=digest, uid=None)
        uid = imap.append(folder, raw, flags=["\\Draft"], when=now)
        if uid is None:
            found = imap.search_message_id(folder, mid)
            uid = found[0] if found else None
        _mark(db, now, key, state="present", uid=uid, uidvalidity=validity,
              render_hash=w.render_hash())
        log.info("draft for %s appended to %s (UID %s)", w.label, folder, uid)
        report.appended.append(f"#{w.app_id} {w.label} to {w.to_addr}")
    for key, row in rows.items():
        if key in wanted or row.state != "present":
            continue
        outcome = _remove_if_untouched(imap, folder, validity, row)
        _mark(db, now, key, state=outcome)
        if outcome == "deleted":
            report.deleted.append(f"#{row.application_id} {row.label}")
        elif outcome == "kept":
            report.kept.append(f"#{row.application_id} {row.label}")
    return report


def _remove_if_untouched(imap: ImapSession, folder: str, validity: int,
                         row: MailDraft) -> str:
    """Delete the draft only when the same UID still holds the same Message-ID and the
    same bytes; "gone" when the user already sent or deleted it, "kept" when it changed."""
    candidates: list[int] = []
    if row.uid is not None and row.uidvalidity == validity:
        candidates = [row.uid]
    else:  # the folder was renumbered: find it by Message-ID
        candidates = imap.search_message_id(folder, row.message_id)
    for uid in candidates:
        raw, _size = imap.fetch_in(folder, uid)
        if not raw:
            continue
        if hashlib.sha256(raw).hexdigest() != row.content_hash:
            return "kept"
        imap.delete_uid(folder, uid)
        return "deleted"
    return "gone"


def _record(db: Database, row: MailDraft) -> bool:
    from sqlalchemy.exc import IntegrityError

    try:
        with db.session() as s:
            s.add(row)
    except IntegrityError:
        return False
    return True


def _mark(db: Database, now: datetime, key: str, **values: object) -> None:
    with db.session() as s:
        row = s.exec(select(MailDraft).where(MailDraft.key == key)).first()
        if row is None:
            return
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_at = now
        s.add(row)


def ready_keys(session: Session) -> set[str]:
    """Keys of the drafts waiting in Drafts (for the digest's "Draft ready" line)."""
    return set(session.exec(select(MailDraft.key).where(
        col(MailDraft.state) == "present")).all())


__all__ = ["Contact", "MailDraft", "sync_drafts", "wanted_drafts"]
