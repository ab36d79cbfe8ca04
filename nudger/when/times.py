"""Moments as the database keeps them: aware UTC. Reads no clock."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC. A naive one is taken as UTC already: SQLite hands stored datetimes
    back without a zone, and they were stored as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
