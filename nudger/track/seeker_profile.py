"""A seeker's own profile over the organisation's config.toml.

config.toml is the organisation's defaults (cadence, templates, delivery, servers); a
seeker's own name, address, phone, pitch, signature, social handle, time zone and digest
time and days are the seeker's (the non-empty fields of their `seeker` row). A single
user's seeker (email "") has every field empty: config.toml's `[profile]` and `[digest]`
are used as they are, so nothing changes for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import TYPE_CHECKING, Any

from nudger.errors import ConfigError

if TYPE_CHECKING:
    from nudger.config import Settings

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class SeekerProfile:
    """The profile fields of one `seeker` row ("" = config.toml's)."""

    email: str = ""
    name: str = ""
    phone: str = ""
    pitch: str = ""
    signature: str = ""
    social: str = ""
    timezone: str = ""
    digest_at: str = ""
    digest_days: str = ""

    @classmethod
    def of(cls, row: Any) -> SeekerProfile:
        return cls(**{name: getattr(row, name) or "" for name in cls.__dataclass_fields__})


def chosen_settings(settings: Settings, db: Any) -> Settings:
    """`settings` for the seeker `db` was told to serve (`--seeker`, NUDGER_SEEKER): their
    own fields over config.toml's. Without a chosen seeker, `settings` as they are."""
    if db.seeker_email is None:
        return settings
    from nudger.store.models import Seeker

    with db.read_session(every_seeker=True) as s:
        row = s.get(Seeker, db.seeker_id())
        profile = SeekerProfile.of(row) if row is not None else SeekerProfile()
    return settings_for(settings, profile)


def settings_for(settings: Settings, seeker: SeekerProfile) -> Settings:
    """`settings` with the seeker's own non-empty fields in place of config.toml's."""
    who = seeker.email or "the single user"
    profile: dict[str, Any] = {name: getattr(seeker, name) for name in
                               ("email", "name", "phone", "pitch", "signature", "social")
                               if getattr(seeker, name)}
    digest: dict[str, Any] = {}
    if seeker.digest_at:
        digest["time"] = _clock(seeker.digest_at, who)
    if seeker.digest_days:
        digest["days"] = _days(seeker.digest_days, who)
    update: dict[str, Any] = {}
    if seeker.timezone:
        update["timezone"] = _zone(seeker.timezone, who)
    if profile:
        update["profile"] = settings.profile.model_copy(update=profile)
    if digest:
        update["digest"] = settings.digest.model_copy(update=digest)
    return settings.model_copy(update=update) if update else settings


def _clock(text: str, who: str) -> time:
    try:
        hours, minutes = text.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ConfigError(f"seeker {who}: digest time {text!r} is not HH:MM (24-hour); fix "
                          "it with `nudger seeker edit`") from None


def _days(text: str, who: str) -> tuple[str, ...]:
    days = tuple(d.strip().lower() for d in text.split(",") if d.strip())
    wrong = [d for d in days if d not in DAY_NAMES]
    if wrong or not days:
        raise ConfigError(f"seeker {who}: digest days {text!r} are not a list of "
                          f"{', '.join(DAY_NAMES)}; fix them with `nudger seeker edit`")
    return days


def _zone(text: str, who: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"seeker {who}: time zone {text!r} is not an IANA zone (like "
                          "Europe/Berlin); fix it with `nudger seeker edit`") from None
    return text
