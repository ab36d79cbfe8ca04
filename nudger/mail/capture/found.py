"""The digest's FOUND IN YOUR MAIL: open suggestions, and what was added from the mail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlmodel import Session, col, select

FOUND_KINDS = ("application", "stage", "contact")  # reply suggestions head REPLIES instead
FOUND_LIMIT = 20


def found_since(day: date, zone: tzinfo) -> datetime:
    """Since when the digest of `day` lists what was added from the mail: the day before's
    local midnight."""
    return datetime.combine(day - timedelta(days=1), time(0), tzinfo=zone)


def found_in_mail(session: Session, since: datetime) -> dict[str, list[dict[str, Any]]]:
    """What the digest lists under FOUND IN YOUR MAIL: the open suggestions (with the
    commands that accept or dismiss them) and what was added from the mail since `since`
    (`capture = "add"`, or the user's own accept). Values are one line already (the store
    keeps them so); the templates escape them for HTML."""
    from nudger.store.models import Suggestion

    rows = session.exec(
        select(Suggestion).where(col(Suggestion.kind).in_(FOUND_KINDS))
        .where((col(Suggestion.status) == "open") | (
            (col(Suggestion.status) == "accepted") & (col(Suggestion.decided_at) >= since)))
        .order_by(col(Suggestion.id))).all()
    return found_among(rows)


def found_among(rows: Sequence[Any]) -> dict[str, list[dict[str, Any]]]:
    """FOUND IN YOUR MAIL from `rows`: the suggestions `found_in_mail` selects, in id order
    (a batch reads its seekers' rows at once: store/read_batch.py)."""
    found: dict[str, list[dict[str, Any]]] = {"open": [], "added": [], "more": []}
    for s in rows:
        item = {"id": f"S{s.id}", "kind": s.kind, "summary": s.summary, "reason": s.reason,
                "confidence": round(s.confidence, 2), "application_id": s.application_id,
                "accept": f"nudger accept S{s.id}", "dismiss": f"nudger dismiss S{s.id}"}
        bucket = found["open"] if s.status == "open" else found["added"]
        (bucket if len(bucket) < FOUND_LIMIT else found["more"]).append(item)
    return found
