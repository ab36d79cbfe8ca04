"""What a new message asks of the pass when no handler took it: a follow-up in Sent, a
reply, a possible reply, a bounce or a contact suggestion (`Decision`), decided from its
headers and the index of tracked applications; and, in a dry run, what would be done."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nudger.mail.imap.headers import MailHeader
from nudger.mail.imap.ledger import SNIPPET
from nudger.mail.imap.match import Index
from nudger.mail.imap.report import SyncReport
from nudger.text import server_text

if TYPE_CHECKING:
    from nudger.config import Settings

@dataclass
class Decision:
    kind: str  # followup, reply, possible-reply, bounce, contact-suggestion
    header: MailHeader
    app_id: int | None
    text: str = ""
    addresses: tuple[str, ...] = ()
    why: str = ""  # for a reply made a suggestion: the Authentication-Results verdict


def decide_sent(header: MailHeader, index: Index, settings: Settings) -> Decision | None:
    if not header.recipients:
        return None
    app = index.by_thread(header)
    if app is None:
        app = index.best(a for addr in header.recipients
                         for a in index.by_contact.get(addr, ()))
    if app is not None:
        return Decision("followup", header, app)
    own = settings.profile.email.lower()
    for addr in header.recipients:
        if addr == own:
            continue
        company = index.by_company(addr)
        if company is not None:
            return Decision("contact-suggestion", header, company, addresses=(addr,))
    return None


def decide_inbox(header: MailHeader, index: Index, report: SyncReport) -> Decision | None:
    if header.is_bounce:
        return Decision("bounce", header, None)
    app = index.by_thread(header)
    if app is None and header.from_addr:
        app = index.by_address(header.from_addr)
    if app is not None:
        if header.never_a_reply:
            why = ("an auto-reply" if header.auto_submitted else
                   "mailing-list mail" if header.is_list else "bulk mail")
            report.add("ignored", header, app, f"{why}, never counted as a reply")
            return None
        if header.auth_failed:
            # The receiving server says the sender is not who it claims: a suggestion at
            # most, never a pause or a recorded reply.
            return Decision("possible-reply", header, app, why=header.auth_failed)
        return Decision("reply", header, app)
    if header.from_addr and not header.never_a_reply:
        company = index.by_company(header.from_addr)
        if company is not None:
            return Decision("possible-reply", header, company)
    return None


def snippet_of(text: str) -> str:
    # Quoted text and signatures are not the reply: drop lines from the first quote marker.
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(">") or stripped == "--" or re.match(
                r"^(On .{3,80} wrote:|-----Original Message-----|Am .{3,80} schrieb)",
                stripped):
            break
        lines.append(stripped)
    return server_text(" ".join(lines), SNIPPET)


_FINAL_RECIPIENT = re.compile(r"(?im)^\s*(?:final|original)-recipient:\s*rfc822;\s*<?([^\s>]+)")
_DIAGNOSTIC = re.compile(r"(?im)^\s*(?:diagnostic-code|status):\s*(.+)$")


def bounced(decision: Decision) -> tuple[list[str], str]:
    addrs = list(decision.header.failed_recipients)
    for match in _FINAL_RECIPIENT.finditer(decision.text):
        addr = match.group(1).strip().lower()
        if addr not in addrs:
            addrs.append(addr)
    detail = ""
    diag = _DIAGNOSTIC.findall(decision.text)
    if diag:
        detail = diag[-1]
    elif decision.text:
        detail = decision.text
    return addrs, server_text(detail, 160)


def dry(decisions: list[Decision], index: Index, report: SyncReport) -> None:
    for d in decisions:
        if d.kind == "bounce":
            addrs, _detail = bounced(d)
            hit = [a for a in addrs if a in index.by_contact]
            if hit:
                report.add("bounce", d.header, index.by_address(hit[0]),
                           f"would mark {', '.join(hit)} as bouncing")
            continue
        what = {"followup": "would log an email touch",
                "reply": "would record the reply",
                "possible-reply": "would suggest it as a possible reply",
                "contact-suggestion": "would suggest adding the recipient as a contact"}
        report.add(d.kind, d.header, d.app_id, what[d.kind])
