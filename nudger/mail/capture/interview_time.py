"""An interview's moment, read from a mail: a text/calendar invitation's DTSTART, or the one
date-and-time the text states ("Tuesday, November 10, 2026 4:00 PM - 4:45 PM Pacific
Standard Time (UTC-08:00)", "Thursday 10 December at 10:00 Central", "am 17.11.2026 um
14:00 Uhr", "le mardi 17 novembre à 14h00 (heure de Paris)", "2026-11-25 09:00
(Europe/Oslo)"), the time first ("at 2:00 PM on Thursday, November 19 PST", "à 14h00 le 17
novembre"), dates with slashes (19/11/2026 day first; 11/19/2026 month first when it cannot
be a day, or on a 12-hour clock). A time without a zone is read in the user's zone, and
the result says so. Pure: the user's zone and the mail's sending time are parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from nudger.mail.capture.spoken import spoken_times
from nudger.mail.capture.zones import (
    STATED_ZONE,
    WINDOWS,
    WINDOWS_ZONE,
    ZONE_WORDS,
    named_zone,
    zone_of,
)
from nudger.when.times import supported

CALENDAR_CAP = 64 * 1024   # characters of a text/calendar part read


@dataclass(frozen=True)
class Invite:
    """What a text/calendar part says: its METHOD and the first event's start."""
    method: str                 # REQUEST, PUBLISH, CANCEL… upper-case ("" when absent)
    start: datetime | None      # aware UTC; None when absent or a whole day
    floating: bool = False      # DTSTART without a zone: read in the user's zone
    summary: str = ""


@dataclass(frozen=True)
class Moment:
    at: datetime                # aware UTC
    zoned: bool                 # False: the mail named no zone, the user's was used
    text: str                   # what was read, for the explanation


_UNFOLD = re.compile(r"\r?\n[ \t]")
_PROP = re.compile(r"^(?P<name>[A-Z-]+)(?P<params>(?:;[^:\r\n]*)?):(?P<value>[^\r\n]*)$",
                   re.MULTILINE | re.IGNORECASE)


def read_invite(text: str, zone: ZoneInfo) -> Invite:
    text = _UNFOLD.sub("", text[:CALENDAR_CAP]).replace("\r", "")
    method = ""
    start: datetime | None = None
    floating = False
    summary = ""
    in_event = False
    for found in _PROP.finditer(text):
        name = found.group("name").upper()
        value = found.group("value").strip()
        if name == "METHOD" and not in_event:
            method = value.upper()
        elif name == "BEGIN" and value.upper() == "VEVENT":
            in_event = True
        elif name == "END" and value.upper() == "VEVENT":
            break
        elif in_event and name == "SUMMARY" and not summary:
            summary = value.replace("\\,", ",").replace("\\;", ";")[:200]
        elif in_event and name == "DTSTART" and start is None:
            start, floating = _ical_time(value, found.group("params") or "", zone)
    return Invite(method, start, floating, summary)


def _ical_time(value: str, params: str, zone: ZoneInfo) -> tuple[datetime | None, bool]:
    found = re.fullmatch(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})?(Z?)", value)
    if not found:
        return None, False  # a whole-day event, or not a time
    y, mo, d, h, mi = (int(found.group(i)) for i in range(1, 6))
    tz: tzinfo | None = None
    floating = False
    if found.group(7):
        tz = UTC
    else:
        tzid = re.search(r"TZID=\"?([^\";:]+)", params, re.IGNORECASE)
        if tzid:
            tz = named_zone(tzid.group(1).strip())
            if tz is None:
                return None, False
        else:
            tz, floating = zone, True
    try:
        # a moment outside the one supported range is none (a calendar part "in 9999")
        at = supported(datetime(y, mo, d, h, mi, tzinfo=tz))
        return (at, floating) if at is not None else (None, False)
    except (ValueError, OverflowError):
        return None, False


# --- dates and times in text ---------------------------------------------------------------

_MONTHS = {
    **{m: i + 1 for i, m in enumerate(("january", "february", "march", "april", "may", "june",
                                       "july", "august", "september", "october", "november",
                                       "december"))},
    **{m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
                                       "sep", "oct", "nov", "dec"))},
    "sept": 9,
    **{m: i + 1 for i, m in enumerate(("januar", "februar", "märz", "april", "mai", "juni",
                                       "juli", "august", "september", "oktober", "november",
                                       "dezember"))},
    **{m: i + 1 for i, m in enumerate(("janvier", "février", "mars", "avril", "mai", "juin",
                                       "juillet", "août", "septembre", "octobre", "novembre",
                                       "décembre"))},
    **{m: i + 1 for i, m in enumerate(("enero", "febrero", "marzo", "abril", "mayo", "junio",
                                       "julio", "agosto", "septiembre", "octubre",
                                       "noviembre", "diciembre"))},
}
_MONTH_RE = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))

# The part of the day a 12-hour time names in the other languages ("a las 4 de la
# tarde", "à 3 heures de l'après-midi", "um 3 Uhr nachmittags"): morning words are am.
_DAYPART = (r"de la (?:tarde|noche|mañana)|du (?:soir|matin)|de l.après-midi"
            r"|(?:nachmittags|abends|vormittags|morgens)(?![\w])")
_PM_WORDS = ("tarde", "noche", "soir", "après-midi", "nachmittags", "abends")
_TIME = (r"(?P<h>[01]?\d|2[0-3])(?:(?P<sep>[:.]|\s?h\s?)(?P<mi>[0-5]\d)"
         r"(?::[0-5]\d(?:\.\d+)?(?P<isooff>[+-]\d{2}:?\d{2}(?!\d))?)?(?P<iso>(?-i:Z)(?![\w]))?)?"
         r"\s*"
         r"(?P<ampm>[ap]\.?\s?m\.?(?![\w])|" + _DAYPART + r")?"
         # "14:00 Uhr", "14h"; after minutes also "15:00 hs", "15:00 horas" (the Americas),
         # and "10 hs" alone
         r"(?P<uhr>\s*u(?:h|u)r(?![\w])|\s*o.clock(?![\w])|h(?![\w])|(?(mi)\s*(?:hs|hrs|horas)\.?(?![\w])|\s*hs\.?(?![\w])))?"
         r"(?:\s*(?P<part>" + _DAYPART + r"))?"
         r"(?:\s*(?:-|–|to|bis|à|a)\s*(?P<endh>[01]?\d|2[0-3])(?:[:.h][0-5]\d)?\s*"
         r"(?P<endampm>[ap]\.?\s?m\.?(?![\w]))?(?:\s*uhr(?![\w]))?)?"
         r"(?:[\s,]*\(?\s*(?P<zone>" + ZONE_WORDS + r")\s*\)?)?"
         r"(?:\s*\(\s*(?:utc|gmt)\s*(?P<off>[+-−]\s*\d{1,2}(?::?\d{2})?)\s*\))?")
_WEEKDAYS = (r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|weds|wed|"
             r"thu|thur|thurs|fri|sat|sun|montag|dienstag|mittwoch|donnerstag|freitag|samstag|"
             r"sonntag|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|lunes|martes|"
             r"miércoles|jueves|viernes|sábado|domingo)")
# Between the date and the time: a bracketed weekday ("21 October 2026 (Wednesday)"), the
# symbols a notice lays them out with ("📅 Miércoles, 21 de octubre 🕙 10:30 h").
_JOIN = (r"[\s,|·•\u2600-\u27bf\U0001f300-\U0001faff]*(?:\(\s*" + _WEEKDAYS + r"\s*\)"
         r"[\s,\u2600-\u27bf\U0001f300-\U0001faff]*)?"
         r"(?:(?:at|um|à|a las|a la|de|time|zeit|uhrzeit|heure|hora|von|ab|from|"
         r"between|entre las|entre|desde las|desde|dès|de|vers|gegen|hacia las|sobre las|"
         r"starting(?: at| around| from)?|beginning at|"
         r"around|about|om)\b\s*:?[\s,]*|@\s*|"
         # the verb between the day and the hour: "du 27 novembre aura bien lieu à 9h30",
         # "on 4 December will take place at", "el 3 de diciembre tendrá lugar a las"
         r"(?:aura (?:bien )?lieu|se (?:tiendra|déroulera)|tendrá lugar|se celebrará|"
         r"will (?:be held|take place|start)|takes place|findet(?: statt)?|beginnt)\s+"
         r"(?:à|a las|at|um|from)\s*)?")
_DATE_FORMS: tuple[re.Pattern[str], ...] = (
    re.compile(r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})(?:T|\s+|\s*,\s*)(?:um\s+|at\s+)?"
               + _TIME, re.IGNORECASE),
    re.compile(r"(?<![\d.])(?P<d>\d{1,2})\.(?P<mo>\d{1,2})\.(?P<y>\d{4}|\d{2})?"
               r"(?!\d)" + _JOIN + _TIME, re.IGNORECASE),
    re.compile(r"(?<!\d)(?P<d>\d{1,2})(?:st|nd|rd|th|\.|er)?\s+(?:de\s+)?(?P<mon>" + _MONTH_RE
               + r")\.?(?:,?\s+(?:de\s+)?(?P<y>\d{4}))?(?![\w])" + _JOIN + _TIME, re.IGNORECASE),
    re.compile(r"(?<![\w])(?P<mon>" + _MONTH_RE + r")\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?"
               r"(?:,?\s+(?P<y>\d{4}))?(?!\d)" + _JOIN + _TIME, re.IGNORECASE),
)


# A date written with slashes: day first (19/11/2026, Europe) or month first (11/19/2026,
# the US); which one is decided in `_moment`.
_SLASH = r"(?<![\d/])(?P<a>\d{1,2})/(?P<b>\d{1,2})(?:/(?P<y>\d{4}|\d{2}))?(?![\d/])"
_AFTER_ZONE = r"(?:\s*\(?\s*(?P<zone2>" + ZONE_WORDS + r")\s*\)?)?"
# The time first, then the date: "at 2:00 PM on Thursday, November 19", "à 14h00 le 17
# novembre", "um 14 Uhr am 17.11.2026", "a las 10:00 del 4 de diciembre", "at 10:00 on
# 2026-11-25"; a zone after the date counts too.
_TIME_FIRST = (_TIME + r"[\s,]*(?:(?:on|le|am|el|del|de|the)\s+)?(?:" + _WEEKDAYS
               + r"\.?,?\s+(?:(?:the|den|le|el|de)\s+)?)?")
_DATE_FORMS = (*_DATE_FORMS,
    re.compile(_SLASH + _JOIN + _TIME, re.IGNORECASE),
    re.compile(_TIME_FIRST + r"(?<![\d.])(?P<d>\d{1,2})\.(?P<mo>\d{1,2})\.(?P<y>\d{4}|\d{2})?"
               r"(?!\d)" + _AFTER_ZONE, re.IGNORECASE),
    re.compile(_TIME_FIRST + r"(?P<d>\d{1,2})(?:st|nd|rd|th|\.|er)?\s+(?:de\s+)?(?P<mon>"
               + _MONTH_RE + r")\.?(?:,?\s+(?:de\s+)?(?P<y>\d{4}))?(?![\w])" + _AFTER_ZONE,
               re.IGNORECASE),
    re.compile(_TIME_FIRST + r"(?P<mon>" + _MONTH_RE + r")\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?"
               r"(?:,?\s+(?P<y>\d{4}))?(?!\d)" + _AFTER_ZONE, re.IGNORECASE),
    re.compile(_TIME_FIRST + _SLASH + _AFTER_ZONE, re.IGNORECASE),
    # a weekday and its day of the month, no month: "el viernes 16 a las 13:00"
    re.compile(r"(?<![\w])(?P<wd>" + _WEEKDAYS + r")\.?,?\s+(?:(?:the|den|le|el)\s+)?"
               r"(?P<dn>\d{1,2})(?:st|nd|rd|th|\.|er)?(?!\d|\.\d|/|\s*(?:de\s+)?(?:"
               + _MONTH_RE + r")(?![\w]))" + _JOIN + _TIME, re.IGNORECASE),
    re.compile(_TIME_FIRST + r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})(?!\d)" + _AFTER_ZONE,
               re.IGNORECASE),
)


# A day named relative to the mail's sending day, then a time: "Thursday at 3pm CT",
# "tomorrow at 11:00", "morgen um 10 Uhr", "jeudi prochain à 14h", "el martes a las 16:00".
# Read only when the text states no dated moment (a weekday before a date is that date's).
_DAY_INDEX = {
    **dict.fromkeys(("monday", "montag", "lundi", "lunes"), 0),
    **dict.fromkeys(("tuesday", "dienstag", "mardi", "martes"), 1),
    **dict.fromkeys(("wednesday", "mittwoch", "mercredi", "miércoles", "miercoles"), 2),
    **dict.fromkeys(("thursday", "donnerstag", "jeudi", "jueves"), 3),
    **dict.fromkeys(("friday", "freitag", "vendredi", "viernes"), 4),
    **dict.fromkeys(("saturday", "samstag", "samedi", "sábado", "sabado"), 5),
    **dict.fromkeys(("sunday", "sonntag", "dimanche", "domingo"), 6),
}
_AHEAD = {**dict.fromkeys(("today", "heute", "aujourd'hui", "aujourd’hui", "hoy"), 0),
          **dict.fromkeys(("tomorrow", "morgen", "demain", "mañana"), 1)}
_RELATIVE = re.compile(
    r"(?<![\w])(?:(?:this|next|coming|on|am|diesen|nächsten|kommenden|ce|le|el|este|"
    r"el próximo|próximo)\s+)?(?P<rel>" + "|".join(sorted(
        (re.escape(w) for w in (*_DAY_INDEX, *_AHEAD)), key=len, reverse=True))
    + r")(?![\w])(?:\s+(?:prochain|que viene|next week))?,?" + _JOIN + _TIME, re.IGNORECASE)


def interview_moment(text: str, sent_at: datetime | None, zone: ZoneInfo) -> Moment | None:
    """The one moment the text states with a date and a time (a range counts as its
    start); a day named relative to the sending day ("Thursday at 3pm", "tomorrow at
    11:00") only when it states no date; None when it states none, or several different
    ones."""
    found: dict[datetime, Moment] = {}
    text = spoken_times(text)  # "a las cinco y media", "halb drei", "tomorrow at 3"
    if "(UTC" in text or "(GMT" in text:
        text = WINDOWS_ZONE.sub(lambda m: " " + WINDOWS[" ".join(m.group(1).lower().split())],
                                 text)
    for form in _DATE_FORMS:
        for match in form.finditer(text):
            moment = _moment(match, sent_at, zone)
            if moment is not None:
                found.setdefault(moment.at, moment)
    if not found and sent_at is not None:
        for match in _RELATIVE.finditer(text):
            moment = _moment(match, sent_at, zone)
            if moment is not None:
                found.setdefault(moment.at, moment)
    if not found:
        moment = _apart(text, sent_at, zone)
        if moment is not None:
            found[moment.at] = moment
    if len(found) != 1:
        return None
    moment = next(iter(found.values()))
    stated = STATED_ZONE.search(text) if not moment.zoned else None
    if stated is not None:
        # "Time zone: America/New_York" on a line of its own (a calendar's text): the
        # time is that zone's local time.
        tz, _ = zone_of(stated.group("zone"), "", zone)
        if tz is not None:
            local = moment.at.astimezone(zone).replace(tzinfo=None)
            at = supported(local.replace(tzinfo=tz))
            if at is not None:
                return Moment(at, True, f"{moment.text} ({stated.group(0).strip()})")
    return moment



# A date alone ("Wednesday 11 November", "November 2", "17.11.2026") and a time alone
# ("Your slot is 14:15 - 15:15", "starting around 9:30 Mountain time"): a time needs its
# minutes after a colon or an "h", am/pm or "Uhr" (not "€10.50").
_DATE_ALONE = (
    re.compile(r"(?<!\d)(?P<d>\d{1,2})(?:st|nd|rd|th|\.|er)?\s+(?:de\s+)?(?P<mon>" + _MONTH_RE
               + r")\.?(?:,?\s+(?:de\s+)?(?P<y>\d{4}))?(?![\w])", re.IGNORECASE),
    re.compile(r"(?<![\w])(?P<mon>" + _MONTH_RE + r")\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?"
               r"(?:,?\s+(?P<y>\d{4}))?(?![\d:])", re.IGNORECASE),
    re.compile(r"(?<![\d.])(?P<d>\d{1,2})\.(?P<mo>\d{1,2})\.(?P<y>\d{4})(?!\d)"),
)
# The words before a deadline's date in the four languages ("by Friday 13 November",
# "bis zum 13. November", "avant le 13 novembre", "antes del 13 de noviembre").
_DEADLINE = re.compile(r"\b(?:by|before|until|no later than|bis(?: zum| spätestens)?|"
                       r"spätestens(?: am| bis)?|avant(?: le)?|d'ici (?:le)?|jusqu'au|"
                       r"antes del?|hasta el|a más tardar el)\s+(?:[A-Za-zÀ-ÿ]+,?\s+)?$",
                       re.IGNORECASE)
_TIME_ALONE = re.compile(r"(?<![\w:.,/€$£])" + _TIME, re.IGNORECASE)
# The words before a time that say when something ends or is due, not when it starts, in
# the four languages ("das Ende ist gegen", "finishing around", "fin prévue à", "termina a").
_ENDS = re.compile(r"\b(?:end|ends|ending|finish(?:es|ing)?|until|till|by|no later than|"
                   r"ende|endet|bis|spätestens|fin|finit|termine|jusqu'à|avant|termina|"
                   r"terminará|hasta|antes de)\b[^.!?\n\d]{0,18}$", re.IGNORECASE)


def _apart(text: str, sent_at: datetime | None, zone: ZoneInfo) -> Moment | None:
    """The moment of a mail that states its one date and its one time apart ("Interviews
    will take place on Wednesday 11 November … Your slot is 14:15 - 15:15"): read as
    that date at that time; None when it states more than one of either."""
    dates: dict[tuple[str, ...], str] = {}
    spans: list[tuple[int, int]] = []
    for form in _DATE_ALONE:
        for match in form.finditer(text):
            spans.append(match.span())
            if _DEADLINE.search(text, max(0, match.start() - 40), match.start()):
                continue  # "confirm by Friday 13 November": a reply's deadline, not the day
            key = tuple((match.groupdict().get(k) or "").lower() for k in ("d", "mo", "mon"))
            dates.setdefault(key, match.group(0))
    if len(dates) != 1:
        return None
    times: dict[str, str] = {}
    leading: list[bool] = []
    for match in _TIME_ALONE.finditer(text):
        if any(a <= match.start() < b for a, b in spans):
            continue
        parts = match.groupdict()
        if not ((parts.get("mi") and (parts.get("sep") or "").strip() in (":", "h")) or
                parts.get("ampm") or parts.get("uhr")):
            continue
        if _ENDS.search(text, max(0, match.start() - 30), match.start()):
            continue  # "das Ende ist gegen 16:00 Uhr", "finishing by 4pm": not when it starts
        times.setdefault(" ".join(match.group(0).lower().split()), match.group(0))
        leading.append(not text[text.rfind("\n", 0, match.start()) + 1: match.start()].strip())
    if len(times) > 1 and len(leading) == len(times) and all(leading):
        # A day's schedule, one time leading each line ("09:30 Welcome", "10:00 System
        # design"): the day starts at its first.
        times = dict([next(iter(times.items()))])
    if len(times) != 1:
        return None
    joined = f"{next(iter(dates.values()))} at {next(iter(times.values())).strip()}"
    for form in _DATE_FORMS:
        read = form.search(joined)
        if read is not None:
            moment = _moment(read, sent_at, zone)
            if moment is not None:
                return Moment(moment.at, moment.zoned, joined[:120])
    return None

def _moment(match: re.Match[str], sent_at: datetime | None, zone: ZoneInfo) -> Moment | None:
    parts = match.groupdict()
    # A bare number is not a time: it needs minutes, am/pm, "Uhr"/"h" or a zone ("at 11
    # Irish time").
    # Spanish says the hour with its article: "a las 11", "sobre las 12" is a time.
    las = match.string[max(0, match.start("h") - 4):match.start("h")].lower() == "las "
    if not (parts.get("mi") or parts.get("ampm") or parts.get("uhr") or parts.get("zone") or
            (parts.get("sep") or "").strip() == "h" or las or parts.get("endampm")):
        return None
    try:
        if parts.get("a"):
            first, second = int(parts["a"]), int(parts["b"])
            # Month first only when it cannot be day first (11/19) or the time is the
            # US's 12-hour clock (11/12 2:00 PM); else day first (19/11, 11/12 14:00).
            us = second > 12 or (first <= 12 and
                                     (parts.get("ampm") or " ")[0].lower() in ("a", "p"))
            month, day = (first, second) if us else (second, first)
        elif parts.get("dn"):
            if sent_at is None:
                return None
            when = _day_of_month(parts["wd"], int(parts["dn"]),
                                 sent_at.astimezone(zone).date())
            if when is None:
                return None
            month, day = when.month, when.day
            parts["y"] = str(when.year)
        elif parts.get("rel"):
            if sent_at is None:
                return None
            rel = parts["rel"].lower()
            sent = sent_at.astimezone(zone).date()
            ahead = _AHEAD[rel] if rel in _AHEAD else \
                (_DAY_INDEX[rel] - sent.weekday()) % 7 or 7
            when = sent + timedelta(days=ahead)
            year, month, day = when.year, when.month, when.day
            parts["y"] = str(year)
        else:
            month = int(parts["mo"]) if parts.get("mo") else _MONTHS[parts["mon"].lower()]
            day = int(parts["d"])
        hour = int(parts["h"])
        minute = int(parts.get("mi") or 0)
        ampm = re.sub(r"[.\s]", "", parts.get("ampm") or parts.get("part") or "").lower()
        if not ampm and parts.get("endampm") and hour <= int(parts.get("endh") or 0) <= 12:
            # "2:00 – 2:30pm": a range's one am/pm is its start's too
            ampm = re.sub(r"[.\s]", "", parts["endampm"]).lower()
        if any(ampm.endswith(word.replace(" ", "")) for word in _PM_WORDS):
            ampm = "pm"
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        if parts.get("y"):
            year = int(parts["y"])
            year += 2000 if year < 100 else 0
        elif sent_at is not None:
            year = sent_at.year + (1 if month < sent_at.month - 1 else 0)
        else:
            return None
        # An ISO time's own offset: "2026-12-10T13:00:00Z", "…T14:00:00+01:00".
        iso = parts.get("isooff") or ("+00:00" if parts.get("iso") else "")
        tz, zoned = zone_of(parts.get("zone") or parts.get("zone2") or "",
                             parts.get("off") or iso, zone)
        if tz is None:
            return None
        at = supported(datetime(year, month, day, hour, minute, tzinfo=tz))
    except (KeyError, ValueError, OverflowError):
        return None
    if at is None:
        return None  # outside the one supported range of dates
    return Moment(at, zoned, " ".join(match.group(0).split())[:120])


_DAY_PREFIX = {name[:3]: index for name, index in _DAY_INDEX.items()} | {"mié": 2, "sáb": 5}


def _day_of_month(weekday: str, number: int, sent: date) -> date | None:
    """The first day numbered `number` from the sending day on (two months at most) that
    is `weekday`: "Friday 16" sent on Monday 12 October is 16 October."""
    index = _DAY_PREFIX.get(weekday.lower()[:3])
    for ahead in range(62):
        when = sent + timedelta(days=ahead)
        if when.day == number and when.weekday() == index:
            return when
    return None
