"""The cheap decision before any body is read: whether a message can be job mail at all,
from its headers (`peek`, `is_candidate`; a person's mail, or a service address's that is
no shop's or newsletter's, also wants a job word in the raw bytes), and whether its body
can change the answer (`body_can_matter`). Most mail in a mailbox is decided here and
never looked at again. tests/mail/capture/test_capture_prefilter.py holds both to the
full recogniser.
"""

from __future__ import annotations

import quopri
import re

from nudger.mail.capture.ownwords import in_own_words
from nudger.mail.capture.rules import Rules, default_rules
from nudger.mail.capture.view import (
    BODY_CAP,
    MailView,
    first_address_only,
    header_fields,
    header_line,
    relay_domains,
)
from nudger.mail.capture.wordmodel import WordModel


def peek(raw: bytes, rules: Rules) -> tuple[dict[str, str], bool]:
    """The header fields, and whether the message can be job mail (`is_candidate`), at the
    least cost: most mail is decided here and never looked at again."""
    fields = header_fields(raw)
    address = first_address_only(fields.get("from"))
    if rules.ats_of(address.rpartition("@")[2].lower()):
        return fields, True
    subject = header_line(fields.get("subject"))
    if rules.is_candidate_subject(subject):
        return fields, True
    if ("return-path" in fields or "received" in fields) and \
            any(rules.ats_of(d) for d in relay_domains(fields)):
        return fields, True
    bulk = fields.get("precedence", "").strip().lower() in ("bulk", "list", "junk") or \
        "list-id" in fields or "list-unsubscribe" in fields
    auto = fields.get("auto-submitted", "no").strip().lower() not in ("", "no")
    if bulk or auto:
        return fields, False
    if subject[:3].lower() == "re:":
        return fields, True
    if is_personal(address):
        return fields, _raw_mentions(raw, rules.body_words_raw) or \
            _raw_reading(raw, rules, ("interview",)) or _raw_invitation(raw)
    return fields, may_be_hiring_desk(address) and (
        _raw_mentions(raw, rules.service_words_raw) or
        _raw_reading(raw, rules, ("interview", "rejection")))


# How far the raw bytes' words must read as an invitation (or, from a service address, a
# refusal) for mail with no job word to be parsed: half `findings.WORDS_LEAD`, which the
# parsed text must then reach (the raw bytes carry header and markup words that pull
# either way).
RAW_LEAD = 10.0
RAW_WINDOW = 400    # bytes of the body read for it: such mail says so early


def _raw_reading(raw: bytes, rules: Rules, kinds: tuple[str, ...]) -> bool:
    """Whether mail with no job word may be one of `kinds` as the word model reads it
    (`findings.sure_reading`), judged from its raw bytes' words."""
    if rules.words is None:
        return False
    body = raw.find(b"\n\n")
    window = raw[body:body + RAW_WINDOW]
    if _cues(rules.words, kinds).isdisjoint(_RAW_WORD.findall(window.lower())):
        return False  # none of the words that read most as these kinds: a tenth of the cost
    kind, lead = rules.words.lead(window.decode("utf-8", "replace"))
    return kind in kinds and lead >= RAW_LEAD


def _raw_invitation(raw: bytes) -> bool:
    """Whether a person's mail with no job word says a kind in a person's words
    (`ownwords.in_own_words`: an invitation at a stated day and hour, another person
    chosen, the reader's papers passed on), read from its raw bytes (quoted-printable
    decoded)."""
    body = raw.find(b"\n\n")
    window = raw[body:body + BODY_CAP]
    if b"=\n" in window or b"=\r\n" in window or b"=C3" in window or b"=E2" in window:
        window = quopri.decodestring(window)
    return in_own_words(window.decode("utf-8", "replace"))


_RAW_WORD = re.compile(rb"[a-z\x80-\xff]{4,}")
_CUES: dict[tuple[int, tuple[str, ...]], tuple[WordModel, frozenset[bytes]]] = {}


def _cues(model: WordModel, kinds: tuple[str, ...]) -> frozenset[bytes]:
    """`model.cues(kinds)`, built once per model (a model is no dict key: its weights are)."""
    held = _CUES.get((id(model), kinds))
    if held is None or held[0] is not model:
        if len(_CUES) > 16:
            _CUES.clear()
        held = _CUES[(id(model), kinds)] = (model, model.cues(kinds))
    return held[1]


_UNREADABLE = (b"base64", b"utf-16", b"utf-32", b"text/calendar")


def _raw_mentions(raw: bytes, words: tuple[bytes, ...]) -> bool:
    """Whether a mail mentions one of `words` (a person's mail: [candidate] body; a service
    address's: [candidate] service_body), read from the raw bytes (lower-cased,
    quoted-printable soft breaks joined): what `recognise` checks in the decoded text.
    Mail whose text cannot be read this way (base64, UTF-16), or with a calendar part, is
    taken as mentioning one."""
    if not words:
        return True
    window = raw[:BODY_CAP * 3].lower()
    if any(mark in window for mark in _UNREADABLE):
        return True
    if b"=\n" in window or b"=\r\n" in window:
        window = window.replace(b"=\r\n", b"").replace(b"=\n", b"")
    return any(word in window for word in words)



def is_candidate(view: MailView, rules: Rules | None = None, *,
                 personal: bool = True) -> bool:
    """Could this be job mail? From the headers alone: an ATS or job board sent it (or
    relayed it: Return-Path, Received), its subject has a candidate word, it answers a
    mail ("Re:"), or (`personal`) it is neither a mailing nor automatic: a person's mail,
    or a service address's that is no shop's or newsletter's (the notifications of a
    hiring system the rules do not list, `may_be_hiring_desk`), whose text then decides
    (`recognise`: a [candidate] body word for a person, a service_body word for a service
    address). The live sync passes personal=False: there such mail would cost a FETCH of
    its body each, where `nudger capture` checks the raw bytes first."""
    rules = rules or default_rules()
    if ats_sender(view, rules):
        return True
    if rules.is_candidate_subject(view.subject):
        return True
    if view.bulk or view.auto_submitted or view.unsubscribe:
        return False
    return view.subject[:3].lower() == "re:" or (personal and (
        is_personal(view.from_addr) or may_be_hiring_desk(view.from_addr)))


_SERVICE = re.compile(
    r"^(?:.*[._-])?(?:no-?reply|do-?not-?reply|donotreply|notifications?|notify|alerts?|"
    r"mailer(?:-daemon)?|bounces?|news(?:letter)?|info|orders?|service|support|billing|"
    r"invoices?|updates?|marketing|hello|hi|contact|booking|reservations?|calendar|"
    r"security|account|admin|postmaster|digest|events?|promo|offers?|shop|store|"
    r"receipts?|statements?|members?|avisos|boletin|renewals?|kurse|leasing|admissions)"
    r"(?:[._+-].*)?$", re.IGNORECASE)


# The service addresses of shops, banks, bookings and newsletters: never a hiring system's
# (which writes from no-reply@, notifications@, info@, hello@ and the like).
_COMMERCE = re.compile(
    r"^(?:.*[._-])?(?:news(?:letter)?|orders?|service|support|billing|invoices?|marketing|"
    r"booking|reservations?|calendar|security|account|admin|postmaster|digest|events?|"
    r"promo|offers?|shop|store|receipts?|statements?|members?|avisos|boletin|renewals?|"
    r"kurse|leasing|admissions|bounces?|mailer-daemon|alerts?)(?:[._+-].*)?$", re.IGNORECASE)


_MAILING = re.compile(r"^(?:.*[._-])?(?:news(?:letters?)?|marketing|promo(?:tions?)?|digest|"
                      r"magazin[e]?|boletin|infolettre)(?:[._+-].*)?$", re.IGNORECASE)


def is_mailing_address(address: str) -> bool:
    """A newsletter's or marketing address (news@, newsletter@, marketing@): what it sends
    is a mailing, even without a List-Unsubscribe header."""
    return _MAILING.match(address.rpartition("@")[0]) is not None


def may_be_hiring_desk(address: str) -> bool:
    """A service address that is not a shop's, a bank's or a newsletter's: the mail of a
    hiring system the rules do not list may come from it (its text then decides)."""
    local, at, _domain = address.rpartition("@")
    return bool(at and local) and _COMMERCE.match(local) is None


def is_personal(address: str) -> bool:
    """A person's or a hiring desk's address, not a shop's or a service's."""
    local, at, _domain = address.rpartition("@")
    return bool(at and local) and _SERVICE.match(local) is None


def ats_sender(view: MailView, rules: Rules) -> str:
    """The ATS or board that sent the message: its From domain, else a Return-Path or
    Received host (ATS mail sent in the employer's name)."""
    found = rules.ats_of(view.domain)
    if found:
        return found
    for domain in view.relays:
        found = rules.ats_of(domain)
        if found:
            return found
    return ""


def body_can_matter(view: MailView, rules: Rules | None = None) -> bool:
    """False when `recognise` finds nothing in this message whatever its body says: an
    auto-reply or bulk/list mail not from an ATS (its first checks), so the body is not
    parsed. tests/mail/capture/test_capture_prefilter.py holds it to the full recogniser."""
    rules = rules or default_rules()
    return not (view.auto_submitted or view.bulk) or bool(ats_sender(view, rules))
