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
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from functools import partial
from typing import Any

import jinja2
from sqlalchemy import Engine
from sqlmodel import Session, select

from nudger import __version__
from nudger.config import Settings
from nudger.digest import bounded
from nudger.digest.render import (
    DIGEST_HTML,
    DIGEST_SUBJECT,
    DIGEST_TEXT,
    SOCIAL_LIMIT,
    TEMPLATE_NAME,
    OutputTooLong,
    Renderer,
    clean_header,
    draft_body,
    draft_subject,
    fit_social,
    mailto,
    syntax_message,
)
from nudger.errors import ConfigError
from nudger.mail.act.buttons import Buttons
from nudger.mail.act.drafts import draft_key
from nudger.send.message import build_message, digest_message_id, normalize_body
from nudger.store.models import Application, Contact, Touch
from nudger.store.read import load_digest, load_history
from nudger.track.cadence import Cold, DueReport, Nudge, due_on
from nudger.track.stats import SAMPLE_EFFORT, effort_section, is_effort_day
from nudger.vocab import ACTIONS, OPEN_STAGES
from nudger.when.business import Calendar
from nudger.when.times import local

__all__ = ["ComposedDigest", "check_templates", "compose_digest", "digest_message_id",
           "install_templates"]

UPCOMING_INTERVIEW_DAYS = 14

# Who a draft for each action is addressed to, best first (models.CONTACT_KINDS).
CONTACT_PREFERENCE: dict[str, tuple[str, ...]] = {
    "network": ("mutual", "referral"),
    "thank-you": ("hiring-manager", "recruiter", "hr"),
    "visit": ("hiring-manager", "hr", "recruiter"),
    "social": ("hiring-manager", "recruiter", "hr"),
}
DEFAULT_PREFERENCE = ("hiring-manager", "recruiter", "hr", "referral", "mutual", "other")
KIND_TITLES = {
    "hiring-manager": "hiring manager", "hr": "HR", "recruiter": "recruiter",
    "referral": "referral", "mutual": "mutual connection", "other": "contact",
}


@dataclass(frozen=True)
class ComposedDigest:
    local_date: date
    message: EmailMessage  # complete: From, To, Subject, Date, Message-ID, Auto-Submitted
    message_id: str
    nudges: int  # nudges it carries (0 = nothing due)
    text: str  # the plain-text part
    html: str  # the HTML part
    news: int = 0  # headlines of mailbox news since the last digest (nudger.digest.news)


# --- from model objects to template values ----------------------------------------------

def _local(moment: datetime | None, settings: Settings) -> datetime | None:
    # A stored moment outside the supported range (a reply dated 9999) is no moment.
    return local(moment, settings.zone)


def _when(moment: datetime) -> str:
    return f"{moment:%a} {moment.day} {moment:%b}, {moment:%H:%M}"


def app_values(app: Application, settings: Settings) -> dict[str, Any]:
    interview = _local(app.interview_at, settings)
    return {
        "id": app.id, "company": app.company, "role": app.role, "url": app.url,
        "location": app.location, "address": app.address, "source": app.source,
        "stage": app.stage, "notes": app.notes,
        "applied_on": app.applied_on.isoformat() if app.applied_on else None,
        "deadline": app.deadline.isoformat() if app.deadline else None,
        "interview": _when(interview) if interview else None,
    }


def contact_values(contact: Contact | None) -> dict[str, Any] | None:
    if contact is None:
        return None
    return {
        "name": contact.name, "first_name": (contact.name.split() or [""])[0],
        "email": contact.email, "phone": contact.phone, "social": contact.social,
        "kind": contact.kind, "title": KIND_TITLES.get(contact.kind, contact.kind),
    }


def profile_values(settings: Settings) -> dict[str, Any]:
    p = settings.profile
    return {
        "name": p.name, "first_name": (p.name.split() or [""])[0], "email": p.email,
        "phone": p.phone, "pitch": p.pitch.strip(), "social": p.social,
        "signature": p.signature.strip() or p.name,
    }


def pick_contact(contacts: Sequence[Contact], action: str) -> Contact | None:
    """The person a draft for `action` goes to: by kind (a network note goes to a mutual
    connection, a call to the hiring manager), then whoever has the means (an email address
    for an email, a handle for a post)."""
    if not contacts:
        return None
    order = CONTACT_PREFERENCE.get(action, ()) + DEFAULT_PREFERENCE

    def rank(c: Contact) -> tuple[int, int, int]:
        kind = order.index(c.kind) if c.kind in order else len(order)
        means = {"email": c.email, "call": c.phone, "social": c.social}.get(action, "x")
        return (0 if means else 1, kind, c.id or 0)

    if action == "network":
        inside = [c for c in contacts if c.kind in ("mutual", "referral")]
        return min(inside, key=rank) if inside else None
    return min(contacts, key=rank)


def social_handle(contact: Contact | None, company: str) -> str:
    """The handle a post is addressed to: the contact's (`@name`, or the last part of a
    profile URL), else a placeholder the user must fill in."""
    raw = (contact.social if contact else "").strip().rstrip("/")
    if raw.startswith("@"):
        return raw.split()[0]
    if "/" in raw:
        tail = raw.rsplit("/", 1)[1].split("?")[0]
        if tail:
            return "@" + tail.lstrip("@")
    if raw:
        return "@" + raw.split()[0]
    return f"@[{company} handle]"


# --- drafts ------------------------------------------------------------------------------

def draft_context(
    settings: Settings, app: Application, contact: Contact | None, nudge: Nudge | None,
    last_touch: Touch | None, day: date, action: str,
) -> dict[str, Any]:
    """What every draft template gets (README, "The daily digest")."""
    applied = (day - app.applied_on).days if app.applied_on else None
    touch = None
    if last_touch is not None:
        touch = {"action": last_touch.action, "on": last_touch.touched_on.isoformat(),
                 "note": last_touch.note, "days_ago": (day - last_touch.touched_on).days}
    interview = _local(app.interview_at, settings)
    return {
        "me": profile_values(settings),
        "app": app_values(app, settings),
        "interview_passed": interview is not None and interview.date() <= day,
        "contact": contact_values(contact),
        "action": action,
        "step": {"label": nudge.label, "number": nudge.step, "of": nudge.steps,
                 "repeat": nudge.repeat} if nudge else None,
        "today": day.isoformat(),
        "days_since_applied": applied,
        "days_since_touch": touch["days_ago"] if touch else None,
        "last_touch": touch,
        "handle": social_handle(contact, app.company),
        "limit": SOCIAL_LIMIT,
    }


def check_template_name(name: str) -> str:
    if not TEMPLATE_NAME.match(name):
        raise ConfigError(
            f"cadence step template = {name!r}: a template name is lower-case letters, "
            "digits, '-' and '_' (it names templates/drafts/<name>.txt.j2)"
        )
    return name


def render_draft(renderer: Renderer, name: str, context: Mapping[str, Any], *,
                 with_mailto: bool = True) -> dict[str, Any]:
    """One draft: its body, and for email-like drafts (those with a .subject.j2) the
    subject and a mailto: link that opens it ready to send (not built when
    `with_mailto` is false: the calendar shows the text only)."""
    check_template_name(name)
    if not renderer.exists(draft_body(name)):
        raise ConfigError(
            f"cadence step template = {name!r}: no {draft_body(name)} in "
            f"{' or '.join(renderer.search_path())}"
        )
    body = renderer.render(draft_body(name), context).strip("\n")
    subject = None
    if renderer.exists(draft_subject(name)):
        subject = clean_header(renderer.render(draft_subject(name), context), limit=150)
    if context["action"] == "social":
        body = fit_social(body, keep=context["handle"])
    contact = context.get("contact") or {}
    to = contact.get("email", "") if subject is not None else ""
    return {
        "name": name,
        "action": context["action"],
        "subject": subject,
        "body": body,
        "to": to,
        "mailto": mailto(to, subject or "", body) if subject is not None and with_mailto
        else None,
        "chars": len(body),
        "limit": SOCIAL_LIMIT if context["action"] == "social" else None,
    }


# --- gathering ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Gathered:
    apps: dict[int, Application]
    contacts: dict[int, list[Contact]]
    last: dict[int, Touch]
    report: DueReport
    tracked: int
    mail: MailView | None = None  # None: no [imap] table
    # FOUND IN YOUR MAIL (nudger.mail.capture.found)
    found: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {"open": [], "added": [], "more": []})


def _gather(session: Session, settings: Settings, calendar: Calendar, day: date) -> _Gathered:
    data = load_digest(session, day, settings.zone)
    report = due_on(data.states, settings.cadence, calendar, day)
    from nudger.mail.capture.found import found_in_mail

    since = datetime.combine(day - timedelta(days=1), time(0), tzinfo=settings.zone)
    return _Gathered(data.apps, data.contacts, data.last, report, data.tracked,
                     _mail_view(session, settings, day), found_in_mail(session, since))


# --- the mailbox's part (docs/mailbox.md): REPLIES, bouncing addresses, when it was read ----------

REPLY_DAYS = 2  # replies this recent show even when nothing is paused (replies = "note")


@dataclass(frozen=True)
class MailView:
    replies: list[dict[str, Any]]
    bouncing: list[dict[str, Any]]
    status: str  # the footer line: when the mailbox was last read, or why it could not be


def _mail_view(session: Session, settings: Settings, day: date) -> MailView | None:
    if settings.imap is None:
        return None

    from nudger.mail.imap.replies import (
        bouncing_contacts,
        handled,
        paused_replies,
        recent_replies,
    )
    from nudger.mail.imap.status import skipped_messages
    from nudger.store.models import MailSync
    from nudger.when.schedule import digest_moment

    moment = digest_moment(settings, day)
    found = paused_replies(session) + recent_replies(
        session, moment - timedelta(days=REPLY_DAYS))
    replies = []
    seen_apps: set[int] = set()
    for r in sorted(found, key=lambda r: r.at, reverse=True):
        local = _local(r.at, settings)
        if r.app_id in seen_apps or local is None:
            continue
        if handled(session, r, settings.mailbox.replies):
            continue  # answered: a stage change, a touch or `resume` since
        seen_apps.add(r.app_id)
        replies.append({
            "app": {"id": r.app_id, "company": r.company, "role": r.role, "stage": r.stage},
            "who": clean_header(r.who, limit=80), "address": r.address,
            "when": _when(local), "ago_days": (day - local.date()).days,
            "subject": clean_header(r.subject, limit=200),
            "snippet": clean_header(r.snippet, limit=200), "paused": r.paused,
            "stage_command": f"nudger stage {r.app_id} interviewing",
            "resume_command": f"nudger resume {r.app_id}",
        })
    bouncing = []
    for c in bouncing_contacts(session):
        app = session.get(Application, c.application_id)
        if app is None or app.stage not in OPEN_STAGES:
            continue
        bouncing.append({"app": {"id": c.application_id, "company": app.company},
                         "name": c.name, "email": c.email,
                         "detail": clean_header(c.bounce_detail, limit=160),
                         "command": f"nudger contact {c.application_id} --rm {c.id}"})
    row = session.exec(select(MailSync)).first()
    status = _mailbox_status(settings, row)
    skipped, latest = skipped_messages(session, moment)
    if skipped:
        status += (f" {skipped} message(s) could not be handled and were skipped (the newest: "
                   f"{clean_header(latest[0].line(), limit=200)}); `nudger status` lists "
                   "them.")
    return MailView(replies, bouncing, status)


def _mailbox_status(settings: Settings, row: Any) -> str:
    if row is None or row.last_attempt_at is None:
        return ("The mailbox has not been read yet (the daemon reads it every "
                f"{settings.imap.poll if settings.imap else ''}; or run `nudger mail sync`).")
    last_ok = _local(row.last_ok_at, settings)
    if not row.last_error:
        return f"Mailbox last read {_when(last_ok)}." if last_ok else "Mailbox last read."
    since = f"since {_when(last_ok)}" if last_ok else "yet"
    return (f"The mailbox could not be read {since}: "
            f"{clean_header(row.last_error, limit=300)}")



# --- the digest --------------------------------------------------------------------------

DraftMaker = Callable[[str, Mapping[str, Any]], dict[str, Any]]


def _nudge_item(draft: DraftMaker, settings: Settings, g: _Gathered, nudge: Nudge,
                day: date) -> dict[str, Any]:
    app = g.apps[nudge.app_id]
    contact = pick_contact(g.contacts.get(nudge.app_id, []), nudge.action)
    ctx = draft_context(settings, app, contact, nudge, g.last.get(nudge.app_id), day,
                        nudge.action)
    return {
        "app": ctx["app"],
        "label": nudge.label,
        "action": nudge.action,
        "due": nudge.due.isoformat(),
        "overdue_days": nudge.overdue_days,
        "days_since_applied": ctx["days_since_applied"],
        "days_since_touch": ctx["days_since_touch"],
        "last_touch": ctx["last_touch"],
        "contact": ctx["contact"],
        "contacts": len(g.contacts.get(nudge.app_id, [])),
        "draft": draft(nudge.template, ctx),
        "command": f"nudger done {nudge.app_id}",
        "skip_command": f"nudger skip {nudge.app_id}",
    }


def _cold_item(settings: Settings, g: _Gathered, cold: Cold) -> dict[str, Any]:
    return {
        "app": app_values(g.apps[cold.app_id], settings),
        "days": cold.days,
        "since": cold.since.isoformat(),
        "auto_ghost": cold.auto_ghost,
        "command": f"nudger stage {cold.app_id} ghosted",
    }


def _interviews(settings: Settings, g: _Gathered, day: date,
                now: datetime) -> list[dict[str, Any]]:
    """Interviews in the next two weeks, seen from `now` on the digest's own day and from
    the digest's moment when previewing another day."""
    from nudger.when.schedule import digest_moment

    if now.astimezone(settings.zone).date() != day:
        now = digest_moment(settings, day)
    horizon = now + timedelta(days=UPCOMING_INTERVIEW_DAYS)
    found: list[tuple[datetime, int, dict[str, Any]]] = []
    for app in g.apps.values():
        moment = _local(app.interview_at, settings)
        if moment is None or not now <= moment <= horizon:
            continue
        contact = pick_contact(g.contacts.get(app.id or 0, []), "thank-you")
        found.append((moment, app.id or 0, {
            "app": app_values(app, settings), "when": _when(moment),
            "in_days": (moment.date() - day).days,
            "contact": contact_values(contact)}))
    return [item for _m, _i, item in sorted(found, key=lambda f: (f[0], f[1]))]


def _footer(settings: Settings, day: date, now: datetime, g: _Gathered) -> dict[str, Any]:
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


def _brief_item(settings: Settings, g: _Gathered, nudge: Nudge) -> dict[str, Any]:
    """One line of the digest's "in brief" list: short, whatever the user typed."""
    app = g.apps[nudge.app_id]
    return {
        "app": {"id": nudge.app_id, "company": clean_header(app.company, limit=60),
                "role": clean_header(app.role, limit=60)},
        "label": nudge.label,
        "action": nudge.action,
        "due": nudge.due.isoformat(),
        "overdue_days": nudge.overdue_days,
        "command": f"nudger done {nudge.app_id}",
    }


def digest_context(
    draft: DraftMaker, settings: Settings, g: _Gathered, day: date, now: datetime,
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
    today = [_nudge_item(draft, settings, g, n, day) for n in shown_today]
    overdue = [_nudge_item(draft, settings, g, n, day) for n in shown_overdue]
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
        "commands": {"address": buttons.address, "token": buttons.reply_token(),
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


def render_digest(renderer: Renderer, context: Mapping[str, Any]) -> tuple[str, str, str]:
    """(subject, text, html): every part rendered before any message is built."""
    subject = clean_header(renderer.render(DIGEST_SUBJECT, context))
    text = normalize_body(renderer.render(DIGEST_TEXT, context))
    html = normalize_body(renderer.render(DIGEST_HTML, context))
    return subject, text, html


def _render_bounded(renderer: Renderer, context_for: Callable[..., dict[str, Any]]
                    ) -> tuple[dict[str, Any], tuple[str, str, str]]:
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


def compose_digest(
    settings: Settings, session: Session, calendar: Calendar, local_date: date,
    now: datetime, *, notices: Sequence[str] = (),
) -> ComposedDigest:
    """The complete digest of `local_date` as of `now` (an aware datetime): the Date header
    and the "next digest" line come from `now`, nothing reads the clock."""
    renderer = Renderer.for_dir(settings.templates_dir)
    g = _gather(session, settings, calendar, local_date)
    # The whole history is read only on the weekly effort day.
    effort = (effort_section(load_history(session, settings.zone), settings, calendar, local_date)
              if is_effort_day(settings, local_date) else None)
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

    def render_all() -> tuple[int, str, str, str]:
        # In a bounded child when the user overrides templates (nudger.digest.bounded); the
        # size fallback (_render_bounded) runs in there too.
        context, parts = _render_bounded(renderer, partial(
            digest_context, partial(render_draft, renderer), settings, g, local_date, now,
            notices, effort, buttons=buttons, by_mail=by_mail, drafts_ready=ready,
            news=news))
        return (context["count"], *parts)

    count, subject, text, html = renderer.bounded(render_all)
    message_id = digest_message_id(settings, local_date)
    message = build_message(settings, subject=subject, text=text, html=html,
                            message_id=message_id, now=now)
    return ComposedDigest(local_date, message, message_id, count, text, html, len(news))


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


# --- checking templates ------------------------------------------------------------------

def _sample(settings: Settings, day: date, now: datetime, *, full: bool) -> _Gathered:
    """Sample data for test-rendering: `full` fills every optional value, the other leaves
    them empty, so both branches of each `{% if %}` in a template are exercised."""
    steps = [(s.template or s.action) for c in settings.cadence for s in c.steps]
    names = list(dict.fromkeys([*ACTIONS, *steps]))
    apps: dict[int, Application] = {}
    contacts: dict[int, list[Contact]] = {}
    last: dict[int, Touch] = {}
    nudges: list[Nudge] = []
    pairs = [(name, stage) for name in names for stage in OPEN_STAGES]
    for i, (name, stage) in enumerate(pairs, start=1):
        action = name if name in ACTIONS else next(
            (s.action for c in settings.cadence for s in c.steps
             if (s.template or s.action) == name), "email")
        apps[i] = Application(
            id=i, company=f"Sample Co {i}", role="Account Executive", stage=stage,
            url="https://example.com/jobs/1" if full else "",
            location="Chicago, IL" if full else "", address="1 Main St" if full else "",
            source="LinkedIn" if full else "", stage_since=day - timedelta(days=9),
            applied_on=day - timedelta(days=9) if full and stage != "wishlist" else None,
            deadline=day + timedelta(days=3) if full else None,
            # Odd ones interviewed yesterday, even ones in two days: both sides of
            # `interview_passed`.
            interview_at=datetime.combine(day + timedelta(days=-1 if i % 2 else 2), time(15),
                                          tzinfo=UTC) if full else None,
            notes="Referred by Sam." if full else "", created_at=now, updated_at=now,
        )
        if full:
            contacts[i] = [Contact(id=i, application_id=i, name="Dana Lee",
                                   email="dana@example.com", phone="+1 312 555 0199",
                                   social="@danalee", kind="mutual" if action == "network"
                                   else "hiring-manager")]
            last[i] = Touch(id=i, application_id=i, action=ACTIONS[i % len(ACTIONS)],
                            touched_on=day - timedelta(days=3), note="asked about timing",
                            stage=stage, step=1, created_at=now)
        nudges.append(Nudge(i, stage, 2, 5, action, name, day - timedelta(days=i % 2),
                            overdue_days=i % 2))
    report = DueReport(day, nudges, [Cold(1, "applied", day - timedelta(days=50), 50, full)])
    mail = MailView(
        replies=[{"app": {"id": 1, "company": "Sample Co 1", "role": "Account Executive",
                          "stage": "applied"}, "who": "Dana Lee", "address": "dana@example.com",
                  "when": "Mon 23 Nov, 09:30", "ago_days": ago, "subject": "Re: following up",
                  "snippet": "Thanks, can you talk Thursday?" if full else "",
                  "paused": full, "stage_command": "nudger stage 1 interviewing",
                  "resume_command": "nudger resume 1"} for ago in (0, 1, 3)],
        bouncing=[{"app": {"id": 1, "company": "Sample Co 1"}, "name": "Dana Lee",
                   "email": "dana@example.com", "detail": "550 5.1.1 user unknown"
                   if full else "", "command": "nudger contact 1 --rm 1"}],
        status="Mailbox last read Tue 24 Nov, 13:20." if full else "",
    )
    found: dict[str, list[dict[str, Any]]] = {"open": [], "added": [], "more": []}
    if full:
        sample = {"id": "S1", "kind": "application", "summary": "Acme / Analyst (applied "
                  f"{day.isoformat()}, via Greenhouse)", "reason": "from Acme <no-reply@"
                  "greenhouse.io> (Greenhouse); EN application phrase \"Thank you for "
                  "applying\"", "confidence": 0.98, "application_id": None,
                  "accept": "nudger accept S1", "dismiss": "nudger dismiss S1"}
        found = {"open": [sample], "added": [{**sample, "id": "S2"}], "more": [sample]}
    return _Gathered(apps, contacts, last, report, len(apps), mail, found)


def check_templates(settings: Settings) -> list[str]:
    """Compile every template (packaged and the user's overrides in settings.templates_dir)
    and test-render each with sample data, from a fresh snapshot of the files; "file:line:
    message" per problem, [] when fine. Changes nothing: `install_templates` is the check
    that also puts a passing snapshot in use."""
    return _checked(settings)[0]


def install_templates(settings: Settings) -> list[str]:
    """`check_templates`, and when it passes, install that snapshot: later digests of this
    process render it (the daemon on start and on SIGHUP: a broken edit is reported and
    the templates in use stay as they were)."""
    problems, renderer = _checked(settings)
    if renderer is not None and not problems:
        renderer.install(settings.templates_dir)
    return problems


def _checked(settings: Settings) -> tuple[list[str], Renderer | None]:
    try:
        renderer = Renderer.for_dir(settings.templates_dir, fresh=True)
        # The user's templates are compiled and test-rendered in a bounded child: a
        # runaway one is reported by name instead of hanging `check` or the daemon.
        problems: list[str] = renderer.bounded(lambda: _check(settings, renderer))
    except ConfigError as exc:
        return [str(exc)], None
    return problems, renderer


def _check(settings: Settings, renderer: Renderer) -> list[str]:
    problems: list[str] = []

    def report(message: str) -> None:
        if message not in problems:
            problems.append(message)

    for name in sorted(set(renderer.env.list_templates(extensions=["j2"]))):
        try:
            bounded.progress(renderer.where(name))
            renderer.env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            report(syntax_message(exc, renderer.where(name)))
        except jinja2.TemplateError as exc:
            report(f"{renderer.where(name)}: {exc}")

    def draft(name: str, context: Mapping[str, Any]) -> dict[str, Any]:
        try:
            return render_draft(renderer, name, context)
        except ConfigError as exc:
            report(str(exc))
            return {"name": name, "action": context["action"], "subject": "(broken)",
                    "body": "(broken)", "to": "", "mailto": "mailto:", "chars": 8,
                    "limit": SOCIAL_LIMIT}

    day = date(2026, 11, 24)
    now = datetime(2026, 11, 24, 13, 30, tzinfo=UTC)
    for full in (True, False):
        g = _sample(settings, day, now, full=full)
        effort = SAMPLE_EFFORT if full else None
        notices = ("The digest of 2026-11-23 was not delivered: 550 mailbox unavailable",
                   ) if full else ()
        try:
            sample_buttons = Buttons(bytes(32), "you+nudger@example.com", day) if full \
                else None
            first = g.apps[1]
            ready = {draft_key(1, first.stage, first.stage_since, 2)} if full else set()
            context = digest_context(draft, settings, g, day, now, notices, effort,
                                     buttons=sample_buttons, drafts_ready=ready,
                                     by_mail=["#12: done follow-up email"] if full else (),
                                     news=["1 reply: Sample Co 1"] if full else ())
            render_digest(renderer, context)
            render_digest(renderer, {**context, "count": 0, "companies": [], "due_today": [],
                                     "overdue": [], "cold": [], "interviews": []})
        except ConfigError as exc:
            report(str(exc))
    return problems
