"""The capture recogniser: one mail message in, findings out. Pure: no database, no
network, no clock; the user's time zone is a parameter. The pipeline over the
modules of this package: the four steps below (the rules themselves are data).

How a message is read (headers first):
1. `view_headers` parses only the header block: sender, subject, date, Message-ID,
   List-Unsubscribe, and the Return-Path/Received hosts an ATS relaying in the
   employer's name shows in.
2. `is_candidate` decides from those alone whether the message can be job mail (its sender
   or relay is an applicant tracking system or job board from the rules, its subject has
   one of the rules' candidate words, it answers a mail, or a person wrote it; for a
   person's mail `peek` also wants a job word in the raw text). Everything else is never
   read further.
3. `with_body` reads the first text part of a candidate (text/plain preferred, else
   text/html turned into text) and its text/calendar part, skipping any part whose encoded
   size is over the cap before decoding it, so a 40 MB attachment is never decoded.
4. `recognise` scores each kind from independent signals together (`weigh_evidence`: the
   kind's phrases in subject and own text, a calendar invitation, the word model, the
   sender; an ignore phrase or a mailing against) and extracts company, role, source, job
   URL, recruiter contact and, when the mail states it, the interview's moment
   (interview_time.py). Every finding says which signals decided it.

Every captured value passes the one-line rules of `nudger add` (no line breaks, no NUL)
and is capped at `MAX_VALUE` characters. The rules are data: rules.toml beside
this file; the word model is data too: words.json (wordmodel.py).
"""


from __future__ import annotations

from zoneinfo import ZoneInfo

from nudger.mail.capture.contact import contact_of, job_url
from nudger.mail.capture.extract import company_and_role
from nudger.mail.capture.findings import (
    Evidence,
    Finding,
    first_match,
    sure_reading,
    weigh_evidence,
)
from nudger.mail.capture.ownwords import in_own_words
from nudger.mail.capture.prefilter import (
    ats_sender,
    body_can_matter,
    is_candidate,
    is_mailing_address,
    is_personal,
)
from nudger.mail.capture.ranker import pick_company
from nudger.mail.capture.rules import Rules, can_match, default_rules, fold_case
from nudger.mail.capture.view import (
    MailView,
    one_line,
    unforwarded,
    view_headers,
    view_text,
    with_body,
)

KINDS = ("application", "rejection", "interview", "outreach")
IGNORE_SPAN = 300        # characters of body text the ignore rules look at


def recognise(view: MailView, *, zone: ZoneInfo, rules: Rules | None = None,
              outreach: bool = False) -> list[Finding]:
    """The findings in one message (read with `with_body`). At most one finding.

    Each kind is decided from independent signals scored together (`weigh_evidence`): the
    kind's phrases in the subject and in the mail's own text (quoted history cut off), a
    text/calendar invitation (METHOD:REQUEST with a DTSTART), who sent it (an ATS, also
    when it shows only in Return-Path/Received; a person; a mailing with List-Unsubscribe
    counts against). A rejection's wording outranks the interview words a rejection after
    an interview is full of; an invitation outranks an application's thanks."""
    rules = rules or default_rules()
    if not is_candidate(view, rules):
        return []  # the same answer the headers-only pre-filter gives
    if not ats_sender(view, rules) and not rules.is_candidate_subject(view.subject) and \
            view.subject[:3].lower() != "re:" and view.invite is None and \
            not (rules.mentions_job(view.text) if is_personal(view.from_addr)
                 else rules.mentions_application(view.text)) and \
            not sure_reading(view_text(unforwarded(view)), rules,
                             service=not is_personal(view.from_addr)) and \
            not (is_personal(view.from_addr) and in_own_words(view_text(unforwarded(view)))):
        # A person's mail that mentions no job word ([candidate] body); a service
        # address's that names no application, interview or candidacy (service_body).
        return []
    if view.auto_submitted and not ats_sender(view, rules):
        return []  # out-of-office and other auto-replies of people
    view = unforwarded(view)
    ats = ats_sender(view, rules)
    haystack = view_text(view)
    # Alerts and newsletters say so at the top; a footer ("jobs you may like") does not
    # make a confirmation an alert.
    head = haystack[: len(view.subject) + 1 + IGNORE_SPAN]
    folded = fold_case(haystack)
    folded_head = folded[: len(head)]
    ignored = ""
    for rule in rules.phrases["ignore"]:
        prefix = rule.prefix
        if prefix:
            if prefix not in folded_head:
                continue  # cannot match (`can_match`, spelt out: it runs for every rule)
        elif rule.needs and not can_match(rule, folded_head):
            continue
        found = rule.pattern.search(head)
        if found:
            ignored = found.group(0)
            # A rejection or an invitation said before "new jobs for you" is the mail's
            # business; the suggestions after it are its footer, not an alert.
            said = haystack[: found.start()]
            if any(first_match(rules.phrases[kind], said) for kind in ("rejection",
                                                                         "interview")) or \
                    sure_reading(said, rules, service=not is_personal(view.from_addr)):
                # ... also when the words before it read far more as a refusal or an
                # invitation than as anything else ("candidature non retenue. 312
                # nouvelles offres …"): the word model, not one more phrase.
                ignored = ""
            break
    if (view.bulk or is_mailing_address(view.from_addr)) and not ats:
        # Mailing lists, bulk senders and a newsletter's or marketing address: never about
        # one application of yours.
        return []
    if ignored and not ats:
        return []  # an alert, a receipt, an admission: only an ATS's own wording outweighs it
    evidence = weigh_evidence(view, haystack, folded, ats, rules, zone, ignored)
    if evidence is None:
        if ignored or not outreach or view.bulk or ats or view.unsubscribe:
            return []
        matched = first_match(rules.phrases["outreach"], haystack, folded)
        if matched is None:
            return []
        rule, phrase = matched
        evidence = Evidence("outreach", 1.0, [
            f"{rule.language.upper()} outreach phrase \"{phrase}\""], None)
    return _finding(view, evidence, ats, haystack, zone, rules)



def _finding(view: MailView, evidence: Evidence, ats: str, haystack: str,
             zone: ZoneInfo, rules: Rules) -> list[Finding]:
    kind = evidence.kind
    sender_ats = rules.ats_of(view.domain) or ats
    company, role, how = company_and_role(view, haystack, sender_ats,
                                           rules, last_resort=kind in ("interview",
                                                                       "rejection"))
    company = pick_company(view, haystack, (company, how, role), sender_ats, rules)  # ranker
    if not company:
        return []
    contact_name, contact_email = contact_of(view, haystack, ats, rules, company)
    local = view.sent_at.astimezone(zone).date() if view.sent_at else None
    moment = evidence.moment
    confidence = 0.55 + 0.12 * min(evidence.score, 3.0)
    confidence += 0.05 if how == "text" else -0.1
    confidence += 0.03 if role else -0.05
    sender = f"{view.from_name} <{view.from_addr}>" if view.from_name else view.from_addr
    signals = list(evidence.signals)
    if moment is not None:
        signals.append(f"time from {moment.text}" if moment.zoned else
                       f"time from {moment.text}, no zone stated: read in {zone.key}")
    why = one_line(f"{'forwarded, ' if view.forwarded else ''}from "
                   f"{sender or 'an unknown sender'}{f' ({ats})' if ats else ''}; "
                   + "; ".join(signals) + f"; company from the {how}", 600, "why")
    return [Finding(
        kind=kind, company=company, role=role, on=local, source=ats or "email",
        confidence=round(max(0.05, min(confidence, 0.99)), 2), why=why,
        url=job_url(view, haystack), contact_name=contact_name, contact_email=contact_email,
        interview_at=moment.at if moment is not None else None, message_id=view.message_id,
        subject=view.subject[:200],
    )]



def recognise_bytes(raw: bytes, *, zone: ZoneInfo, rules: Rules | None = None,
                    outreach: bool = False) -> list[Finding]:
    """Headers first, the body only for a candidate: the whole pipeline for one message."""
    rules = rules or default_rules()
    view = view_headers(raw)
    if not is_candidate(view, rules) or not body_can_matter(view, rules):
        return []
    return recognise(with_body(view, raw, zone=zone), zone=zone, rules=rules,
                     outreach=outreach)
