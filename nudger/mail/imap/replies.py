"""Replies and the pause they put on an application's nudges ([mailbox] replies).

A reply from a contact pauses the application (replies = "pause") until a stage change,
a touch logged after the reply, or `nudger resume`. With replies = "note" the reply is
recorded and shown and nothing pauses. The pause lives on the application row
(paused_since, paused_by) so the cadence engine sees it in the same query as the stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from nudger.errors import UsageError
from nudger.store.models import Application, Contact, MailMessage
from nudger.track import tracker
from nudger.when.times import as_utc


def pause(session: Session, app: Application, reply: MailMessage, now: datetime) -> bool:
    """Pause `app` because of `reply`; False when a later reply already paused it."""
    if app.paused_since is not None and as_utc(app.paused_since) >= as_utc(reply.date):
        return False
    app.paused_since = as_utc(reply.date)
    app.paused_by = reply.id
    app.updated_at = as_utc(now)
    session.add(app)
    return True


def end_pause(app: Application) -> bool:
    """Clear the pause (the caller's session writes the row)."""
    if app.paused_since is None:
        return False
    app.paused_since = None
    app.paused_by = None
    return True


def resume(session: Session, app_id: int, now: datetime) -> tuple[Application, bool]:
    """`nudger resume ID`: the application's nudges run again."""
    app = tracker.get_application(session, app_id)
    was = end_pause(app)
    if was:
        app.updated_at = as_utc(now)
        session.add(app)
    return app, was


def confirm_possible_reply(session: Session, app_id: int, key: str, now: datetime) -> str:
    """Accepting a "possible reply" suggestion: the message becomes a reply of `app_id`
    (and pauses it, as a reply from a contact would, when it is the newest)."""
    message = session.exec(select(MailMessage).where(MailMessage.key == key)).first()
    if message is None:
        raise UsageError("the message this suggestion is about is no longer recorded")
    app = tracker.get_application(session, app_id)
    message.kind = "reply"
    message.application_id = app_id
    session.add(message)
    session.flush()
    paused = pause(session, app, message, now)
    who = message.from_name or message.from_addr
    return (f"recorded the reply from {who} to #{app.number} {app.company}"
            + ("; its nudges are paused until `nudger resume " + str(app.number) + "`"
               if paused else ""))


@dataclass(frozen=True)
class ReplyInfo:
    """A reply as the digest and `show` present it."""

    app_id: int
    company: str
    role: str
    stage: str
    who: str
    address: str
    at: datetime  # UTC
    subject: str
    snippet: str
    paused: bool
    recorded_at: datetime | None = None  # UTC: when the sync recorded it


def recent_replies(session: Session, since: datetime, app_id: int | None = None
                   ) -> list[ReplyInfo]:
    """Replies recorded with a date at or after `since` (newest first)."""
    query = (select(MailMessage, Application)
             .join(Application, col(Application.id) == col(MailMessage.application_id))
             .where(MailMessage.kind == "reply",
                    col(MailMessage.date) >= since.astimezone(UTC)))
    if app_id is not None:
        query = query.where(MailMessage.application_id == app_id)
    return [_info(m, a) for m, a in
            session.exec(query.order_by(col(MailMessage.date).desc())).all()]


def paused_replies(session: Session) -> list[ReplyInfo]:
    """The replies that paused an application which is still paused (awaiting the user)."""
    query = (select(MailMessage, Application)
             .join(Application, col(Application.paused_by) == col(MailMessage.id))
             .where(col(Application.paused_since).is_not(None)))
    return [_info(m, a) for m, a in session.exec(query).all()]


def _info(message: MailMessage, app: Application) -> ReplyInfo:
    assert app.id is not None
    at = as_utc(message.date)
    return ReplyInfo(
        app_id=app.id, company=app.company, role=app.role, stage=app.stage,
        who=message.from_name or message.from_addr, address=message.from_addr,
        at=at, subject=message.subject, snippet=message.snippet,
        paused=app.paused_by == message.id and app.paused_since is not None,
        recorded_at=as_utc(message.created_at))


def handled(session: Session, reply: ReplyInfo, mode: str) -> bool:
    """Has the user answered this reply? A reply still pausing its application has not;
    with replies = "pause", one that no longer pauses an open application was (a stage
    change, a touch logged after it, `resume`); otherwise a stage change or a touch
    recorded after the reply was is the answer."""
    from nudger.store.models import StageChange, Touch
    from nudger.vocab import OPEN_STAGES

    if reply.paused:
        return False
    if mode == "pause" and reply.stage in OPEN_STAGES:
        return True
    if reply.recorded_at is None:
        return False
    after = reply.recorded_at
    for model in (StageChange, Touch):
        later = session.exec(select(model.id).where(
            model.application_id == reply.app_id,
            col(model.created_at) > after)).first()
        if later is not None:
            return True
    return False


def bouncing_contacts(session: Session, app_id: int | None = None) -> list[Contact]:
    query = select(Contact).where(col(Contact.bounced_at).is_not(None))
    if app_id is not None:
        query = query.where(Contact.application_id == app_id)
    return list(session.exec(query.order_by(col(Contact.id))).all())
