"""The digest's news: what the mailbox brought since the last digest was sent — replies,
suggestions found in the mail, bounces, command results. A day with news has a digest
whatever `[digest] send_when_empty` says, and its subject names the news ("1 reply:
Tailspin Toys"). Counted by when nudger recorded each thing (never by a Date header a
sender chose), so a reply read after the last digest is news exactly once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from nudger.digest.render import plural
from nudger.text import clean_header

MAX_NAMES = 3
# A reply the first pass finds in the mailbox's history (lookback: weeks back) is recorded
# now, but it is not news: only replies written this recently are.
REPLY_NEWS_AGE = timedelta(days=7)


def _names(names: list[str]) -> str:
    unique = list(dict.fromkeys(clean_header(n, limit=40) for n in names))
    shown = ", ".join(unique[:MAX_NAMES])
    return shown + (f" and {len(unique) - MAX_NAMES} more" if len(unique) > MAX_NAMES else "")


def news_since(session: Session, since: datetime | None, now: datetime) -> list[str]:
    """One headline per kind of news recorded after `since` (None: ever) as of `now`, most
    pressing first: replies (written within REPLY_NEWS_AGE), bounces, suggestions, command
    results."""
    from nudger.mail.act.commandlog import MailCommand
    from nudger.mail.capture.found import FOUND_KINDS
    from nudger.store.models import Application, Contact, MailMessage, Suggestion

    after = since.astimezone(UTC) if since is not None else None
    news: list[str] = []

    replies = select(Application.company).join(
        MailMessage, col(MailMessage.application_id) == col(Application.id)).where(
        MailMessage.kind == "reply",
        col(MailMessage.date) >= (now - REPLY_NEWS_AGE).astimezone(UTC))
    if after is not None:
        replies = replies.where(col(MailMessage.created_at) > after)
    companies = list(session.exec(replies.order_by(col(MailMessage.id))).all())
    if companies:
        news.append(f"{plural(len(companies), 'reply', 'replies')}: {_names(companies)}")

    bounces = select(Contact.email).where(col(Contact.bounced_at).is_not(None))
    if after is not None:
        bounces = bounces.where(col(Contact.bounced_at) > after)
    addresses = list(session.exec(bounces.order_by(col(Contact.id))).all())
    if addresses:
        news.append(f"{plural(len(addresses), 'bounce')}: {_names(addresses)}")

    found = select(Suggestion.summary).where(col(Suggestion.kind).in_(FOUND_KINDS),
                                             Suggestion.status == "open")
    if after is not None:
        found = found.where(col(Suggestion.created_at) > after)
    summaries = list(session.exec(found.order_by(col(Suggestion.id))).all())
    if summaries:
        news.append(f"{plural(len(summaries), 'suggestion')}: {_names(summaries)}")

    commands = select(MailCommand.done, MailCommand.refusal)
    if after is not None:
        commands = commands.where(col(MailCommand.processed_at) > after)
    done = refused = 0
    for done_json, refusal in session.exec(commands).all():
        if refusal:
            refused += 1
        else:
            done += len(json.loads(done_json or "[]"))
    if done:
        news.append(f"{done} done by mail")
    if refused:
        news.append(f"{plural(refused, 'command')} refused")
    return news
