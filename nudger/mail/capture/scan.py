"""Capture: the recogniser run over mail files, and its findings matched to the tracker.

`scan` streams messages from mbox / Maildir / .eml (mailfiles.py), reads headers first and
the body only of a candidate (prefilter.py), and yields what it found and what it had to
skip. `Ledger` folds the findings of one run into proposals, one per application: a
confirmation and the later rejection of the same job become one proposed application with
its latest stage; a finding about an application already tracked (company and role equal
after `normal_company` / `normal_role`, or the same job URL) is matched to it instead.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from email.errors import MessageError
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit
from zoneinfo import ZoneInfo

from nudger.mail.capture.files import RawMail, Skipped, read_paths
from nudger.mail.capture.findings import Finding
from nudger.mail.capture.prefilter import body_can_matter, peek
from nudger.mail.capture.recognise import recognise
from nudger.mail.capture.rules import Rules, default_rules
from nudger.mail.capture.view import view_headers, with_body

# --- normalising names, roles and URLs ---------------------------------------------------

LEGAL_SUFFIXES = frozenset({
    "inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited", "llc",
    "llp", "lp", "plc", "gmbh", "mbh", "ag", "kg", "kgaa", "ug", "se", "sa", "sas", "sarl",
    "sl", "slu", "srl", "spa", "bv", "nv", "oy", "oyj", "ab", "as", "asa", "aps", "pty",
    "pte", "kk", "group", "holding", "holdings",
})
_ROLE_NOISE = re.compile(
    r"\((?:[mwfdxh](?:\s*/\s*[mwfdxh])+|all genders|w/m/d|m/w/d|f/m/x|h/f|f/h|gn\*?|"
    r"remote|hybrid|onsite|on-site|full[- ]time|part[- ]time)\)|"
    r"\b[mwfdxh]/[mwfdxh](?:/[mwfdxh])+\b|"
    r"\s[-–—|,]\s*(?:remote|hybrid|onsite|on-site|full[- ]time|part[- ]time|"
    r"[a-zäöüé. ]*\(?remote\)?)\s*$|\bremote\b|\bhybrid\b",
    re.IGNORECASE,
)
_KEEP_QUERY = frozenset({"jk", "gh_jid", "jobid", "job_id", "id", "currentjobid", "vjk"})


def _fold(text: str) -> str:
    """Case, accents and punctuation folded away; `&` is "and"."""
    text = unicodedata.normalize("NFKD", text.casefold().replace("&", " and "))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("ß", "ss")
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def normal_company(name: str) -> str:
    """`Acme Robotics, Inc.` → `acme robotics`; `Grünwald Logistik GmbH` → `grunwald
    logistik`."""
    words = re.sub(r"\b(\w)\.(?=\w\.)", r"\1", name)  # S.A. → SA, B.V. → BV
    folded = _fold(words.replace(".", " ")).split()
    while len(folded) > 1 and folded[-1] in LEGAL_SUFFIXES:
        folded.pop()
    if len(folded) > 1 and folded[0] == "the":
        folded.pop(0)
    return " ".join(folded)


def normal_role(role: str) -> str:
    """`Backend Developer (m/w/d) - Remote` → `backend developer`."""
    text = role
    for _ in range(3):
        stripped = _ROLE_NOISE.sub(" ", text)
        if stripped == text:
            break
        text = stripped
    return _fold(text)


def normal_url(url: str) -> str:
    """Host without www., path without a trailing slash, only job-id query parameters."""
    if not url:
        return ""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    host = (parts.hostname or "").lower().removeprefix("www.")
    query = urlencode(sorted((k.lower(), v) for k, v in parse_qsl(parts.query)
                             if k.lower() in _KEEP_QUERY))
    return f"{host}{parts.path.rstrip('/')}" + (f"?{query}" if query else "")


# --- scanning files ----------------------------------------------------------------------

@dataclass(frozen=True)
class Found:
    where: str
    finding: Finding


@dataclass
class ScanStats:
    messages: int = 0
    candidates: int = 0
    findings: int = 0
    skipped: int = 0
    before_since: int = 0
    own: int = 0
    bytes: int = 0


def scan(
    paths: list[Path],
    *,
    zone: ZoneInfo,
    since: date | None = None,
    outreach: bool = False,
    own_addresses: Iterable[str] = (),
    rules: Rules | None = None,
    stats: ScanStats | None = None,
    on_message: Callable[[int], None] | None = None,
) -> Iterator[Found | Skipped]:
    """Findings and skipped messages, in the order the files hold them. `on_message` is
    called with each message's size in bytes (a progress bar)."""
    rules = rules or default_rules()
    stats = stats if stats is not None else ScanStats()
    own = {a.lower() for a in own_addresses if a}
    for item in read_paths(paths):
        if isinstance(item, Skipped):
            stats.skipped += 1
            yield item
            continue
        stats.messages += 1
        stats.bytes += item.size
        if on_message is not None:
            on_message(item.size)
        try:
            found = _one(item, zone=zone, since=since, outreach=outreach, own=own,
                         rules=rules, stats=stats)
        except (ValueError, LookupError, TypeError, AssertionError, IndexError,
                RecursionError, UnicodeError, MessageError) as exc:
            # The email package has more ways to fail on hostile input than it documents:
            # the message is reported and the rest of the mailbox still read.
            stats.skipped += 1
            yield Skipped(item.where, f"cannot parse this message ({type(exc).__name__})")
            continue
        for finding in found:
            stats.findings += 1
            yield Found(item.where, finding)


def _one(item: RawMail, *, zone: ZoneInfo, since: date | None, outreach: bool,
         own: set[str], rules: Rules, stats: ScanStats) -> list[Finding]:
    fields, candidate = peek(item.data, rules)
    if not candidate and since is None:
        return []
    view = view_headers(fields)
    if since is not None and view.sent_at is not None and \
            view.sent_at.astimezone(zone).date() < since:
        stats.before_since += 1
        return []
    if not candidate:
        return []
    if view.from_addr in own:
        stats.own += 1
        return []
    stats.candidates += 1
    if not body_can_matter(view, rules):
        return []
    return recognise(with_body(view, item.data, zone=zone), zone=zone, rules=rules,
                     outreach=outreach)


# --- matching to the tracker and folding one run's findings ------------------------------

STAGE_OF = {"rejection": "rejected", "interview": "interviewing"}


@dataclass(frozen=True)
class Tracked:
    """An application as the matcher needs it."""

    id: int
    company: str
    role: str
    url: str
    stage: str
    applied_on: date | None = None


@dataclass
class Proposal:
    """What one run proposes for one application (or one stage change of a tracked one)."""

    kind: str                       # "application" | "stage"
    company: str
    role: str
    application_id: int | None = None
    applied_on: date | None = None
    stage: str = "applied"          # the latest stage the mail shows
    stage_on: date | None = None
    interview_at: datetime | None = None
    source: str = ""
    url: str = ""
    contact_name: str = ""
    contact_email: str = ""
    confidence: float = 0.0
    reasons: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)   # where each finding came from
    matched: bool = False           # a confirmation of an application already tracked

    @property
    def key(self) -> tuple[str, str]:
        return normal_company(self.company), normal_role(self.role)

    def fingerprint(self) -> str:
        company, role = self.key
        if self.kind == "stage":
            return f"capture:stage:{self.application_id}:{self.stage}:{self.stage_on}"
        return f"capture:application:{company}:{role}"

    def summary(self) -> str:
        role = self.role or "(role not named in the mail)"
        if self.kind == "stage":
            when = f" on {self.stage_on.isoformat()}" if self.stage_on else ""
            at = (f" (interview {self.interview_at.isoformat(timespec='minutes')})"
                  if self.interview_at else "")
            return f"#{self.application_id} {self.company} / {role}: stage → {self.stage}{when}{at}"
        parts = [f"applied {self.applied_on.isoformat()}"] if self.applied_on else []
        if self.stage != "applied":
            since = f" since {self.stage_on.isoformat()}" if self.stage_on else ""
            parts.append(f"now {self.stage}{since}")
        parts.append(f"via {self.source or 'email'}")
        return f"{self.company} / {role} ({', '.join(parts)})"


class Ledger:
    """Folds a run's findings, in mail order, into proposals."""

    def __init__(self, tracked: Iterable[Tracked]) -> None:
        self.tracked = list(tracked)
        self._by_key: dict[tuple[str, str], Tracked] = {}
        self._by_company: dict[str, list[Tracked]] = {}
        self._by_url: dict[str, Tracked] = {}
        for app in self.tracked:
            self._by_key.setdefault((normal_company(app.company), normal_role(app.role)), app)
            self._by_company.setdefault(normal_company(app.company), []).append(app)
            if app.url:
                self._by_url.setdefault(normal_url(app.url), app)
        self.proposals: dict[tuple[str, ...], Proposal] = {}

    def match(self, finding: Finding) -> Tracked | None:
        """The tracked application a finding is about, if any."""
        if finding.url:
            hit = self._by_url.get(normal_url(finding.url))
            if hit is not None:
                return hit
        company, role = normal_company(finding.company), normal_role(finding.role)
        if role:
            hit = self._by_key.get((company, role))
            if hit is not None:
                return hit
        same = self._by_company.get(company, [])
        if not role or finding.kind != "application":
            # No role named (or a different wording of it): the company's one open
            # application, else its latest.
            if len(same) == 1:
                return same[0]
            open_ = [a for a in same if a.stage in ("applied", "interviewing", "offer")]
            if not role and open_:
                return max(open_, key=lambda a: (a.applied_on or date.min, a.id))
        return None

    def add(self, where: str, finding: Finding) -> None:
        tracked = self.match(finding)
        if finding.kind == "outreach":
            self._fold_new(where, finding, stage="wishlist")
        elif tracked is not None:
            self._fold_tracked(where, finding, tracked)
        else:
            self._fold_new(where, finding, stage=STAGE_OF.get(finding.kind, "applied"))

    def _fold_tracked(self, where: str, finding: Finding, app: Tracked) -> None:
        if finding.kind == "application":
            key: tuple[str, ...] = ("matched", str(app.id))
            prop = self.proposals.setdefault(key, Proposal(
                kind="application", company=app.company, role=app.role,
                application_id=app.id, matched=True))
        else:
            stage = STAGE_OF[finding.kind]
            if app.stage == stage:
                key = ("matched", str(app.id))
                prop = self.proposals.setdefault(key, Proposal(
                    kind="application", company=app.company, role=app.role,
                    application_id=app.id, matched=True))
            else:
                key = ("stage", str(app.id))
                prop = self.proposals.setdefault(key, Proposal(
                    kind="stage", company=app.company, role=app.role,
                    application_id=app.id, stage=stage))
                if prop.stage_on is None or (finding.on and finding.on >= prop.stage_on):
                    prop.stage, prop.stage_on = stage, finding.on
                    prop.interview_at = finding.interview_at if stage == "interviewing" \
                        else prop.interview_at
        self._note(prop, where, finding)

    def _fold_new(self, where: str, finding: Finding, *, stage: str) -> None:
        company, role = normal_company(finding.company), normal_role(finding.role)
        key: tuple[str, ...] = ("new", company, role)
        if key not in self.proposals and not role:
            # A rejection that names no role: the one proposal at that company, if one.
            same = [k for k in self.proposals if k[0] == "new" and k[1] == company]
            if len(same) == 1:
                key = same[0]
        elif key not in self.proposals and ("new", company, "") in self.proposals:
            # An earlier finding without the role: this one names it.
            earlier = self.proposals.pop(("new", company, ""))
            earlier.role = finding.role
            self.proposals[key] = earlier
        prop = self.proposals.get(key)
        if prop is None:
            prop = self.proposals[key] = Proposal(
                kind="application", company=finding.company, role=finding.role,
                stage=stage, source=finding.source)
        if finding.kind == "application" and (prop.applied_on is None or (
                finding.on and finding.on < prop.applied_on)):
            prop.applied_on = finding.on
            prop.source = finding.source if finding.source != "email" or not prop.source \
                else prop.source
        if finding.kind in STAGE_OF and (prop.stage_on is None or (
                finding.on and finding.on >= prop.stage_on)):
            prop.stage, prop.stage_on = STAGE_OF[finding.kind], finding.on
            if finding.interview_at is not None:
                prop.interview_at = finding.interview_at
        if prop.applied_on is None and finding.kind != "outreach":
            prop.applied_on = finding.on if finding.kind == "application" else None
        self._note(prop, where, finding)

    @staticmethod
    def _note(prop: Proposal, where: str, finding: Finding) -> None:
        prop.url = prop.url or finding.url
        prop.contact_name = prop.contact_name or finding.contact_name
        prop.contact_email = prop.contact_email or finding.contact_email
        if not prop.role and finding.role:
            prop.role = finding.role
        prop.confidence = max(prop.confidence, finding.confidence)
        if len(prop.reasons) < 5:
            prop.reasons.append(finding.why)
        if len(prop.sources) < 20:
            prop.sources.append(where)

    def results(self) -> list[Proposal]:
        return list(self.proposals.values())
