"""One seeker's digest of one day, for whoever serves several seekers in one process (the
workers, `nudger worker`; the daemon, `nudger run`).

`serving(settings, db, seeker_id)` is the seeker as such a process sees them: config.toml's
settings with the seeker's own profile, zone and digest time over them
(`track.seeker_profile.settings_for`), and the database scoped to the seeker
(`Database.for_seeker`, nudger/store/scope.py), so every row read or written for the digest
(the outbox row, the applications, the notices) is that seeker's. The single user's seeker
(email "") has no profile of its own: config.toml's is theirs, as it always was.

`served(settings, db, row, several=...)` is the same for a seeker row read already (the
workers read a batch's seekers in one query: send/leased_batch.py).

`compose_for(seeker, local_date, ...)` is the one call that composes such a digest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from nudger.errors import NotFoundError

if TYPE_CHECKING:
    from sqlmodel import Session

    from nudger.config import Settings
    from nudger.digest.compose import ComposedDigest
    from nudger.store.db import Database
    from nudger.store.models import Seeker
    from nudger.store.read_batch import Preloaded
    from nudger.when.business import Calendar


@dataclass(frozen=True)
class ServedSeeker:
    """One seeker as a multi-seeker process serves them."""

    seeker_id: int
    email: str  # "" for the single user's seeker
    enabled: bool
    settings: Settings  # config.toml's, with the seeker's own fields over them
    db: Database  # scoped to this seeker

    @property
    def who(self) -> str:
        """How logs name the seeker: the email, or the single user."""
        return self.email or "the single user"


def serving(settings: Settings, db: Database, seeker_id: int) -> ServedSeeker:
    """The seeker `seeker_id` of `db` with their settings; NotFoundError when the seeker is
    not there (removed since the job was queued), ConfigError when a stored field of
    theirs is unusable (named, with `nudger seeker edit` to fix it)."""
    from sqlalchemy import text

    from nudger.store import scope
    from nudger.store.models import Seeker

    with db.read_session(every_seeker=True) as session:
        row = session.get(Seeker, seeker_id)
        if row is None:
            raise NotFoundError(f"seeker {seeker_id} is not in {db.where} (removed with "
                                "`nudger seeker remove`?); nothing to send for them")
        # Whether the scoped sessions guard their statements (nudger/store/scope.py), read
        # here rather than on a connection of its own at the seeker's first session.
        several = scope.several_seekers(
            lambda sql, params: session.execute(text(sql), params).all())
        return served(settings, db, row, several=several)


def served(settings: Settings, db: Database, row: Seeker, *, several: bool
           ) -> ServedSeeker:
    """`serving` for a seeker row read already (the workers' batches read theirs in one
    query); `several`: whether the database holds more than one seeker. ConfigError when
    a stored field of theirs is unusable."""
    from nudger.track.seeker_profile import SeekerProfile, settings_for

    assert row.id is not None
    profile = SeekerProfile.of(row)
    return ServedSeeker(row.id, profile.email, bool(row.enabled),
                        settings_for(settings, profile), db.for_seeker(row.id, several=several))


def compose_for(seeker: ServedSeeker, local_date: date, *, session: Session,
                calendar: Calendar, now: datetime, notices: Sequence[str] = (),
                preloaded: Preloaded | None = None, message_id: str = "") -> ComposedDigest:
    """The digest of `seeker` for `local_date` as of `now`, read in `session` (one of
    `seeker.db`'s, so scoped to the seeker); `message_id` the one its outbox row holds
    (a new one when empty)."""
    from nudger.digest.compose import compose_digest

    return compose_digest(seeker.settings, session, calendar, local_date, now,
                          notices=notices, preloaded=preloaded, message_id=message_id)
