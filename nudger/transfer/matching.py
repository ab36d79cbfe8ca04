"""Matching imported rows to applications already there: the job URL, else company + role +
applied date. Re-importing a file adds nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from nudger.store.models import Application, table_of
from nudger.store.scope import seeker_of


def url_key(url: str) -> str:
    return url.strip().rstrip("/").casefold()


@dataclass
class Known:
    """Applications already there (and those this import adds), for matching rows."""

    by_url: dict[str, tuple[int, str, int | None]] = field(default_factory=dict)
    by_key: dict[tuple[str, str, date | None], tuple[int, str, str, int | None]] = field(
        default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> Known:
        known = cls()
        # One query, read through the driver: this runs over every stored application, and
        # SQLAlchemy's per-value type processing would cost more than the import itself.
        table = table_of(Application).name
        for app_id, url, company, role, applied, stage in session.connection().exec_driver_sql(
            f"SELECT id, url, company, role, applied_on, stage FROM {table} "
            f"WHERE seeker_id = {seeker_of(session):d}"
        ):
            if isinstance(applied, str):  # SQLite's ISO text; PostgreSQL gives a date
                applied = date.fromisoformat(applied) if applied else None
            known.remember(app_id, url, company, role, applied, stage, None)
        return known

    def remember(self, app_id: int, url: str, company: str, role: str, applied: date | None,
                 stage: str, line: int | None) -> None:
        self.remember_keys(app_id, url_key(url) if url else "",
                           (company.casefold(), role.casefold(), applied), stage, line)

    def remember_keys(self, app_id: int, url_key: str, key: tuple[str, str, date | None],
                      stage: str, line: int | None) -> None:
        if url_key:
            self.by_url.setdefault(url_key, (app_id, stage, line))
        self.by_key.setdefault(key, (app_id, stage, url_key, line))

    def match(self, url: str, company: str, role: str, applied: date | None
              ) -> tuple[int, str, int | None] | None:
        return self.match_keys(url_key(url) if url else "",
                               (company.casefold(), role.casefold(), applied))

    def match_keys(self, url_key: str, key: tuple[str, str, date | None]
                   ) -> tuple[int, str, int | None] | None:
        """(id, stage, line in this file or None) of the same application, if known."""
        if url_key and url_key in self.by_url:
            return self.by_url[url_key]
        found = self.by_key.get(key)
        if found is None:
            return None
        app_id, stage, known_url, line = found
        if url_key and known_url and url_key != known_url:
            return None  # two postings of one role on one day: different applications
        return app_id, stage, line
