"""Times said in words, rewritten as the clock times interview_time.py reads: "half past
two" → "14:30", "a las cinco y media" → "a las 17:30", "à trois heures et demie" → "à
15h30", "um halb drei" → "um 14:30 Uhr", "at noon" → "at 12:00", "tomorrow at 3" →
"tomorrow at 15:00". People write the hour of a meeting as they say it; an hour said
without a part of the day is read in working hours (one to seven is the afternoon, "cinco"
is five o'clock in the afternoon when a person asks to meet), a morning word ("de la
mañana", "du matin", "morgens", "am") keeps it in the morning. Pure.
"""

from __future__ import annotations

import re
from functools import partial

_NUMBERS = {
    **{w: i + 1 for i, w in enumerate(("one", "two", "three", "four", "five", "six", "seven",
                                       "eight", "nine", "ten", "eleven", "twelve"))},
    **{w: i + 1 for i, w in enumerate(("una", "dos", "tres", "cuatro", "cinco", "seis",
                                       "siete", "ocho", "nueve", "diez", "once", "doce"))},
    **{w: i + 1 for i, w in enumerate(("une", "deux", "trois", "quatre", "cinq", "six",
                                       "sept", "huit", "neuf", "dix", "onze", "douze"))},
    **{w: i + 1 for i, w in enumerate(("eins", "zwei", "drei", "vier", "fünf", "sechs",
                                       "sieben", "acht", "neun", "zehn", "elf", "zwölf"))},
    "ein": 1, "uno": 1, "noon": 12, "midi": 12, "mediodía": 12, "mittag": 12,
}
_WORD = "|".join(sorted(_NUMBERS, key=len, reverse=True))
_HOUR = r"(?P<h>" + _WORD + r"|1[0-2]|0?[1-9])"
_MORNING = re.compile(r"\s*(?:in the morning|de la mañana|du matin|morgens|früh|"
                      r"[ap]\.?m\.?(?![\w]))", re.IGNORECASE)

_DAY = (r"(?:tomorrow|today|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
        r"mañana|hoy|lunes|martes|miércoles|jueves|viernes|sábado|demain|lundi|mardi|"
        r"mercredi|jeudi|vendredi|samedi|morgen|heute|montag|dienstag|mittwoch|donnerstag|"
        r"freitag|samstag)")

# Each form: its pattern (the hour in group h, what stays before it in group lead) and the
# minutes it adds to the hour named (German "halb drei" is half an hour before three). A
# bare number ("at 3", "à une", "um ein") is an hour only after a day ("tomorrow at 3",
# "Thursday at 3"), or with its hour's word ("o'clock", "heures", "Uhr", "a las").
_FORMS: tuple[tuple[re.Pattern[str], int], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), minutes) for pattern, minutes in (
        (r"(?<![\w])(?P<lead>at|around|about|by) half past " + _HOUR + r"(?![\w])", 30),
        (r"(?<![\w])(?P<lead>at|around|about|by) (?:a )?quarter past " + _HOUR + r"(?![\w])",
         15),
        (r"(?<![\w])(?P<lead>at|around|about|by) (?:a )?quarter to " + _HOUR + r"(?![\w])",
         -15),
        (r"(?<![\w])(?P<lead>at|around|about) half (?P<h>" + _WORD + r"|1[0-2]|0?[1-9])"
         r"(?![\w:.])", 30),  # "half ten": half past ten
        (r"(?<![\w])(?P<lead>at|around|about) " + _HOUR + r" o.clock(?![\w])", 0),
        (r"(?<![\w])(?P<lead>at|around|about) (?P<h>noon)(?![\w])", 0),
        (r"(?<![\w])(?P<lead>a las|a la|sobre las|hacia las) " + _HOUR + r" y media(?![\w])", 30),
        (r"(?<![\w])(?P<lead>a las|a la|sobre las|hacia las) " + _HOUR + r" y cuarto(?![\w])", 15),
        (r"(?<![\w])(?P<lead>a las|a la|sobre las|hacia las) " + _HOUR
         + r" menos cuarto(?![\w])", -15),
        (r"(?<![\w])(?P<lead>a las|a la|sobre las|hacia las) (?P<h>" + _WORD + r")(?![\w])", 0),
        (r"(?<![\w])(?P<lead>à|vers) " + _HOUR + r"(?: heures?|h) et demie(?![\w])", 30),
        (r"(?<![\w])(?P<lead>à|vers) " + _HOUR + r"(?: heures?|h) et quart(?![\w])", 15),
        (r"(?<![\w])(?P<lead>à|vers) " + _HOUR + r"(?: heures?|h) moins le quart(?![\w])", -15),
        (r"(?<![\w])(?P<lead>à|vers) (?P<h>" + _WORD + r"|[01]?\d|2[0-3]) heures?(?![\w])",
         0),
        (r"(?<![\w])(?P<lead>à|vers) (?P<h>midi)(?![\w])", 0),
        (r"(?<![\w])(?P<lead>um|gegen|ab) halb " + _HOUR + r"(?: uhr)?(?![\w])", -30),
        (r"(?<![\w])(?P<lead>um|gegen|ab) viertel nach " + _HOUR + r"(?: uhr)?(?![\w])", 15),
        (r"(?<![\w])(?P<lead>um|gegen|ab) viertel vor " + _HOUR + r"(?: uhr)?(?![\w])", -15),
        (r"(?<![\w])(?P<lead>um|gegen|ab) (?P<h>" + _WORD + r") uhr(?![\w])", 0),
        (r"(?<![\w])(?P<lead>" + _DAY + r",? (?:at|around|about|um|gegen|à|vers)) " + _HOUR
         + r"(?![\w:.]|\s?[ap]\.?m|\s?(?:pm|am|h|uhr|o.clock)(?![\w]))", 0),
    ))

# A cheap first look: a form can match only when one of these is in the text.
_ANY = re.compile(r"(?<![\w])(?:at|around|about|by|a las|a la|sobre las|hacia las|à|vers|um|"
                  r"gegen|ab)\s", re.IGNORECASE)


def _clock(match: re.Match[str], minutes: int) -> str:
    said = match.group("h").lower()
    hour = _NUMBERS.get(said) or int(said)
    if hour > 12:
        return f"{match.group('lead')} {hour:02d}:{minutes % 60:02d}"  # a 24-hour clock
    total = hour * 60 + minutes
    hour, minute = divmod(total % (12 * 60), 60)
    hour = hour or 12
    morning = _MORNING.match(match.string, match.end()) is not None
    if not morning and hour <= 7:
        hour += 12  # one to seven said without a part of the day: the afternoon
    return f"{match.group('lead')} {hour:02d}:{minute:02d}"


def spoken_times(text: str) -> str:
    """`text` with the times it says in words (or as a bare hour after "at", "a las", "um")
    written as clock times; unchanged when it says none."""
    if _ANY.search(text) is None:
        return text
    for pattern, minutes in _FORMS:
        if pattern.search(text) is not None:
            text = pattern.sub(partial(_clock, minutes=minutes), text)
    return text
