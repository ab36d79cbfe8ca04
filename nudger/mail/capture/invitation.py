"""A person's invitation in their own words: a question, or a proposal, that asks the reader
to come by, meet, talk or be called at a stated day and hour ("Est-ce que tu pourrais
passer à l'atelier lundi 12 à 18h ?", "¿te va bien pasarte el jueves 15 a las cinco y
media?", "Could you come in Thursday at 3?", "Hätten Sie Zeit, morgen um 10 Uhr
vorbeizukommen?", "Elle vous propose de venir mardi 3/11 à 10h"). People who hire write
no "interview" and no "Vorstellungsgespräch": they ask to meet at a time. A social
invitation (a dinner, drinks, a barbecue, a climb) asks the same way and is no job mail,
so its words rule the sentence out; a day without an hour ("¿Quedamos el viernes?") is
not enough. `findings.weigh_evidence` reads it only in a person's mail (never a shop's or
a newsletter's). Pure.
"""

from __future__ import annotations

import re

# Asking to meet, come, talk or be called, in the four languages (the verb, not the
# occasion: the occasion is what `_SOCIAL` rules out).
_MEET = re.compile(
    r"(?<![\w])(?:"
    # English
    r"come (?:in|by|over|round|along|to (?:the|our|my))|pop (?:in|by|over)|drop (?:in|by)|"
    r"stop by|swing by|meet (?:up|you|us|the team|with)|(?:have|grab) a (?:quick )?"
    r"(?:chat|call|talk|word)|(?:speak|talk|chat) (?:on|by|over) (?:the )?(?:phone|video)|"
    r"give you a (?:call|ring)|call you|(?:free|available) (?:for|to) (?:a )?(?:call|chat|"
    r"talk|meet)|"
    # French
    r"passer (?:à|au|aux|nous voir|me voir|dans|chez)|venir (?:à|au|aux|nous|me|chez|"
    r"rencontrer|voir|faire|discuter)|(?:vous|te) (?:rencontrer|voir|appeler|téléphoner)|"
    r"on se (?:voit|cale|retrouve|parle|capte|rencontre)|se (?:voir|rencontrer|parler)|"
    r"(?:prendre|boire) un (?:café|verre) (?:pour|et) (?:en )?(?:parler|discuter)|"
    r"échanger (?:de vive voix|par téléphone|en visio)|"
    # Spanish
    r"pasarte|pasaros|pasarse|pásate|venir (?:a|al|por)|vente|vernos|conocerte|conocernos|"
    r"quedar(?:mos)? (?:para (?:hablar|charlar|conocernos|vernos)|en)|"
    r"(?:hablar|charlar|llamarte|te llamo|te llamamos|podemos hablar)|"
    # German
    r"vorbei(?:kommen|zukommen|schauen|zuschauen)|kennen(?:zu)?lernen|(?:zu )?treffen|"
    r"(?:zeit|lust) (?:für|auf) (?:ein|einen) (?:kurzes |kaffee|telefonat|gespräch|treffen)|"
    r"(?:anrufen|telefonieren|sprechen)|komm(?:en sie|st du) (?:doch )?(?:mal )?(?:vorbei|zu uns|"
    r"in (?:die|den|das|unser))"
    r")(?![\w])", re.IGNORECASE)

# The occasions of people's invitations that are no job's: a meal, drinks, a party, sport,
# a family's or a club's day.
_SOCIAL = re.compile(
    r"(?<![\w])(?:dinner|lunch(?!eon interview)|drinks?|beers?|pub|party|birthday|bbq|barbecue|"
    r"climbing|match|game|concert|cinema|movie|wedding|picnic|brunch|"
    r"cena[rs]?|cenamos|comida|comer|cervezas?|caña|cumpleaños|fiesta|partido|boda|txoko|"
    r"apéro|apero|dîner|diner|déjeuner|resto|anniversaire|soirée|fête|mariage|"
    r"grillen|abendessen|mittagessen|bier|geburtstag|feier|party|hochzeit|kino|training)"
    r"(?![\w])", re.IGNORECASE)

_DAY = (r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|"
        r"montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|"
        r"lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|"
        r"lunes|martes|miércoles|miercoles|jueves|viernes|sábado|sabado|domingo|"
        r"tomorrow|demain|mañana|morgen|übermorgen|today|heute|aujourd.hui|hoy|"
        r"\d{1,2}[./]\d{1,2}\.?|\d{1,2}(?:st|nd|rd|th|er|\.)?\s+(?:de\s+)?"
        r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|janv|févr|avr|mai|juin|juil|"
        r"août|sept|déc|ene|abr|ago|dic|märz|okt|dez)\w*)")

_NUMBER = (r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|noon|"
           r"una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce|"
           r"une|deux|trois|quatre|cinq|sept|huit|neuf|dix|onze|douze|midi|"
           r"eins|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf)")

# An hour: "18h", "10:30", "3pm", "um 10 Uhr", "a las 10", "a las cinco y media", "at
# half past two", "um halb drei", "à midi".
_HOUR = re.compile(
    r"(?<![\w:.,/€$£])(?:"
    r"(?:[01]?\d|2[0-3])(?:[:.h][0-5]\d|\s?h(?![\w])|\s?[ap]\.?m\.?(?![\w])|\s?uhr(?![\w]))|"
    r"(?:at|um|à|a las|a la|vers|gegen|sobre las|hacia las|around)\s+(?:(?:half past|"
    r"quarter (?:past|to)|halb|viertel (?:nach|vor)|las)\s+)?(?:[01]?\d|2[0-3]|" + _NUMBER + r")"
    r"(?![\w.,]\d)"
    r")", re.IGNORECASE)

_DAY_RE = re.compile(r"(?<![\w])" + _DAY + r"(?![\w])", re.IGNORECASE)

# A proposal said as such, not as a question: "je vous propose de venir", "I'd like you to
# come in", "ich schlage vor", "te propongo".
_PROPOSE = re.compile(
    r"(?<![\w])(?:propose|proposons|proposé|suggest|would like (?:you|to invite)|"
    r"invite you|schlage|vorschlagen|propongo|proponemos|te espero|te esperamos|"
    r"vous attend(?:ons)?|erwarten (?:sie|dich)|freuen uns auf)(?![\w])", re.IGNORECASE)

# Words one of which a proposal (`_PROPOSE`) or an hour in words (`_NUMBER`) has,
# lower-cased: substring tests far cheaper than the patterns, for the mail that has none
# (capture's speed, bench/b_capture).
_PROPOSE_WORDS = ("propo", "sugg", "would like", "invite", "schlag", "te esper",
                  "vous attend", "erwarten", "freuen uns")
_NUMBER_WORDS = tuple(_NUMBER[3:-1].split("|"))

_SENTENCE_END = re.compile(r"[.!?](?=\s|$)|\n")  # "am 9.10., um": no end


def asks_to_meet(text: str) -> str:
    """The sentence of `text` that asks its reader to meet, come or talk at a stated day and
    hour (a question, or a proposal said as one), or "": what a person who hires writes
    instead of "interview". A sentence that names a meal, drinks or a party is a social
    invitation, not a job's."""
    low = text.lower()
    if "?" not in low and not any(word in low for word in _PROPOSE_WORDS):
        return ""  # neither a question nor a proposal
    if not any(digit in low for digit in "0123456789") and \
            not any(word in low for word in _NUMBER_WORDS):
        return ""  # no hour, in figures or in words
    if ("?" not in text and _PROPOSE.search(text) is None) or _HOUR.search(text) is None \
            or _MEET.search(text) is None:
        return ""
    start = 0
    for end in _SENTENCE_END.finditer(text):
        sentence = text[start:end.end()]
        start = end.end()
        if len(sentence) < 12:
            continue
        if end.group(0) != "?" and _PROPOSE.search(sentence) is None:
            continue
        if _MEET.search(sentence) and _DAY_RE.search(sentence) and \
                _HOUR.search(sentence) and not _SOCIAL.search(sentence):
            return " ".join(sentence.split())[:160]
    return ""
