"""The one read path from the database to the engines: `load_states` (what the cadence
engine needs), `load_history` (what stats needs), `load_digest` (what a digest shows).

Every statement is built from the model tables (store.models); nothing else in nudger
reads applications, touches, contacts, stage changes or snoozes for the engines. The hot
one, `load_states`, runs over every open application for every digest: it lives in
store.states, which reads plain rows (through the session's own DBAPI connection, or a
plain sqlite3 one for `nudger list`) and builds the engine's own types (cadence.AppState,
cadence.TouchInfo), sharing equal values (bench/b_cadence.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, tzinfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from nudger.store.models import (
    Application,
    Contact,
    MailMessage,
    Snooze,
    StageChange,
    Touch,
)
from nudger.store.states import load_states, local_date
from nudger.track.cadence import AppState, TouchInfo
from nudger.track.stats import ChangeRow, History, MailReplyRow, SnoozeRow
from nudger.vocab import OPEN_STAGES

# --- stats -------------------------------------------------------------------------------

def load_history(session: Session, zone: tzinfo = UTC) -> History:
    """The whole history, in five queries whatever its size: every application (as an
    AppState without touches), every touch by application in the order logged, the stage
    changes, the snoozes and the replies the mailbox recorded. `zone` turns the interview's
    moment into the local date the interviewing cadence counts from, as the digest does.
    (A worker's batch reads its seekers' histories together: store/read_batch.py.)"""
    return history_of(
        session.exec(select(Application).order_by(col(Application.id))).all(),
        session.exec(select(Touch).order_by(col(Touch.touched_on), col(Touch.id))).all(),
        session.exec(select(StageChange).order_by(col(StageChange.changed_on),
                                                  col(StageChange.id))).all(),
        session.exec(select(Snooze).order_by(col(Snooze.created_at), col(Snooze.id))).all(),
        session.exec(select(MailMessage).where(
            MailMessage.kind == "reply", col(MailMessage.application_id).is_not(None))
            .order_by(col(MailMessage.date))).all(), zone)


def history_of(applications: Sequence[Application], touches: Sequence[Touch],
               changes: Sequence[StageChange], snoozes: Sequence[Snooze],
               replies: Sequence[MailMessage], zone: tzinfo) -> History:
    """One seeker's History from their rows, each kind in `load_history`'s order."""
    apps = [
        AppState(id=a.id, stage=a.stage, stage_since=a.stage_since, applied_on=a.applied_on,
                 deadline=a.deadline, company=a.company, role=a.role,
                 interview_on=local_date(a.interview_at, zone))
        for a in applications if a.id is not None
    ]
    by_app: dict[int, list[TouchInfo]] = {}
    for t in touches:
        by_app.setdefault(t.application_id, []).append(
            TouchInfo(t.touched_on, t.action, t.stage, t.step, t.skipped))
    created: dict[int, int] = {}  # application → the id of its first stage change: its add
    for c in changes:
        if c.id is not None and c.id < created.get(c.application_id, c.id + 1):
            created[c.application_id] = c.id
    moves = [ChangeRow(c.application_id, c.stage, c.changed_on,
                       created.get(c.application_id) == c.id) for c in changes]
    snoozed = [SnoozeRow(s.application_id, s.until, s.created_at.date()) for s in snoozes]
    mail_replies = [
        MailReplyRow(m.application_id, day) for m in replies
        # a stored date outside the supported range is no date: that row counts no reply
        if m.application_id is not None and (day := local_date(m.date, zone)) is not None
    ]
    return History(apps, by_app, moves, snoozed, mail_replies)


# --- the digest --------------------------------------------------------------------------

@dataclass(frozen=True)
class DigestData:
    """What one day's digest shows: the open applications (as models, for the templates'
    values) with their engine states, contacts and last real touch, and how many
    applications are tracked in all."""

    apps: dict[int, Application]
    states: list[AppState]
    contacts: dict[int, list[Contact]]
    last: dict[int, Touch]
    tracked: int


def load_digest(session: Session, day: date, zone: tzinfo) -> DigestData:
    apps = list(session.exec(select(Application)
                             .where(col(Application.stage).in_(OPEN_STAGES))
                             .order_by(col(Application.id))).all())
    states = load_states(session, apps, zone=zone)  # the interview's local date
    ids = [a.id for a in apps if a.id is not None]
    tracked = session.exec(select(func.count()).select_from(Application)).one()
    return DigestData({a.id: a for a in apps if a.id is not None}, states,
                      group_contacts(session, ids), last_touches(session, ids, day),
                      int(tracked))


def group_contacts(session: Session, ids: Sequence[int]) -> dict[int, list[Contact]]:
    out: dict[int, list[Contact]] = {}
    if not ids:
        return out
    rows = session.exec(select(Contact).where(col(Contact.application_id).in_(ids))
                        .order_by(col(Contact.id))).all()
    for contact in rows:
        out.setdefault(contact.application_id, []).append(contact)
    return out


def last_touches(session: Session, ids: Sequence[int], day: date) -> dict[int, Touch]:
    """Each application's latest real (not skipped) touch on or before `day`."""
    out: dict[int, Touch] = {}
    if not ids:
        return out
    rows = session.exec(
        select(Touch).where(col(Touch.application_id).in_(ids))
        .where(col(Touch.skipped).is_(False)).where(col(Touch.touched_on) <= day)
        .order_by(col(Touch.touched_on), col(Touch.id))
    ).all()
    for touch in rows:
        out[touch.application_id] = touch
    return out
