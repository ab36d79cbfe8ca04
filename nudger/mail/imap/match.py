"""Which application a mail message belongs to, strongest evidence first (docs/mailbox.md):

1. thread: its In-Reply-To/References name a message nudger recorded for an application;
2. contact: its sender (for Sent: a recipient) is a contact's address;
3. company domain: the address's domain is the company's, learned from the contacts'
   addresses and the job URL, never from a free-mail or ATS domain — only a suggestion.

Addresses are compared exactly (lower-cased): a display name that imitates a contact with
another address matches nothing. The index is loaded once per pass in a few queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from sqlmodel import Session

from nudger.mail.imap.headers import MailHeader, domain_of
from nudger.store.models import Application, Contact, MailMessage, table_of
from nudger.store.scope import seeker_of
from nudger.store.states import plain_cursor
from nudger.vocab import OPEN_STAGES

DATA = Path(__file__).resolve().parent.parent / "data"


@cache
def domain_list(name: str) -> frozenset[str]:
    """A shipped list (nudger/mail/data/NAME.txt): one domain a line, # comments."""
    out = set()
    for line in (DATA / f"{name}.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip().lower()
        if line:
            out.add(line)
    return frozenset(out)


def _listed(domain: str, names: frozenset[str]) -> bool:
    parts = domain.lower().strip(".").split(".")
    return any(".".join(parts[i:]) in names for i in range(len(parts) - 1))


def is_free_mail(domain: str) -> bool:
    return _listed(domain, domain_list("freemail"))


def is_ats(domain: str) -> bool:
    return _listed(domain, domain_list("ats"))


@lru_cache(maxsize=4096)  # pure; a mailbox repeats a few hundred domains
def company_domain(domain: str) -> str:
    """The registrable-ish part of a domain worth learning ("" for free-mail/ATS): jobs.acme.com
    and acme.com are the same company."""
    domain = domain.lower().strip(".")
    if not domain or "." not in domain or is_free_mail(domain) or is_ats(domain):
        return ""
    parts = domain.split(".")
    # Keep two labels, three for a two-letter country suffix under a short second level
    # (acme.co.uk, acme.com.au).
    if len(parts) >= 3 and len(parts[-1]) == 2 and parts[-2] in ("co", "com", "org", "net",
                                                                  "ac", "gov", "ne", "or"):
        return ".".join(parts[-3:])
    return ".".join(parts[-2:])


def url_domain(url: str) -> str:
    try:
        host = urlsplit(url if "//" in url else "//" + url).hostname or ""
    except ValueError:
        return ""
    return company_domain(host)


@dataclass
class AppRef:
    id: int
    company: str
    stage: str
    updated: str  # ISO text, for "most recent first"

    @property
    def open(self) -> bool:
        return self.stage in OPEN_STAGES


@dataclass
class Index:
    """What matching needs, loaded once per pass and kept current as the pass records."""

    apps: dict[int, AppRef] = field(default_factory=dict)
    by_contact: dict[str, list[int]] = field(default_factory=dict)  # address → app ids
    contact_ids: dict[tuple[int, str], int] = field(default_factory=dict)
    by_domain: dict[str, list[int]] = field(default_factory=dict)
    by_message_id: dict[str, int] = field(default_factory=dict)  # known Message-ID → app

    def best(self, ids: Iterable[int]) -> int | None:
        """Of several applications, the open one touched most recently."""
        refs = [self.apps[i] for i in dict.fromkeys(ids) if i in self.apps]
        if not refs:
            return None
        refs.sort(key=lambda r: (r.open, r.updated, r.id), reverse=True)
        return refs[0].id

    def by_thread(self, header: MailHeader) -> int | None:
        for mid in header.thread_ids:
            app = self.by_message_id.get(mid)
            if app is not None and app in self.apps:
                return app
        return None

    def by_address(self, address: str) -> int | None:
        return self.best(self.by_contact.get(address, ()))

    def by_company(self, address: str) -> int | None:
        domain = company_domain(domain_of(address))
        return self.best(self.by_domain.get(domain, ())) if domain else None

    def remember(self, message_id: str, app_id: int | None) -> None:
        if message_id and app_id is not None:
            self.by_message_id.setdefault(message_id, app_id)


# The index's reads, with the table names of the models (store.models).
# Each reads one seeker's rows (nudger/store/scope.py): `?` is the seeker.
_APPS_SQL = (f"SELECT id, company, stage, url, updated_at FROM {table_of(Application).name} "
             "WHERE seeker_id = ?")
_CONTACTS_SQL = (f"SELECT id, application_id, email FROM {table_of(Contact).name} "
                 "WHERE seeker_id = ? AND email != ''")
_MESSAGES_SQL = (f"SELECT message_id, application_id FROM {table_of(MailMessage).name} "
                 "WHERE seeker_id = ? AND application_id IS NOT NULL AND message_id != ''")


def load_index(session: Session) -> Index:
    index = Index()
    seeker = (seeker_of(session),)
    cursor = plain_cursor(session)
    try:
        for app_id, company, stage, url, updated in cursor.execute(_APPS_SQL, seeker):
            index.apps[app_id] = AppRef(app_id, company, stage, str(updated))
            domain = url_domain(url or "")
            if domain:
                index.by_domain.setdefault(domain, []).append(app_id)
        for contact_id, app_id, email in cursor.execute(_CONTACTS_SQL, seeker):
            address = email.strip().lower()
            index.by_contact.setdefault(address, []).append(app_id)
            index.contact_ids[(app_id, address)] = contact_id
            domain = company_domain(domain_of(address))
            if domain and app_id not in index.by_domain.get(domain, []):
                index.by_domain.setdefault(domain, []).append(app_id)
        for message_id, app_id in cursor.execute(_MESSAGES_SQL, seeker):
            index.by_message_id.setdefault(message_id, app_id)
    finally:
        cursor.close()
    return index
