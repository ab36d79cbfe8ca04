"""One day's digest: what is due, each nudge with its draft, rendered into a complete
`EmailMessage`. One concept over 400 lines: the digest's template values, and checking the
templates with the same values (sample data), kept beside each other so they cannot drift.

The flow: the store (applications, contacts, touches) → `cadence.due_on` → plain data
(dicts, so user templates in the sandbox see values, never model objects) → every template
rendered → the message built. Rendering finishes before the message exists, so a broken
template raises `ConfigError` and no half-rendered digest can be sent.

The "this week's effort" section comes from `nudger.track.stats.effort_section` (the numbers
`nudger stats` shows, weekly on `digest.effort_day`); its result is the template variable
`effort` (the section shows when it is not none).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlmodel import Session

from nudger import __version__
from nudger.config import Settings
from nudger.digest.render import OutputTooLong, Renderer
from nudger.digest.values import (
    DraftMaker,
    Gathered,
    app_values,
    contact_values,
    gather,
    local_moment,
    nudge_item,
    pick_contact,
    profile_values,
    render_draft,
    when_text,
)
from nudger.mail.act.buttons import Buttons
from nudger.mail.act.drafts import draft_key
from nudger.send.message import DIGEST, Parts, build_message, digest_message_id, render_parts
from nudger.store.read import load_history
from nudger.text import clean_header
from nudger.track.cadence import Cold, Nudge
from nudger.track.stats import effort_section, is_effort_day
from nudger.when.business import Calendar

if TYPE_CHECKING:
    from nudger.store.read_batch import Preloaded

__all__ = ["ComposedDigest", "compose_digest", "digest_message_id"]

UPCOMING_INTERVIEW_DAYS = 14


@dataclass(frozen=True)
class ComposedDigest:
    local_date: date
    message: EmailMessage  # complete: From, To, Subject, Date, Message-ID, Auto-Submitted
    message_id: str
    nudges: int  # nudges it carries (0 = nothing due)
    text: str  # the plain-text part
    html: str  # the HTML part
    news: int = 0  # headlines of mailbox news since the last digest (nudger.digest.news)


def _cold_item(settings: Settings, g: Gathered, cold: Cold) -> dict[str, Any]:
    return {
        "app": app_values(g.apps[cold.app_id], settings),
        "days": cold.days,
        "since": cold.since.isoformat(),
        "auto_ghost": cold.auto_ghost,
        "command": f"nudger stage {cold.app_id} ghosted",
    }


def _interviews(settings: Settings, g: Gathered, day: date,
                now: datetime) -> list[dict[str, Any]]:
    """Interviews in the next two weeks, seen from `now` on the digest's own day and from
    the digest's moment when previewing another day."""
    from nudger.when.schedule import digest_moment

    if now.astimezone(settings.zone).date() != day:
        now = digest_moment(settings, day)
    horizon = now + timedelta(days=UPCOMING_INTERVIEW_DAYS)
    found: list[tuple[datetime, int, dict[str, Any]]] = []
    for app in g.apps.values():
        moment = local_moment(app.interview_at, settings)
        if moment is None or not now <= moment <= horizon:
            continue
        contact = pick_contact(g.contacts.get(app.id or 0, []), "thank-you")
        found.append((moment, app.id or 0, {
            "app": app_values(app, settings), "when": when_text(moment),
            "in_days": (moment.date() - day).days,
            "contact": contact_values(contact)}))
    return [item for _m, _i, item in sorted(found, key=lambda f: (f[0], f[1]))]


def _footer(settings: Settings, day: date, now: datetime, g: Gathered) -> dict[str, Any]:
    from nudger.when.schedule import digest_moment, next_digest_at

    after = max(now, digest_moment(settings, day))
    upcoming = next_digest_at(settings, after)
    zone = settings.timezone or str(upcoming.tzname())
    return {
        "next_digest": f"{upcoming:%A} {upcoming.day} {upcoming:%B} at {upcoming:%H:%M} "
                       f"({zone})",
        "tracked": g.tracked,
        "open": len(g.apps),
        "version": __version__,
        "mailbox": g.mail.status if g.mail else "",
    }


# A digest has a bounded size whatever the day holds (800 nudges after importing a
# backlog): the first FULL_NUDGES (overdue first, then by due date) in full with their
# drafts, the next BRIEF_NUDGES as one line each, then "and N more — `nudger due`".
# When even that is too long for the renderer's output cap (huge user-typed values), the
# digest is rendered again with fewer in full (FALLBACK_FULL), down to none.
FULL_NUDGES = 25
BRIEF_NUDGES = 200
FALLBACK_FULL = (5, 0)
MAX_COLD = 50  # "going cold" entries listed; the rest counted
MAX_INTERVIEWS = 50


def _brief_item(settings: Settings, g: Gathered, nudge: Nudge) -> dict[str, Any]:
    """One line of the digest's "in brief" list: short, whatever the user typed."""
    app = g.apps[nudge.app_id]
    return {
        "app": {"id": app.number, "company": clean_header(app.company, limit=60),
                "role": clean_header(app.role, limit=60)},
        "label": nudge.label,
        "action": nudge.action,
        "due": nudge.due.isoformat(),
        "overdue_days": nudge.overdue_days,
        "command": f"nudger done {nudge.app_id}",
    }


def digest_context(
    draft: DraftMaker, settings: Settings, g: Gathered, day: date, now: datetime,
    notices: Sequence[str], effort: Mapping[str, Any] | None, *,
    buttons: Buttons | None = None, by_mail: Sequence[str] = (),
    drafts_ready: Set[str] = frozenset(), full: int = FULL_NUDGES,
    news: Sequence[str] = (),
) -> dict[str, Any]:
    """The variables of the digest templates (README, "The daily digest"): `full` nudges
    in full, BRIEF_NUDGES more in brief, the rest counted in `more`."""
    ordered = g.report.overdue + g.report.today  # overdue first, as due_on sorts them
    shown = ordered[:full]
    brief = ordered[full:full + BRIEF_NUDGES]
    shown_today = [n for n in shown if n.overdue_days == 0]
    shown_overdue = [n for n in shown if n.overdue_days > 0]
    today = [nudge_item(draft, settings, g, n, day) for n in shown_today]
    overdue = [nudge_item(draft, settings, g, n, day) for n in shown_overdue]
    replies = [dict(r) for r in (g.mail.replies if g.mail else [])]
    for reply in replies:  # REPLIES come first in the digest, so their links do too
        app = reply["app"]
        reply["buttons"] = buttons.for_reply(app["id"], f"#{app['id']} {app['company']}") \
            if buttons is not None else []
    for nudge, item in zip([*shown_today, *shown_overdue], today + overdue, strict=True):
        app = g.apps[nudge.app_id]
        item["draft_ready"] = draft_key(nudge.app_id, app.stage, app.stage_since,
                                        nudge.step) in drafts_ready
    for nudge, item in zip([*shown_today, *shown_overdue], today + overdue, strict=True):
        _add_buttons(item, nudge, buttons)
    companies: list[str] = []
    for nudge in ordered:
        # Short enough that three names fit a subject line whatever the user typed.
        name = clean_header(g.apps[nudge.app_id].company, limit=40)
        if name not in companies:
            companies.append(name)
    interviews = _interviews(settings, g, day, now)
    return {
        "date": day.isoformat(),
        "date_long": f"{day:%A} {day.day} {day:%B} {day.year}",
        "me": profile_values(settings),
        "count": len(ordered),
        "companies": companies,
        # What the mailbox brought since the last digest: the subject names it first.
        "news": [clean_header(n, limit=120) for n in news],
        "notices": [clean_header(n, limit=500) for n in notices],
        "due_today": today,
        "overdue": overdue,
        "overdue_count": len(g.report.overdue),
        "due_today_count": len(g.report.today),
        "brief": [_brief_item(settings, g, n) for n in brief],
        "more": max(len(ordered) - full - BRIEF_NUDGES, 0),
        "more_command": "nudger due",
        "cold": [_cold_item(settings, g, c) for c in g.report.cold[:MAX_COLD]],
        "cold_more": max(len(g.report.cold) - MAX_COLD, 0),
        "interviews": interviews[:MAX_INTERVIEWS],
        "found_in_mail": _found_with_buttons(g.found, buttons),
        "effort": dict(effort) if effort is not None else None,
        "footer": {**_footer(settings, day, now, g),
                   "by_mail": [clean_header(line, limit=200) for line in by_mail]},
        "commands": {"address": buttons.address,
                     "examples": list(COMMAND_EXAMPLES)}
        if buttons is not None else None,
        "replies": replies,
        "bouncing": g.mail.bouncing if g.mail else [],
    }


# The reply commands both parts of the digest show, the same in each.
COMMAND_EXAMPLES = (
    "done 12", "skip 12", "snooze 12 3 days", "log 12 call talked to Dana",
    "stage 12 interviewing 2026-12-03 14:00", "note 12 called, voicemail",
    "add Acme / Account Executive / dana@acme.example", "resume 12", "accept S7",
    "dismiss S7",
)


def _add_buttons(item: dict[str, Any], nudge: Nudge, buttons: Buttons | None) -> None:
    """Done / Skip / Snooze 3 days under a nudge, each good for exactly this step
    (`mail/act/tokens.py`, pinned tokens); the text part shows each link as a numbered
    reference (`|ref`, render.LinkRefs)."""
    from nudger.mail.act.tokens import Pin

    app = item["app"]
    item["buttons"] = buttons.for_nudge(app["id"], f"#{app['id']} {app['company']}",
                                        Pin(nudge.stage, nudge.step, nudge.due)) \
        if buttons is not None else []


def render_digest(renderer: Renderer, context: Mapping[str, Any]) -> Parts:
    """The digest's trio (send.message.render_parts): every part rendered before any
    message is built."""
    return render_parts(renderer, DIGEST, context)


def _render_bounded(renderer: Renderer, context_for: Callable[..., dict[str, Any]]
                    ) -> tuple[dict[str, Any], Parts]:
    """Render the digest with FULL_NUDGES in full; when that is longer than the output
    cap (huge values in many drafts), again with fewer in full (FALLBACK_FULL). Any other
    error, or the cap with none in full, is the templates' own and is raised."""
    for full in (FULL_NUDGES, *FALLBACK_FULL):
        context: dict[str, Any] = {}
        try:
            context = context_for(full=full)  # renders the drafts of those in full
            return context, render_digest(renderer, context)
        except OutputTooLong:
            if full == FALLBACK_FULL[-1]:
                raise
            if context and not context["overdue"] and not context["due_today"]:
                raise  # nothing in full to leave out: fewer would fail the same way
    raise AssertionError("unreachable")  # pragma: no cover


def reads_only_preloaded(settings: Settings, local_date: date,
                         preloaded: Preloaded | None) -> bool:
    """Whether composing the digest of `local_date` from `preloaded` reads nothing more
    from the database: no mailbox (its replies, news and buttons read the mail tables:
    `mail_view`, `news_since`, `_mail_parts`), and on the weekly effort day the history
    read with the batch too (else `load_history`, below). Kept beside the reads it stands
    for: a worker composes such a digest on its event loop, not in a thread
    (send/leased_batch.py)."""
    return preloaded is not None and settings.imap is None and (
        preloaded.history is not None or not is_effort_day(settings, local_date))


def compose_digest(
    settings: Settings, session: Session, calendar: Calendar, local_date: date,
    now: datetime, *, notices: Sequence[str] = (), preloaded: Preloaded | None = None,
    message_id: str = "",
) -> ComposedDigest:
    """The complete digest of `local_date` as of `now` (an aware datetime): the Date header
    and the "next digest" line come from `now`, nothing reads the clock. `preloaded`: the
    seeker's applications, contacts, touches and suggestions read already, with the rest
    of a worker's batch (store/read_batch.py); `session` reads the rest."""
    renderer = Renderer.for_dir(settings.templates_dir)
    g = gather(session, settings, calendar, local_date, preloaded=preloaded)
    # The whole history is read only on the weekly effort day (with the batch, if a
    # worker's batch read it).
    effort = None
    if is_effort_day(settings, local_date):
        history = preloaded.history if preloaded is not None else None
        effort = effort_section(history if history is not None else
                                load_history(session, settings.zone), settings, calendar,
                                local_date)
    buttons, by_mail = _mail_parts(settings, session, local_date)
    news: list[str] = []
    if settings.imap is not None:
        from nudger.digest.news import news_since
        from nudger.store.outbox import last_sent_before

        news = news_since(session, last_sent_before(session, settings.recipient, local_date),
                          now)
    ready: set[str] = set()
    if settings.imap is not None and settings.mailbox.drafts:
        from nudger.mail.act.drafts import ready_keys

        ready = ready_keys(session)

    def render_all() -> tuple[int, Parts]:
        # In a bounded child when the user overrides templates (nudger.digest.bounded); the
        # size fallback (_render_bounded) runs in there too.
        context, parts = _render_bounded(renderer, partial(
            digest_context, partial(render_draft, renderer), settings, g, local_date, now,
            notices, effort, buttons=buttons, by_mail=by_mail, drafts_ready=ready,
            news=news))
        return context["count"], parts

    count, parts = renderer.bounded(render_all)
    message_id = message_id or digest_message_id(settings, local_date)
    message = build_message(settings, DIGEST, parts, message_id=message_id, now=now)
    assert parts.html is not None
    return ComposedDigest(local_date, message, message_id, count, parts.text, parts.html,
                          len(news))


def _found_with_buttons(found: dict[str, list[dict[str, Any]]],
                        buttons: Buttons | None) -> dict[str, list[dict[str, Any]]]:
    """FOUND IN YOUR MAIL with Add / Dismiss buttons on each open suggestion (when mail
    commands are on); the section's own lists are left as they were."""
    if buttons is None:
        return found
    open_ = [{**s, "buttons": buttons.for_suggestion(int(s["id"][1:]), s["summary"])}
             for s in found.get("open", [])]
    return {**found, "open": open_}


def _mail_parts(settings: Settings, session: Session,
                local_date: date) -> tuple[Buttons | None, list[str]]:
    """The buttons (when mail commands are on: an [imap] table and `[mailbox] commands`)
    and what was done by mail since the last digest sent before `local_date`."""
    from pathlib import Path

    from nudger.mail.act.buttons import buttons_enabled, command_address
    from nudger.mail.act.commandlog import done_since
    from nudger.mail.act.tokens import load_or_create_key
    from nudger.store.outbox import last_sent_before

    if not buttons_enabled(settings):
        return None, []
    by_mail = done_since(session, last_sent_before(session, settings.recipient, local_date))
    bind = session.get_bind()
    database = bind.url.database if isinstance(bind, Engine) else bind.engine.url.database
    if not database:
        return None, by_mail
    key = load_or_create_key(Path(database).parent)
    return Buttons(key, command_address(settings), local_date), by_mail
