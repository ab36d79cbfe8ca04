"""Interviews and follow-ups as iCalendar: pure, no I/O, no clock.

What goes in: `Interview` and `FollowUp` values (built from the store by
`nudger.calendar.sync`), each event's `Version` (its SEQUENCE and the moment that version came
to be, kept in the `calendar_event` table), and the user's zone. What comes out: the
bytes of a VCALENDAR, with a VTIMEZONE for the zone.

Rules that keep a subscribed calendar in step (docs/calendar.md):
- Every event has an explicit UID and DTSTAMP (icalendar's defaults are random and "now",
  which would make each export a new set of events). UIDs say *what* the event is: the
  application and its interview's ordinal, or the application, stage and cadence step;
  never its content, so a moved interview keeps its UID and gets a higher SEQUENCE.
- Values the user wrote (company, notes, contact names) are only ever the *values* of
  SUMMARY, DESCRIPTION, LOCATION and of a VALARM's DESCRIPTION; escaping (commas,
  semicolons, backslashes, newlines) and line folding are the library's, never ours.
- A VALARM with ACTION:DISPLAY carries a DESCRIPTION (Google drops the feed otherwise).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from nudger import __version__
from nudger.text import multi_line, one_line

TYPE_CHECKING = False
if TYPE_CHECKING:
    from icalendar import Event

PRODID = f"-//nudger//nudger {__version__}//EN"
CALENDAR_NAME = "nudger: interviews and follow-ups"
# How many lines of a follow-up's draft its event shows.
DRAFT_LINES = 6
# A link in the notes on one of these hosts is taken as the meeting link before any other.
MEETING_HOSTS = ("zoom.us", "meet.google.com", "teams.microsoft.com", "teams.live.com",
                 "webex.com", "whereby.com", "meet.jit.si", "chime.aws", "gotomeet",
                 "bluejeans.com", "around.co", "skype.com")
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""

VERBS = {"email": "email", "call": "call", "visit": "visit", "social": "message",
         "network": "reach out to", "pitch": "pitch", "thank-you": "thank"}


@dataclass(frozen=True)
class Interview:
    """An application's interview, as the calendar shows it."""

    app_id: int
    number: int  # the application's interview ordinal (1, 2, ...): part of the UID
    company: str
    role: str
    start: datetime  # aware
    length: timedelta
    contact: str = ""  # "Dana Lee (hiring manager), dana@example.com, +1 312 555 0199"
    address: str = ""  # the application's street address
    location: str = ""  # its location (a city, "Remote"): no address, so not labelled one
    notes: str = ""
    posting: str = ""  # the posting's URL
    shown: int = 0  # the number the seeker knows the application by (0: app_id)


@dataclass(frozen=True)
class FollowUp:
    """A cadence step coming due, as an all-day event on the day it first shows."""

    app_id: int
    stage: str
    step: int
    steps: int
    action: str
    day: date
    company: str
    role: str
    repeat: bool = False
    contact_name: str = ""
    contact: str = ""  # the contact's name, kind, address and phone, for the description
    draft: str = ""  # the draft's text (its first lines are shown)
    draft_subject: str = ""
    overdue_days: int = 0
    shown: int = 0  # the number the seeker knows the application by (0: app_id)


@dataclass(frozen=True)
class EventSpec:
    """One VEVENT before versioning: everything but SEQUENCE and the stamps."""

    uid: str
    kind: str  # "interview" or "followup"
    app_id: int
    number: int
    stage: str
    summary: str
    description: str
    start: datetime | date
    end: datetime | date
    location: str = ""
    url: str = ""
    alarm: timedelta | None = None
    alarm_text: str = ""
    transparent: bool = False
    categories: tuple[str, ...] = field(default=())

    @property
    def fingerprint(self) -> str:
        """A digest of the content: when it changes, the event is a new version."""
        parts = [self.summary, self.description, _stamp_text(self.start),
                 _stamp_text(self.end), self.location, self.url,
                 str(self.alarm.total_seconds()) if self.alarm else "", self.alarm_text,
                 str(self.transparent), ",".join(self.categories)]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]

    @property
    def starts_at(self) -> datetime:
        return _as_utc(self.start)

    @property
    def ends_at(self) -> datetime:
        return _as_utc(self.end)


@dataclass(frozen=True)
class Version:
    """An event's version: SEQUENCE, and the UTC moment it came to be (DTSTAMP and
    LAST-MODIFIED); `created` is when nudger first exported the event (CREATED)."""

    sequence: int
    stamp: datetime
    created: datetime


def _stamp_text(value: datetime | date) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value.isoformat()


def _as_utc(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


# --- UIDs ------------------------------------------------------------------------------

def uid_domain(recipient: str) -> str:
    """The right-hand side of every UID: one per user (their address, hashed), so two
    people's feeds in one calendar app never share a UID."""
    digest = hashlib.sha256(recipient.strip().lower().encode("utf-8")).hexdigest()[:12]
    return f"{digest}.nudger.invalid"


def interview_uid(app_id: int, number: int, domain: str) -> str:
    return f"interview-{app_id}-{number}@{domain}"


def followup_uid(app_id: int, stage: str, step: int, domain: str) -> str:
    return f"followup-{app_id}-{stage}-{step}@{domain}"


def calendar_uid(domain: str) -> str:
    return f"calendar@{domain}"


# --- the events ------------------------------------------------------------------------

def meeting_link(notes: str) -> str:
    """The meeting link in the notes: the first URL on a video-meeting host, else ""."""
    for match in _URL.finditer(notes):
        url = match.group(0).rstrip(_TRAILING)
        host = url.split("/", 3)[2].lower() if url.count("/") >= 2 else ""
        host = host.rsplit("@", 1)[-1].split(":", 1)[0]
        if any(host == h or host.endswith("." + h) or h in host for h in MEETING_HOSTS):
            return url
    return ""



def interview_event(item: Interview, zone: ZoneInfo, domain: str,
                    alarm: timedelta | None) -> EventSpec:
    company, role = one_line(item.company), one_line(item.role)
    start = item.start.astimezone(zone)
    link = meeting_link(item.notes)
    where = link or one_line(item.address) or one_line(item.location)
    lines = [f"Interview for {role} at {company}" if role else f"Interview at {company}"]
    if item.contact:
        lines.append(f"Contact: {one_line(item.contact)}")
    if link:
        lines.append(f"Join: {link}")
    if item.address:
        lines.append(f"Address: {one_line(item.address)}")
    elif item.location:
        lines.append(f"Location: {one_line(item.location)}")
    if item.posting:
        lines.append(f"Posting: {one_line(item.posting)}")
    if item.notes.strip():
        lines += ["", "Notes:", item.notes.strip()]
    lines += ["", f"Afterwards: nudger show {item.shown or item.app_id} (a thank-you "
              "follows in the digest)"]
    summary = f"Interview: {company}" + (f" ({role})" if role else "")
    url = link or (item.posting if _URL.fullmatch(item.posting.strip()) else "")
    return EventSpec(
        uid=interview_uid(item.app_id, item.number, domain), kind="interview",
        app_id=item.app_id, number=item.number, stage="", summary=summary,
        description="\n".join(lines), start=start, end=start + item.length, location=where,
        url=url.strip(), alarm=alarm,
        alarm_text=f"{summary} in {_span(alarm)}" if alarm is not None else "",
        categories=("Interview",))


def first_name(name: str) -> str:
    """"Dana Lee" and "Lee, Dana" both give "Dana"."""
    name = one_line(name)
    if "," in name:
        last, _, rest = name.partition(",")
        name = rest.strip() or last
    return name.split(" ")[0] if name else ""


def followup_summary(item: FollowUp) -> str:
    company = one_line(item.company)
    who = first_name(item.contact_name)
    if item.action == "apply":
        what = f"apply to {company}"
    else:
        verb = VERBS.get(item.action, item.action)
        what = f"{verb} {who} at {company}" if who else f"{verb} {company}"
    count = "repeat" if item.repeat else f"{item.step} of {item.steps}"
    return f"Follow up: {what} ({count})"


def followup_event(item: FollowUp, domain: str) -> EventSpec:
    lines = [f"{item.role} at {item.company}" if item.role else item.company,
             f"Step {item.step} of {item.steps}: {item.action}"
             if not item.repeat else f"Repeating step: {item.action}"]
    if item.contact:
        lines.append(f"Contact: {one_line(item.contact)}")
    if item.overdue_days > 0:
        lines.append(f"Overdue by {item.overdue_days} day"
                     f"{'' if item.overdue_days == 1 else 's'}")
    if item.draft_subject:
        lines += ["", f"Subject: {item.draft_subject}"]
    draft = item.draft.strip("\n").splitlines()
    if draft:
        lines += ["", *draft[:DRAFT_LINES]] if not item.draft_subject else draft[:DRAFT_LINES]
        if len(draft) > DRAFT_LINES:
            lines.append("…")
    shown = item.shown or item.app_id
    lines += ["", f"When done: nudger done {shown}", f"To pass it over: nudger skip {shown}"]
    return EventSpec(
        uid=followup_uid(item.app_id, item.stage, item.step, domain), kind="followup",
        app_id=item.app_id, number=item.step, stage=item.stage,
        summary=followup_summary(item), description="\n".join(lines), start=item.day,
        end=item.day + timedelta(days=1), transparent=True, categories=("Follow-up",))


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    for size, name in ((1440, "day"), (60, "hour"), (1, "minute")):
        if minutes % size == 0:
            count = minutes // size
            return f"{count} {name}{'' if count == 1 else 's'}"
    return f"{minutes} minutes"


# --- the calendar ----------------------------------------------------------------------

def ics_text(text: str, *, lines: bool = False) -> str:
    """A TEXT value with no character a calendar app misreads (`nudger.text.multi_line`:
    line breaks become LF, other control characters spaces), whatever RFC 5545's TEXT
    escaping says; a one-line value's breaks are spaces."""
    text = multi_line(text)
    return text if lines else text.replace("\n", " ")


def vevent(spec: EventSpec, version: Version) -> Event:
    """One icalendar Event with every stamp explicit."""
    from icalendar import Alarm, Event

    event = Event.new(
        uid=spec.uid, stamp=version.stamp, created=version.created,
        last_modified=version.stamp, sequence=version.sequence,
        summary=ics_text(spec.summary), description=ics_text(spec.description, lines=True),
        start=spec.start, end=spec.end,
        location=ics_text(spec.location) or None, url=spec.url or None,
        categories=list(spec.categories),
    )
    if spec.transparent:
        event.add("transp", "TRANSPARENT")
    if spec.alarm is not None:
        alarm = Alarm.new(description=ics_text(spec.alarm_text or spec.summary),
                          uid=f"alarm-{spec.uid}")
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", -spec.alarm)
        event.add_component(alarm)
    return event


EventCache = dict[tuple[str, str, int, datetime, datetime], bytes]
_END = b"END:VCALENDAR\r\n"


def build_calendar(events: Sequence[tuple[EventSpec, Version]], zone: ZoneInfo,
                   domain: str, now: datetime, *, method: str | None = None,
                   name: str = CALENDAR_NAME, cache: EventCache | None = None) -> bytes:
    """A VCALENDAR of `events` (sorted by start, then UID), with a VTIMEZONE for the
    user's zone (the zone every timed event is in), covering the years of the events (or
    of `now`, when there are none).

    Each VEVENT is serialized by icalendar on its own; with `cache`, the bytes of an
    event at a version already serialized are reused (the library's line folding is most
    of the cost of a large calendar). Serializing the calendar with the events inside or
    joining the events' own serializations gives the same content lines."""
    from icalendar import Calendar
    from icalendar.prop import vDuration

    ordered = sorted(events, key=lambda ev: (ev[0].starts_at, ev[0].uid))
    cal = Calendar.new(prodid=PRODID, uid=calendar_uid(domain), name=name,
                       method=method, refresh_interval=timedelta(hours=1))
    # RFC 7986 requires VALUE=DURATION on REFRESH-INTERVAL; Outlook reads X-PUBLISHED-TTL.
    cal["REFRESH-INTERVAL"].params["VALUE"] = "DURATION"
    cal.add("X-PUBLISHED-TTL", vDuration(timedelta(hours=1)))
    starts = [spec.starts_at for spec, _v in ordered] or [now]
    ends = [spec.ends_at for spec, _v in ordered] or [now]
    first_date, last_date = date(min(starts).year, 1, 1), date(max(ends).year + 1, 1, 1)
    for key in sorted(_zones(ordered, zone)):
        from icalendar import Timezone

        cal.add_component(Timezone.from_tzinfo(ZoneInfo(key), tzid=key,
                                               first_date=first_date, last_date=last_date))
    head = bytes(cal.to_ical())
    assert head.endswith(_END)
    body = []
    for spec, version in ordered:
        # The zone is part of the bytes (TZID) but not of the content: a reload with
        # another `timezone` must not reuse an event serialized in the old one.
        cache_key = (spec.uid, spec.fingerprint + str(getattr(spec.start, "tzinfo", "")),
                     version.sequence, version.stamp, version.created)
        blob = cache.get(cache_key) if cache is not None else None
        if blob is None:
            blob = bytes(vevent(spec, version).to_ical())
            if cache is not None:
                if len(cache) > 20_000:
                    cache.clear()
                cache[cache_key] = blob
        body.append(blob)
    return head[: -len(_END)] + b"".join(body) + _END


def _zones(events: Sequence[tuple[EventSpec, Version]], zone: ZoneInfo) -> set[str]:
    """The IANA zones a VTIMEZONE is needed for: the user's (always), and any other a
    timed event carries."""
    keys = {zone.key} if zone.key not in (None, "UTC", "Etc/UTC") else set()
    for spec, _v in events:
        for value in (spec.start, spec.end):
            tz = getattr(value, "tzinfo", None)
            key = getattr(tz, "key", None)
            if key and key not in ("UTC", "Etc/UTC"):
                keys.add(key)
    return keys
