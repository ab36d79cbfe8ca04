"""Effort and results: what the follow-ups are worth. One concept over 400 lines: every
number `nudger stats` and the digest's weekly chart show, from one `History`.

`store.read.load_history` reads the store in four queries; everything here is a pure
function of a `History` (the engine's own `AppState` and `TouchInfo`, with the stage
changes and snoozes), the settings and `today`, so tests hand-build a history whose numbers
are known.

Definitions (README, "Import, export, stats"):
- a **reply** is the first move of an application into interviewing, offer, accepted or
  rejected (the company answered); withdrawn and ghosted are not replies, and neither is
  the stage an application was added at (`nudger add … --stage interviewing` records
  where the hunt stands, not an answer nudger saw);
- a **real reply** is one the mailbox sync recorded (a contact answered by mail,
  docs/mailbox.md); an application's first reply is the earlier of its first real reply and
  its first move past applied, so one answer is never counted twice;
- a reply is credited to the action of the last follow-up logged before it (on the
  same day or earlier, while the application was still in wishlist or applied), or to
  "none" when the application got its reply without a follow-up;
- the **streak** counts the digest days, back from today, at whose end nothing was due and
  undone. Today counts once its nudges are done, and does not break the streak before its
  end; a digest day with nothing due neither breaks nor lengthens it.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from nudger.config import Settings
from nudger.track.cadence import AppState, Nudge, TouchInfo, due_on
from nudger.vocab import ACTIONS, STAGES
from nudger.when.business import Calendar
from nudger.when.schedule import is_digest_day

REPLY_STAGES = ("interviewing", "offer", "accepted", "rejected")
PRE_REPLY_STAGES = ("wishlist", "applied")
STREAK_LOOKBACK = 366  # days; a streak longer than a year is reported as 366+


@dataclass(frozen=True, slots=True)
class ChangeRow:
    app_id: int
    stage: str
    on: date
    created: bool = False  # the stage the application was added at: not a move, not a reply


@dataclass(frozen=True, slots=True)
class SnoozeRow:
    app_id: int
    until: date
    set_on: date


@dataclass(frozen=True, slots=True)
class MailReplyRow:
    """A reply the mailbox sync recorded: its application and local date."""

    app_id: int
    on: date


@dataclass(frozen=True)
class History:
    """Everything the numbers are computed from, in the order things happened: every
    application as it is now (an AppState; its `touches` are not used here), every touch
    and skip by application, the stage changes and the snoozes."""

    apps: Sequence[AppState]
    touches: Mapping[int, Sequence[TouchInfo]] = field(default_factory=dict)
    changes: Sequence[ChangeRow] = ()
    snoozes: Sequence[SnoozeRow] = ()
    mail_replies: Sequence[MailReplyRow] = ()

    def logged(self) -> Iterator[tuple[int, TouchInfo]]:
        """(application id, touch) for every touch and skip."""
        for app_id, touches in self.touches.items():
            for touch in touches:
                yield app_id, touch


# --- the numbers -------------------------------------------------------------------------

def started_on(history: History) -> dict[int, date]:
    """When each application entered the hunt: its applied date, else its first stage."""
    first: dict[int, date] = {}
    for change in history.changes:
        first.setdefault(change.app_id, change.on)
    return {a.id: a.applied_on or first.get(a.id, a.stage_since) for a in history.apps}


def _apps_since(history: History, since: date | None) -> list[AppState]:
    if since is None:
        return list(history.apps)
    start = started_on(history)
    return [a for a in history.apps if start[a.id] >= since]


def _done(history: History, since: date | None) -> list[TouchInfo]:
    return [t for _, t in history.logged() if not t.skipped and (since is None or t.on >= since)]


def pipeline(history: History) -> dict[str, int]:
    """Applications per stage now, every stage listed."""
    counts = Counter(a.stage for a in history.apps)
    return {stage: counts.get(stage, 0) for stage in STAGES}


@dataclass(frozen=True)
class Rate:
    part: int
    whole: int

    @property
    def ratio(self) -> float | None:
        return self.part / self.whole if self.whole else None

    def as_json(self) -> dict[str, Any]:
        return {"part": self.part, "whole": self.whole, "ratio": self.ratio}

    def text(self) -> str:
        if not self.whole:
            return "n/a"
        return f"{self.part} of {self.whole} ({100 * self.part / self.whole:.0f}%)"


def follow_up_rate(history: History, since: date | None = None) -> Rate:
    """Applications with at least one follow-up (not a skip), of all applications."""
    apps = _apps_since(history, since)
    touched = {app_id for app_id, t in history.logged() if not t.skipped}
    return Rate(sum(1 for a in apps if a.id in touched), len(apps))


def week_of(day: date) -> date:
    """The Monday that starts `day`'s week."""
    return day - timedelta(days=day.weekday())


def touches_per_week(history: History, today: date, since: date | None = None
                     ) -> list[tuple[date, int]]:
    """(Monday, follow-ups that week) for every week from the first (or `since`) to today's,
    empty weeks included."""
    done = _done(history, since)
    if since is None and not done:
        return []
    first = week_of(since if since is not None else min(t.on for t in done))
    counts = Counter(week_of(t.on) for t in done)
    weeks = []
    monday = first
    while monday <= week_of(today):
        weeks.append((monday, counts.get(monday, 0)))
        monday += timedelta(days=7)
    return weeks


def touches_per_action(history: History, since: date | None = None) -> dict[str, int]:
    counts = Counter(t.action for t in _done(history, since))
    return {action: counts[action] for action in ACTIONS if counts.get(action)}


@dataclass(frozen=True)
class Reply:
    app_id: int
    on: date
    stage: str
    days: int | None  # from applying to the reply
    after: str  # the action of the last follow-up before it, or "none"
    source: str = "stage"  # "mail": a real reply found in the mailbox; "stage": inferred


def replies(history: History, since: date | None = None) -> list[Reply]:
    """The first move past `applied` of each application (see the module docstring)."""
    apps = {a.id: a for a in _apps_since(history, since)}
    first: dict[int, ChangeRow] = {}
    for change in history.changes:
        if change.stage in REPLY_STAGES and change.app_id in apps and not change.created:
            first.setdefault(change.app_id, change)
    # A real reply from the mailbox counts when it came first; on the same day the stage
    # change and the mail are one reply (credited to the mail).
    for row in history.mail_replies:
        if row.app_id not in apps:
            continue
        known = first.get(row.app_id)
        if known is None or (row.on <= known.on and known.stage != "mail"):
            first[row.app_id] = ChangeRow(row.app_id, "mail", row.on)
    out = []
    for change in sorted(first.values(), key=lambda c: (c.on, c.app_id)):
        # The application's last follow-up (in the order logged) on or before the move.
        after = "none"
        for t in history.touches.get(change.app_id, ()):
            if t.on <= change.on and not t.skipped and t.stage in PRE_REPLY_STAGES:
                after = t.action
        app = apps[change.app_id]
        days = (change.on - app.applied_on).days if app.applied_on else None
        source = "mail" if change.stage == "mail" else "stage"
        out.append(Reply(change.app_id, change.on, change.stage,
                         days if days is None or days >= 0 else None, after, source))
    return out


def replies_by_action(found: Iterable[Reply]) -> dict[str, int]:
    counts = Counter(r.after for r in found)
    return {key: counts[key] for key in (*ACTIONS, "none") if counts.get(key)}


def median_days_to_reply(found: Iterable[Reply]) -> float | None:
    days = [r.days for r in found if r.days is not None]
    return statistics.median(days) if days else None


# --- the past, replayed for the cadence engine -------------------------------------------

def states_on(history: History, day: date) -> list[AppState]:
    """Each application as it stood at the end of `day`: its stage then (from the stage
    history), the touches logged by then, the snooze set by then."""
    stage: dict[int, ChangeRow] = {}
    for change in history.changes:
        if change.on <= day:
            stage[change.app_id] = change  # the last one by day wins
    touches = {app_id: tuple(t for t in logged if t.on <= day)
               for app_id, logged in history.touches.items()}
    snoozed: dict[int, date] = {}
    for s in history.snoozes:
        if s.set_on <= day:
            snoozed[s.app_id] = s.until
    out = []
    for app in history.apps:
        entered = stage.get(app.id)
        if entered is None:
            continue  # not in the hunt yet on that day
        applied = app.applied_on if app.applied_on and app.applied_on <= day else None
        out.append(AppState(
            id=app.id, stage=entered.stage, stage_since=entered.on, applied_on=applied,
            deadline=app.deadline, snoozed_until=snoozed.get(app.id),
            touches=touches.get(app.id, ()), company=app.company, role=app.role,
            # Only the next interview is stored, so a past day uses it too.
            interview_on=app.interview_on if entered.stage == "interviewing" else None,
        ))
    return out


def due_at_end_of(history: History, settings: Settings, calendar: Calendar, day: date
                  ) -> list[Nudge]:
    """The nudges still due (undone) once `day` was over."""
    return due_on(states_on(history, day), settings.cadence, calendar, day).nudges


def due_at_start_of(history: History, settings: Settings, calendar: Calendar, day: date
                    ) -> list[Nudge]:
    """The nudges the digest of `day` carried: due given everything done the day before."""
    return due_on(states_on(history, day - timedelta(days=1)), settings.cadence, calendar,
                  day).nudges


@dataclass(frozen=True)
class Streak:
    days: int  # digest days kept in a row
    since: date | None  # the first of them
    capped: bool = False  # longer than STREAK_LOOKBACK


def streak_words(days: int, *, capped: bool = False) -> str:
    """The streak said one way everywhere (stats and the digest's effort section):
    `3 digest days in a row with every follow-up done`."""
    unit = "digest day" if days == 1 and not capped else "digest days"
    return f"{days}{'+' if capped else ''} {unit} in a row with every follow-up done"


def streak(history: History, settings: Settings, calendar: Calendar, today: date) -> Streak:
    """Digest days, back from today, on which every due nudge was done (module docstring)."""
    if not history.apps:
        return Streak(0, None)
    start = min(started_on(history).values())
    kept = 0
    first: date | None = None
    for back in range(STREAK_LOOKBACK + 1):
        day = today - timedelta(days=back)
        if day < start:
            return Streak(kept, first)
        if not is_digest_day(settings, day):
            continue
        undone = due_at_end_of(history, settings, calendar, day)
        if not undone and not due_at_start_of(history, settings, calendar, day):
            continue  # nothing was asked that day
        if undone:
            if day == today:
                continue  # the day is not over
            return Streak(kept, first)
        kept += 1
        first = day
    return Streak(kept, first, capped=True)


@dataclass(frozen=True)
class WeekEffort:
    """One week's effort, for the digest's "this week" section."""

    start: date  # Monday
    end: date  # the last day counted (Sunday, or today for the current week)
    done: int  # follow-ups logged
    due: int  # distinct nudges the week's digests carried
    replies: int
    by_action: dict[str, int] = field(default_factory=dict)
    replies_by_action: dict[str, int] = field(default_factory=dict)
    per_day: list[tuple[date, int]] = field(default_factory=list)  # follow-ups each day

    def as_json(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(),
                "done": self.done, "due": self.due, "replies": self.replies,
                "by_action": self.by_action, "replies_by_action": self.replies_by_action,
                "per_day": [{"date": d.isoformat(), "touches": n} for d, n in self.per_day]}


def week_effort(history: History, settings: Settings, calendar: Calendar, start: date,
                today: date) -> WeekEffort:
    """Follow-ups done against nudges due, replies, and channels, from Monday `start` to
    its Sunday (or `today`, whichever is first)."""
    return effort_between(history, settings, calendar, start, min(start + timedelta(days=6),
                                                                  today))


def effort_between(history: History, settings: Settings, calendar: Calendar, start: date,
                   end: date) -> WeekEffort:
    """Follow-ups done against nudges due, replies, and channels, `start` to `end`
    inclusive. `due` counts the distinct nudges the period's digests carried."""
    done = [t for _, t in history.logged() if not t.skipped and start <= t.on <= end]
    due: set[tuple[int, str, int]] = set()
    day = start
    while day <= end:
        if is_digest_day(settings, day):
            for nudge in due_at_start_of(history, settings, calendar, day):
                due.add((nudge.app_id, nudge.stage, nudge.step))
        day += timedelta(days=1)
    period_replies = [r for r in replies(history) if start <= r.on <= end]
    counts = Counter(t.on for t in done)
    return WeekEffort(
        start=start, end=end, done=len(done), due=len(due), replies=len(period_replies),
        by_action={a: n for a, n in Counter(t.action for t in done).most_common()},
        replies_by_action=replies_by_action(period_replies),
        per_day=[(start + timedelta(days=i), counts.get(start + timedelta(days=i), 0))
                 for i in range((end - start).days + 1)],
    )


BAR_STEPS = 12  # the longest bar of the digest's chart, in steps (text: one '#' each)


def is_effort_day(settings: Settings, day: date) -> bool:
    """Whether the digest of `day` carries the weekly effort section: `digest.effort_day`,
    or when no digest goes out that weekday, the first digest day after it (so the chart
    is never silently lost to a mismatch of the two settings)."""
    from nudger.vocab import WEEKDAY_INDEX

    sent = {WEEKDAY_INDEX[d] for d in settings.digest.days}
    wanted = WEEKDAY_INDEX[settings.digest.effort_day]
    carrier = next(((wanted + k) % 7 for k in range(7) if (wanted + k) % 7 in sent), wanted)
    return day.weekday() == carrier


# What `nudger check` renders the digest templates with (every key `effort_section` gives),
# so that a user's template that uses one of them is checked before a digest needs it.
SAMPLE_EFFORT: dict[str, Any] = {
    "week_start": "2026-11-16", "week_end": "2026-11-22", "done": 3, "due": 5, "replies": 1,
    "done_bar": 7, "due_bar": BAR_STEPS, "bar_steps": BAR_STEPS,
    "by_channel": [{"action": "email", "done": 2, "replies": 1, "bar": 5},
                   {"action": "call", "done": 1, "replies": 0, "bar": 2}],
    "per_day": [{"date": f"2026-11-{16 + i}", "weekday": day, "done": n}
                for i, (day, n) in enumerate(zip(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
                                                  "Sun"), (1, 0, 2, 0, 0, 0, 0), strict=True))],
    "streak": 4,
    "streak_words": "4 digest days in a row with every follow-up done",
}


def effort_section(history: History, settings: Settings, calendar: Calendar, day: date
                   ) -> dict[str, Any] | None:
    """The digest's "this week" section (the template variable `effort`): on the weekday
    `digest.effort_day` only, the seven days before the digest's day. None on other days.

    Bars are whole steps of BAR_STEPS, scaled to the busiest row, so the HTML part can draw
    them as table cells of fixed widths and the text part as runs of '#'."""
    if not is_effort_day(settings, day):
        return None
    effort = effort_between(history, settings, calendar, day - timedelta(days=7),
                            day - timedelta(days=1))
    channels = [a for a in (*ACTIONS, "none")
                if effort.by_action.get(a) or effort.replies_by_action.get(a)]
    peak = max([effort.by_action.get(a, 0) for a in channels] + [effort.due, effort.done, 1])
    found = streak(history, settings, calendar, day - timedelta(days=1))

    def bar(value: int) -> int:
        return round(BAR_STEPS * value / peak)

    return {
        "week_start": effort.start.isoformat(),
        "week_end": effort.end.isoformat(),
        "done": effort.done,
        "due": effort.due,
        "replies": effort.replies,
        "done_bar": bar(effort.done),
        "due_bar": bar(effort.due),
        "bar_steps": BAR_STEPS,
        "by_channel": [
            {"action": "no follow-up" if a == "none" else a,
             "done": effort.by_action.get(a, 0), "replies": effort.replies_by_action.get(a, 0),
             "bar": bar(effort.by_action.get(a, 0))}
            for a in channels
        ],
        "per_day": [{"date": d.isoformat(), "weekday": f"{d:%a}", "done": n}
                    for d, n in effort.per_day],
        "streak": found.days,
        "streak_words": streak_words(found.days, capped=found.capped),
    }


# --- everything, for `nudger stats` ------------------------------------------------------

@dataclass(frozen=True)
class Stats:
    today: date
    since: date | None
    pipeline: dict[str, int]
    follow_up: Rate
    per_week: list[tuple[date, int]]
    per_action: dict[str, int]
    replies: list[Reply]
    reply_rate: Rate  # applications that got a reply, of those applied to
    median_days: float | None
    streak: Streak

    @property
    def by_action(self) -> dict[str, int]:
        return replies_by_action(self.replies)

    def as_json(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "since": self.since.isoformat() if self.since else None,
            "pipeline": self.pipeline,
            "follow_up_rate": self.follow_up.as_json(),
            "touches_per_week": [{"week": w.isoformat(), "touches": n}
                                 for w, n in self.per_week],
            "touches_per_action": self.per_action,
            "replies": len(self.replies),
            "replies_from_mail": sum(1 for r in self.replies if r.source == "mail"),
            "reply_rate": self.reply_rate.as_json(),
            "replies_by_last_action": self.by_action,
            "median_days_to_reply": self.median_days,
            "streak": {"days": self.streak.days,
                       "since": self.streak.since.isoformat() if self.streak.since else None,
                       "capped": self.streak.capped},
        }


def compute(history: History, settings: Settings, calendar: Calendar, today: date,
            since: date | None = None) -> Stats:
    found = replies(history, since)
    applied = [a for a in _apps_since(history, since) if a.applied_on is not None]
    return Stats(
        today=today, since=since, pipeline=pipeline(history),
        follow_up=follow_up_rate(history, since),
        per_week=touches_per_week(history, today, since),
        per_action=touches_per_action(history, since),
        replies=found, reply_rate=Rate(len(found), len(applied)),
        median_days=median_days_to_reply(found),
        streak=streak(history, settings, calendar, today),
    )
