"""Templates checked before they are used: `nudger check` and a reload render every
template once against sample values (`sample_gathered`), and `install_templates` makes the
checked set the one in force."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import jinja2

from nudger.config import Settings
from nudger.digest import bounded
from nudger.digest.compose import digest_context, render_digest
from nudger.digest.render import (
    SOCIAL_LIMIT,
    Renderer,
    syntax_message,
)
from nudger.digest.values import Gathered, MailView, render_draft
from nudger.errors import ConfigError
from nudger.mail.act.buttons import Buttons
from nudger.mail.act.drafts import draft_key
from nudger.send.message import TEST_EMAIL, MailKind, render_parts
from nudger.store.models import Application, Contact, Touch
from nudger.track.cadence import Cold, DueReport, Nudge
from nudger.track.stats import SAMPLE_EFFORT
from nudger.vocab import ACTIONS, OPEN_STAGES

# --- checking templates ------------------------------------------------------------------

def sample_gathered(settings: Settings, day: date, now: datetime, *, full: bool) -> Gathered:
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
    return Gathered(apps, contacts, last, report, len(apps), mail, found)


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
        g = sample_gathered(settings, day, now, full=full)
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
    for kind, context in _mail_samples(settings):
        try:
            render_parts(renderer, kind, context)
        except ConfigError as exc:
            report(str(exc))
    return problems


def _mail_samples(settings: Settings) -> list[tuple[MailKind, dict[str, Any]]]:
    """The confirmation, the refusal answer and the test mail, with values that take every
    branch of the shipped templates (confirm.SAMPLE_OUTCOMES)."""
    from nudger.mail.act.confirm import SAMPLE_OUTCOMES, confirmation_context

    samples = [confirmation_context(outcomes, subject) for outcomes, subject in SAMPLE_OUTCOMES]
    samples += [(TEST_EMAIL, {"method": method}) for method in
                dict.fromkeys((settings.method, "smtp", "sendmail", "maildir"))]
    return samples
