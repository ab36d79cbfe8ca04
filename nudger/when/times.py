"""Moments as the database keeps them: aware UTC. Reads no clock."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC. A naive one is taken as UTC already: SQLite hands stored datetimes
    back without a zone, and they were stored as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def supported(moment: datetime | None) -> datetime | None:
    """`moment` in UTC when its date is in the one supported range (nudger.when.dates:
    EARLIEST..LATEST), else None: a stored or received moment past it (a reply "dated"
    31 Dec 9999) is no date at all, and never overflows a conversion to a local zone."""
    from nudger.when.dates import EARLIEST, LATEST

    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    elif not EARLIEST < moment.replace(tzinfo=None).date() < LATEST:
        return None  # astimezone(UTC) itself may overflow at the edges
    utc = moment.astimezone(UTC)
    return utc if EARLIEST <= utc.date() <= LATEST else None


def local(moment: datetime | None, zone: tzinfo) -> datetime | None:
    """`moment` in `zone`; None for no moment or one outside the supported range."""
    utc = supported(moment)
    return None if utc is None else utc.astimezone(zone)
