"""The digest's values, public: model objects and a day's due report turned into what
the templates get. compose (the digest), mail/act/drafts (the Drafts folder) and the
calendar (event descriptions) build on these, so all three say the same thing."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, select

from nudger.config import Settings
from nudger.digest.filters import mailto
from nudger.digest.render import (
    SOCIAL_LIMIT,
    TEMPLATE_NAME,
    Renderer,
    draft_body,
    draft_subject,
    fit_social,
)
from nudger.errors import ConfigError
from nudger.store.models import Application, Contact, Touch
from nudger.store.read import load_digest
from nudger.text import clean_header
from nudger.track.cadence import DueReport, Nudge, due_on
from nudger.vocab import OPEN_STAGES
from nudger.when.business import Calendar
from nudger.when.times import local

if TYPE_CHECKING:
    from nudger.store.read_batch import Preloaded

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


# --- from model objects to template values ----------------------------------------------

def local_moment(moment: datetime | None, settings: Settings) -> datetime | None:
    # A stored moment outside the supported range (a reply dated 9999) is no moment.
    return local(moment, settings.zone)


def when_text(moment: datetime) -> str:
    return f"{moment:%a} {moment.day} {moment:%b}, {moment:%H:%M}"


def app_values(app: Application, settings: Settings) -> dict[str, Any]:
    interview = local_moment(app.interview_at, settings)
    return {
        # "id" is the number the seeker knows it by (#12), not the store's internal id.
        "id": app.number, "company": app.company, "role": app.role, "url": app.url,
        "location": app.location, "address": app.address, "source": app.source,
        "stage": app.stage, "notes": app.notes,
        "applied_on": app.applied_on.isoformat() if app.applied_on else None,
        "deadline": app.deadline.isoformat() if app.deadline else None,
        "interview": when_text(interview) if interview else None,
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
    interview = local_moment(app.interview_at, settings)
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
class Gathered:
    apps: dict[int, Application]
    contacts: dict[int, list[Contact]]
    last: dict[int, Touch]
    report: DueReport
    tracked: int
    mail: MailView | None = None  # None: no [imap] table
    # FOUND IN YOUR MAIL (nudger.mail.capture.found)
    found: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {"open": [], "added": [], "more": []})


def gather(session: Session, settings: Settings, calendar: Calendar, day: date, *,
           preloaded: Preloaded | None = None) -> Gathered:
    """What the digest of `day` shows, read in `session`, or taken from `preloaded` (the
    same rows, read with the rest of a worker's batch: store/read_batch.py)."""
    from nudger.mail.capture.found import found_among, found_in_mail, found_since

    since = found_since(day, settings.zone)
    if preloaded is not None:
        data = preloaded.data
        found = found_among(preloaded.suggestions)
    else:
        data = load_digest(session, day, settings.zone)
        found = found_in_mail(session, since)
    report = due_on(data.states, settings.cadence, calendar, day)
    return Gathered(data.apps, data.contacts, data.last, report, data.tracked,
                     mail_view(session, settings, day), found)


# --- the mailbox's part (docs/mailbox.md): REPLIES, bouncing addresses, when it was read ----------

REPLY_DAYS = 2  # replies this recent show even when nothing is paused (replies = "note")


@dataclass(frozen=True)
class MailView:
    replies: list[dict[str, Any]]
    bouncing: list[dict[str, Any]]
    status: str  # the footer line: when the mailbox was last read, or why it could not be


def mail_view(session: Session, settings: Settings, day: date) -> MailView | None:
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
    # The seeker's #numbers by internal id: what the digest shows and its commands take.
    numbers = {i: n for i, n in session.exec(select(Application.id, Application.number))}
    for r in sorted(found, key=lambda r: r.at, reverse=True):
        local = local_moment(r.at, settings)
        if r.app_id in seen_apps or local is None:
            continue
        if handled(session, r, settings.mailbox.replies):
            continue  # answered: a stage change, a touch or `resume` since
        seen_apps.add(r.app_id)
        replies.append({
            "app": {"id": numbers.get(r.app_id, r.app_id), "company": r.company,
                    "role": r.role, "stage": r.stage},
            "who": clean_header(r.who, limit=80), "address": r.address,
            "when": when_text(local), "ago_days": (day - local.date()).days,
            "subject": clean_header(r.subject, limit=200),
            "snippet": clean_header(r.snippet, limit=200), "paused": r.paused,
            "stage_command": f"nudger stage {numbers.get(r.app_id, r.app_id)} interviewing",
            "resume_command": f"nudger resume {numbers.get(r.app_id, r.app_id)}",
        })
    bouncing = []
    for c in bouncing_contacts(session):
        app = session.get(Application, c.application_id)
        if app is None or app.stage not in OPEN_STAGES:
            continue
        bouncing.append({"app": {"id": app.number, "company": app.company},
                         "name": c.name, "email": c.email,
                         "detail": clean_header(c.bounce_detail, limit=160),
                         "command": f"nudger contact {app.number} --rm {c.id}"})
    row = session.exec(select(MailSync)).first()
    status = mailbox_status(settings, row)
    skipped, latest = skipped_messages(session, moment)
    if skipped:
        status += (f" {skipped} message(s) could not be handled and were skipped (the newest: "
                   f"{clean_header(latest[0].line(), limit=200)}); `nudger status` lists "
                   "them.")
    return MailView(replies, bouncing, status)


def mailbox_status(settings: Settings, row: Any) -> str:
    if row is None or row.last_attempt_at is None:
        return ("The mailbox has not been read yet (the daemon reads it every "
                f"{settings.imap.poll if settings.imap else ''}; or run `nudger mail sync`).")
    last_ok = local_moment(row.last_ok_at, settings)
    if not row.last_error:
        return f"Mailbox last read {when_text(last_ok)}." if last_ok else "Mailbox last read."
    since = f"since {when_text(last_ok)}" if last_ok else "yet"
    return (f"The mailbox could not be read {since}: "
            f"{clean_header(row.last_error, limit=300)}")



# --- the digest --------------------------------------------------------------------------

DraftMaker = Callable[[str, Mapping[str, Any]], dict[str, Any]]


def nudge_item(draft: DraftMaker, settings: Settings, g: Gathered, nudge: Nudge,
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
