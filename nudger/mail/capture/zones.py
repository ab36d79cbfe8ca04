"""Time zones as mails name them: by abbreviation ("CET", "PST"), by UTC offset ("UTC-08:00"), by
IANA name ("Europe/Oslo"), by a place or a country ("heure de Paris", "hora peninsular",
"London time", "Central"; any city of the IANA database and a few other names: "hora de Ciudad
de México", "heure de Casablanca", "Nairobi time"), by Outlook's and Teams' lists of cities
("(UTC+00:00) Dublin, Edinburgh, Lisbon, London"), and "your time" (the user's zone). Pure: the
user's zone is a parameter. interview_time.py reads the dates and times these zones follow.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


def named_zone(name: str) -> tzinfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        key = re.sub(r"[^a-z ]", "", name.lower()).strip()
        iana = WORD_ZONES.get(key) or WORD_ZONES.get(key.removesuffix(" time"))
        return ZoneInfo(iana) if iana else None


# Zone words → an IANA zone (the offset then follows the date: PST in winter, PDT in
# summer) or a fixed offset.
WORD_ZONES = {
    "pacific": "America/Los_Angeles", "pacific standard": "America/Los_Angeles",
    "pacific daylight": "America/Los_Angeles", "pt": "America/Los_Angeles",
    "mountain": "America/Denver", "mountain standard": "America/Denver",
    "mountain daylight": "America/Denver", "mt": "America/Denver",
    "central": "America/Chicago", "central standard": "America/Chicago",
    "central daylight": "America/Chicago", "ct": "America/Chicago",
    "eastern": "America/New_York", "eastern standard": "America/New_York",
    "eastern daylight": "America/New_York", "et": "America/New_York",
    "central european": "Europe/Berlin", "central european summer": "Europe/Berlin",
    "central european standard": "Europe/Berlin",
    "eastern european": "Europe/Athens", "eastern european summer": "Europe/Athens",
    "eastern european standard": "Europe/Athens", "western european": "Europe/Lisbon",
    "western european summer": "Europe/Lisbon", "western european standard": "Europe/Lisbon",
    "hora de canarias": "Atlantic/Canary",
    "british summer": "Europe/London", "greenwich mean": "UTC", "coordinated universal": "UTC",
    "heure de paris": "Europe/Paris", "heure française": "Europe/Paris",
    "heure de france": "Europe/Paris",
    "hora de madrid": "Europe/Madrid", "hora peninsular": "Europe/Madrid",
    "hora española": "Europe/Madrid", "hora de españa": "Europe/Madrid",
    "deutscher zeit": "Europe/Berlin", "deutsche zeit": "Europe/Berlin",
    "uk": "Europe/London", "london": "Europe/London", "irish": "Europe/Dublin",
    "dublin": "Europe/Dublin", "lisbon": "Europe/Lisbon", "paris": "Europe/Paris",
    "berlin": "Europe/Berlin", "madrid": "Europe/Madrid", "amsterdam": "Europe/Amsterdam",
    "brussels": "Europe/Brussels", "zurich": "Europe/Zurich", "vienna": "Europe/Vienna",
    "new york": "America/New_York", "chicago": "America/Chicago", "denver": "America/Denver",
    "los angeles": "America/Los_Angeles", "san francisco": "America/Los_Angeles",
    "toronto": "America/Toronto", "vancouver": "America/Vancouver",
    # further cities and the Spanish-speaking Americas' own ways of naming their zone
    "mexico city": "America/Mexico_City", "ciudad de méxico": "America/Mexico_City",
    "hora del centro de méxico": "America/Mexico_City", "hora del centro": "America/Mexico_City",
    "hora de méxico": "America/Mexico_City", "hora méxico": "America/Mexico_City",
    "bogotá": "America/Bogota", "bogota": "America/Bogota", "hora colombia": "America/Bogota",
    "hora de colombia": "America/Bogota", "hora de bogotá": "America/Bogota",
    "lima": "America/Lima", "hora de perú": "America/Lima", "hora perú": "America/Lima",
    "santiago": "America/Santiago", "hora de chile": "America/Santiago",
    "hora chile": "America/Santiago", "buenos aires": "America/Argentina/Buenos_Aires",
    "hora de argentina": "America/Argentina/Buenos_Aires",
    "hora argentina": "America/Argentina/Buenos_Aires", "são paulo": "America/Sao_Paulo",
    "hora canaria": "Atlantic/Canary", "montréal": "America/Toronto",
    "montreal": "America/Toronto", "heure de montréal": "America/Toronto",
    "heure du québec": "America/Toronto", "heure de l'est": "America/Toronto",
    "singapore": "Asia/Singapore", "kuala lumpur": "Asia/Kuala_Lumpur",
    "hong kong": "Asia/Hong_Kong", "tokyo": "Asia/Tokyo", "india": "Asia/Kolkata",
    "mumbai": "Asia/Kolkata", "bangalore": "Asia/Kolkata", "bengaluru": "Asia/Kolkata",
    "dubai": "Asia/Dubai", "sydney": "Australia/Sydney", "melbourne": "Australia/Melbourne",
    "auckland": "Pacific/Auckland", "stockholm": "Europe/Stockholm", "oslo": "Europe/Oslo",
    "copenhagen": "Europe/Copenhagen", "warsaw": "Europe/Warsaw", "prague": "Europe/Prague",
    "rome": "Europe/Rome", "milan": "Europe/Rome", "athens": "Europe/Athens",
    "helsinki": "Europe/Helsinki", "istanbul": "Europe/Istanbul",
    "de argentina": "America/Argentina/Buenos_Aires", "de chile": "America/Santiago",
    "de colombia": "America/Bogota", "de méxico": "America/Mexico_City",
    "de perú": "America/Lima", "de españa": "Europe/Madrid",
    "finnish": "Europe/Helsinki", "german": "Europe/Berlin", "french": "Europe/Paris",
    "spanish": "Europe/Madrid", "portuguese": "Europe/Lisbon", "dutch": "Europe/Amsterdam",
    "belgian": "Europe/Brussels", "swiss": "Europe/Zurich", "austrian": "Europe/Vienna",
    "italian": "Europe/Rome", "swedish": "Europe/Stockholm", "norwegian": "Europe/Oslo",
    "danish": "Europe/Copenhagen", "polish": "Europe/Warsaw", "czech": "Europe/Prague",
    "greek": "Europe/Athens", "turkish": "Europe/Istanbul", "israeli": "Asia/Jerusalem",
    "indian": "Asia/Kolkata", "japanese": "Asia/Tokyo", "east coast": "America/New_York",
    "west coast": "America/Los_Angeles", "hawaii": "Pacific/Honolulu",
    "alaska": "America/Anchorage", "atlantic": "America/Halifax", "arizona": "America/Phoenix",
}
# "Your time" and its kin: the user's own zone, stated.
YOUR_TIME = re.compile(r"^(?:in |en |à )?(?:your (?:local )?time(?: zone)?|tu hora(?: local)?|"
                       r"votre heure(?: locale)?|(?:ihrer|deiner) (?:orts)?zeit)$")
FIXED = {"utc": 0, "gmt": 0, "z": 0, "cet": 60, "cest": 120, "mez": 60, "mesz": 120,
         "bst": 60, "wet": 0, "west": 60, "eet": 120, "eest": 180, "est": -300, "edt": -240,
         "cst": -360, "cdt": -300, "mst": -420, "mdt": -360, "pst": -480, "pdt": -420,
         "sgt": 480, "myt": 480, "hkt": 480, "jst": 540, "kst": 540, "ist": 330,
         "aest": 600, "aedt": 660, "nzst": 720, "nzdt": 780, "gst": 240}
ZONE_WORDS = (
    r"(?:central european|eastern european|western european|pacific|mountain|central|eastern|"
    r"british)"
    r"(?: (?:standard|daylight|summer))?(?: time)?(?![\w])"
    r"|greenwich mean time|coordinated universal time"
    r"|heure (?:de paris|française|de france)|hora (?:de madrid|peninsular|española|de españa)"
    r"|(?:in )?deutscher? zeit"
    r"|hora (?:del centro(?: de méxico)?|de méxico|méxico|colombia|de colombia|de bogotá|"
    r"de perú|perú|de chile|chile|de argentina|argentina|canaria|de canarias)(?![\w])"
    r"|heure (?:de montréal|du québec|de l.est)(?![\w])"
    # "15 hs de Argentina": a country after the hour
    r"|de (?:argentina|chile|colombia|méxico|perú|españa)(?![\w])"
    # the user's own: "2pm your time", "a las 10 (tu hora)", "à 14h, votre heure"
    r"|(?:in )?your (?:local )?time(?: zone)?(?![\w])|(?:en )?tu hora(?: local)?(?![\w])"
    r"|(?:à )?votre heure(?: locale)?(?![\w])|(?:in )?(?:ihrer|deiner) (?:orts)?zeit(?![\w])"
    # a country's or a region's time: "Finnish time", "German time", "East Coast time"
    r"|(?:finnish|german|french|spanish|portuguese|dutch|belgian|swiss|austrian|italian|"
    r"swedish|norwegian|danish|polish|czech|greek|turkish|israeli|indian|japanese|"
    r"east coast|west coast|hawaii|alaska|atlantic|arizona)(?: time)(?![\w])"
    r"|(?:uk|london|irish|dublin|lisbon|paris|berlin|madrid|amsterdam|brussels|zurich|vienna|"
    r"new york|chicago|denver|los angeles|san francisco|toronto|vancouver|mexico city|"
    r"ciudad de méxico|bogotá|bogota|lima|santiago|buenos aires|são paulo|montréal|montreal|"
    r"singapore|kuala lumpur|hong kong|tokyo|india|mumbai|bangalore|bengaluru|dubai|sydney|"
    r"melbourne|auckland|stockholm|oslo|copenhagen|warsaw|prague|rome|milan|athens|helsinki|"
    r"istanbul)(?: time| standard time)(?![\w])"
    r"|(?-i:[A-Z][a-z]+/[A-Z][A-Za-z_]+(?:/[A-Z][A-Za-z_]+)?)"
    r"|(?:utc|gmt)\s*[+-−]\s*\d{1,2}(?::?\d{2})?"
    r"|(?-i:CEST|CET|MESZ|MEZ|BST|WEST|WET|EEST|EET|EST|EDT|CST|CDT|MST|MDT|PST|PDT|UTC|GMT"
    r"|SGT|MYT|HKT|JST|KST|IST|AEST|AEDT|NZST|NZDT|GST"
    r"|ET|CT|MT|PT)(?![\w])|(?:utc|gmt)(?![\w])"
    # any other abbreviation's shape ("AWST", "SAST", "HST"): the zone database says which
    # offset it is (`database_abbreviations`)
    r"|(?-i:[A-Z]{2,4}T)(?![\w])"
)


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", " ".join(text.lower().split()))
                   if not unicodedata.combining(c))


# A city's time by its name: every city of the IANA database ("Casablanca", "Mexico City",
# "Sao Paulo"), and the names the four languages give cities it does not list or lists
# otherwise. Read only with "time"/"Zeit" after it or "hora de"/"heure de" before it.
_OTHER_CITIES = {
    "ciudad de méxico": "America/Mexico_City", "nueva york": "America/New_York",
    "londres": "Europe/London", "múnich": "Europe/Berlin", "münchen": "Europe/Berlin",
    "munich": "Europe/Berlin", "frankfurt": "Europe/Berlin", "hamburg": "Europe/Berlin",
    "köln": "Europe/Berlin", "barcelona": "Europe/Madrid", "sevilla": "Europe/Madrid",
    "valencia": "Europe/Madrid", "bilbao": "Europe/Madrid", "lyon": "Europe/Paris",
    "marseille": "Europe/Paris", "genève": "Europe/Zurich", "geneva": "Europe/Zurich",
    "san francisco": "America/Los_Angeles", "seattle": "America/Los_Angeles",
    "boston": "America/New_York", "washington": "America/New_York",
    "miami": "America/New_York", "atlanta": "America/New_York", "austin": "America/Chicago",
    "dallas": "America/Chicago", "houston": "America/Chicago", "montréal": "America/Toronto",
    "montreal": "America/Toronto", "bangalore": "Asia/Kolkata", "bengaluru": "Asia/Kolkata",
    "mumbai": "Asia/Kolkata", "delhi": "Asia/Kolkata", "beijing": "Asia/Shanghai",
    "são paulo": "America/Sao_Paulo", "bogotá": "America/Bogota", "lisboa": "Europe/Lisbon",
    "wien": "Europe/Vienna", "zürich": "Europe/Zurich", "bruxelles": "Europe/Brussels",
}


@cache
def city_zones() -> dict[str, str]:
    """Folded city name → IANA key; read from the zone database the first time a mail
    names a place's time (listing it costs a tenth of a second)."""
    return {_fold(key.rsplit("/", 1)[1].replace("_", " ")): key
            for key in available_timezones()
            if key.split("/")[0] in ("Europe", "America", "Asia", "Africa", "Australia",
                                     "Pacific", "Atlantic", "Indian") and
            len(key.rsplit("/", 1)[1]) > 3} | {_fold(k): v for k, v in _OTHER_CITIES.items()}


# A place's name (one to three capitalised words) read as a zone only where it is said to
# be one; the name is looked up, not listed in the pattern (a pattern of every city costs
# half a second to compile). An unknown place leaves the time in the user's zone, unzoned.
_PLACE = r"(?-i:[A-ZÀ-Ý][\wÀ-ÿ'-]+(?: (?:de |del |of )?[A-ZÀ-Ý][\wÀ-ÿ'-]+){0,2})"
_CITY_FORM = re.compile(rf"(?:hora de|heure de|heure d'|ora di) ?{_PLACE}|"
                        rf"{_PLACE}(?: standard)? (?:time|zeit)", re.IGNORECASE)
ZONE_WORDS += rf"|(?:hora de|heure de|heure d'|ora di) ?{_PLACE}(?![\w])" \
              rf"|{_PLACE}(?: standard)? (?:time|zeit)(?![\w])"
# Outlook's and Teams' zone names ("(UTC+00:00) Dublin, Edinburgh, Lisbon, London"): the
# offset they show is the zone's standard one, so the place's zone is read (summer time).
WINDOWS = {
    "dublin, edinburgh, lisbon, london": "Europe/London",
    "amsterdam, berlin, bern, rome, stockholm, vienna": "Europe/Berlin",
    "brussels, copenhagen, madrid, paris": "Europe/Paris",
    "belgrade, bratislava, budapest, ljubljana, prague": "Europe/Prague",
    "sarajevo, skopje, warsaw, zagreb": "Europe/Warsaw",
    "helsinki, kyiv, riga, sofia, tallinn, vilnius": "Europe/Helsinki",
    "athens, bucharest": "Europe/Bucharest",
    "eastern time (us & canada)": "America/New_York",
    "central time (us & canada)": "America/Chicago",
    "mountain time (us & canada)": "America/Denver",
    "pacific time (us & canada)": "America/Los_Angeles",
}
WINDOWS_ZONE = re.compile(r"\s*\((?:UTC|GMT)(?:\s*[+-−]\s*\d{1,2}:\d{2})?\)\s*("
                           + "|".join(re.escape(k).replace(r"\ ", r"\s+")
                                      for k in WINDOWS) + ")", re.IGNORECASE)
# A zone stated apart from the time, as calendars write it.
STATED_ZONE = re.compile(
    r"\b(?:time ?zone|zeitzone|fuseau horaire|zona horaria)\s*:?\s*\(?\s*(?P<zone>"
    + ZONE_WORDS + r")", re.IGNORECASE)


def zone_of(word: str, offset: str, user: ZoneInfo) -> tuple[tzinfo | None, bool]:
    if offset:
        return fixed_offset(offset), True
    word = " ".join(word.split())
    if not word:
        return user, False
    if YOUR_TIME.match(word.lower()):
        return user, True
    if "/" in word:
        try:
            return ZoneInfo(word), True
        except (ZoneInfoNotFoundError, ValueError):
            return None, True
    key = word.lower().removeprefix("in ").removesuffix(" time").removesuffix(" standard").strip()
    if key in WORD_ZONES:
        return ZoneInfo(WORD_ZONES[key]), True
    squashed = key.replace(" ", "")
    if squashed in FIXED:
        return (UTC if FIXED[squashed] == 0 else
                timezone(timedelta(minutes=FIXED[squashed]))), True
    if squashed[:3] in ("utc", "gmt"):
        return fixed_offset(squashed[3:]), True
    if word.isupper() and word.isalpha():
        minutes = database_abbreviations().get(word)
        if minutes is None:
            return user, False  # "10:00 CPT": no zone the database knows by that name
        return timezone(timedelta(minutes=minutes)), True
    city = re.sub(r"^(?:hora de|heure de|heure d'|ora di) ?|(?: standard)? zeit$", "",
                  _fold(key))
    if city in city_zones():
        return ZoneInfo(city_zones()[city]), True
    if _CITY_FORM.fullmatch(word):
        return user, False  # "10:00 Lunch time": no place the zone database knows
    return None, True


@cache
def database_abbreviations() -> dict[str, int]:
    """Every abbreviation the zone database gives a zone in January or July ("AWST",
    "SAST", "HST", "ACDT"), with its offset from UTC in minutes, when all the zones that use
    it agree on one (not "CST" or "IST", which `FIXED` reads as the mails mean them)."""
    seen: dict[str, set[int]] = {}
    for key in available_timezones():
        for month in (1, 7):
            moment = datetime(2026, month, 15, 12, tzinfo=ZoneInfo(key))
            name, offset = moment.tzname() or "", moment.utcoffset()
            if name.isalpha() and name.isupper() and offset is not None:
                seen.setdefault(name, set()).add(int(offset.total_seconds()) // 60)
    return {name: next(iter(offsets)) for name, offsets in seen.items() if len(offsets) == 1}


def fixed_offset(text: str) -> tzinfo | None:
    found = re.fullmatch(r"([+-−])\s*(\d{1,2}):?(\d{2})?", text.strip())
    if not found:
        return None
    delta = timedelta(hours=int(found.group(2)), minutes=int(found.group(3) or 0))
    if delta > timedelta(hours=14):
        return None
    return timezone(-delta if found.group(1) in "-−" else delta)
