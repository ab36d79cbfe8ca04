"""One seeker's digest of one day, for the workers (`nudger worker`).

`compose_for(seeker_id, local_date, ...)` is the one call the workers' send task makes to
compose. The rows are scoped by seeker (nudger/store/scope.py), but the workers' tick does
not yet find seekers by their next digest time: the workers serve the single user's job
hunt (`SINGLE_SEEKER`), whose digest is today's `compose_digest` with config.toml's profile
and schedule, and refuse any other seeker before anything is claimed (`check_seeker`).
Serving every seeker means opening the session scoped to `seeker_id` with the seeker's
settings (`track.seeker_profile.settings_for`) here; nothing above this call changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from nudger.errors import NotFoundError

if TYPE_CHECKING:
    from sqlmodel import Session

    from nudger.config import Settings
    from nudger.digest.compose import ComposedDigest
    from nudger.when.business import Calendar

SINGLE_SEEKER = 1  # the one job hunt a database holds until rows are scoped by seeker


def check_seeker(seeker_id: int) -> None:
    """NotFoundError for a seeker whose digest cannot be composed yet."""
    if seeker_id != SINGLE_SEEKER:
        raise NotFoundError(
            f"seeker {seeker_id}: this nudger composes the single user's digest only "
            f"(seeker {SINGLE_SEEKER}); the workers do not find other seekers yet: send "
            "theirs with `nudger --seeker EMAIL digest --send`")


def compose_for(seeker_id: int, local_date: date, *, settings: Settings, session: Session,
                calendar: Calendar, now: datetime, notices: Sequence[str] = ()
                ) -> ComposedDigest:
    """The digest of `seeker_id` for `local_date` as of `now`, read in `session`."""
    from nudger.digest.compose import compose_digest

    check_seeker(seeker_id)
    return compose_digest(settings, session, calendar, local_date, now, notices=notices)
