"""Capture in the live mailbox: the handler the sync calls for each new INBOX message
(step 3, after commands and replies), when `[mailbox] capture` is "suggest" or "add". The
sync's callers pass it (nudger.mail.handlers); this module does not import the sync, so
`nudger capture` (files only) does not load the IMAP machinery.

Headers first: a message whose headers do not make it a candidate (prefilter.is_candidate)
is left alone and nothing is fetched. For a candidate, only the first text part is fetched,
capped (client.fetch_text), then recognised exactly as `nudger capture` does for files, and
recorded in one transaction with the message's key, so it is handled once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nudger.mail.capture.prefilter import is_candidate
from nudger.mail.capture.recognise import recognise
from nudger.mail.capture.rules import default_rules
from nudger.mail.capture.view import BODY_CAP, MailView, one_line

if TYPE_CHECKING:
    from nudger.mail.imap.headers import MailHeader
    from nudger.mail.imap.inbox import MessageContext

FETCH_CAP = 16 * 1024  # bytes of the first text part fetched for a candidate


def view_of(header: MailHeader, text: str = "") -> MailView:
    """The recogniser's view of a message from listen's parsed headers."""
    return MailView(
        message_id=one_line(header.message_id, 300),
        sent_at=header.date,
        from_name=one_line(header.from_name),
        from_addr=one_line(header.from_addr.lower()),
        subject=one_line(header.subject, 500),
        auto_submitted=header.auto_submitted,
        bulk=header.is_list or header.is_bulk,
        text=text[:BODY_CAP],
    )


def handle_inbox(ctx: MessageContext) -> bool:
    """True when the message was job mail nudger recorded (later steps skip it)."""
    settings = ctx.settings
    if settings.mailbox.capture == "off" or ctx.header.is_bounce:
        return False
    rules = default_rules()
    view = view_of(ctx.header)
    own = (settings.profile.email or "").lower()
    if (own and view.from_addr == own) or not is_candidate(view, rules, personal=False):
        return False
    # Imported here, for a candidate only: most INBOX mail is decided above.
    from nudger.mail.capture.scan import Ledger
    from nudger.mail.capture.store import load_tracked, record

    if ctx.already():
        return True
    text = ctx.imap.fetch_text(ctx.header.uid, FETCH_CAP)
    findings = recognise(view_of(ctx.header, text), zone=settings.zone, rules=rules)
    if not findings:
        return False
    key = ctx.header.key
    if ctx.dry_run:
        with ctx.db.read_session() as session:
            ledger = Ledger(load_tracked(session))
        for finding in findings:
            ledger.add(key, finding)
        for prop in ledger.results():
            ctx.found("capture", prop.application_id,
                      ("already tracked: " if prop.matched else "would propose: ")
                      + prop.summary())
        return True
    today = ctx.now.astimezone(settings.zone).date()
    # A message the receiving server says fails authentication is at most a suggestion.
    mode = "add" if settings.mailbox.capture == "add" and not ctx.header.auth_failed \
        else "suggest"
    with ctx.db.session() as session:
        ledger = Ledger(load_tracked(session))
        for finding in findings:
            ledger.add(key, finding)
        proposals = ledger.results()
        lines = record(session, proposals, mode=mode, today=today, now=ctx.now,
                       source_label="mail")
        app_id = next((p.application_id for p in proposals if p.application_id), None)
        if not ctx.claim("capture", application_id=app_id, snippet=text[:200],
                         session=session):
            session.rollback()
            return True
    for prop in proposals:
        if prop.matched:
            ctx.found("capture", prop.application_id, "already tracked: " + prop.summary())
    for line in lines:
        ctx.found("capture", app_id, line)
    return True
