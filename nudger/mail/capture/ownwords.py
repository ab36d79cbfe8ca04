"""How people who hire say a refusal and a receipt in their own words, past the rules'
phrases: a refusal names whom they chose instead ("they've gone with a contractor who…",
"j'ai retenu une personne qui…", "nos quedamos con una chica que…", "hat sich für einen
internen Kandidaten entschieden", "ha elegido a otro finalista"): a choosing verb, then
within a few words a person who is not the reader; a receipt says where the reader's
papers went ("I've put you forward to…", "submitted you to…", "te he presentado a…", "Ich
habe es an die … weitergeleitet", "j'ai transmis votre dossier à…"). Each is one more
signal in `findings.weigh_evidence`, never alone in mail that reads as an invitation. Pure.
"""

from __future__ import annotations

import re

from nudger.mail.capture.invitation import asks_to_meet

# Choosing, in the four languages (what was done, not what will be).
_CHOSE = (
    r"(?:(?:have|has|had|'ve|'s|'d)\s+)?(?:gone|went|going) with|(?:decided|chosen|chose) "
    r"to (?:go|proceed|move forward|continue|bring on|hire|offer (?:it|the (?:role|job|"
    r"position|post)) to)(?: with)?|(?:picked|chosen|chose|hired|selected|appointed|"
    r"offered (?:it|the (?:role|job|position|post)) to|brought (?:on|in)|bring(?:ing)? (?:on|in))|"
    r"(?:j'ai|nous avons|on a|ils ont|il a|elle a|avons|ont) (?:retenu|choisi|recruté|engagé|"
    r"embauché|pris|opté pour)|choisi de (?:poursuivre|continuer|avancer) avec|"
    r"(?:hemos|han|ha|he) (?:elegido|escogido|optado por|seleccionado|contratado|cogido)|"
    r"nos (?:quedamos|hemos quedado) con|se (?:quedan|quedaron|han quedado) con|"
    r"(?:hat|haben|habe) (?:sich )?(?:für|doch für)|entschieden (?:uns |sich )?für|"
    r"(?:eingestellt|genommen|ausgewählt)")
# Whom: another person (a candidate, a contractor, someone, an internal one).
_PERSON = (r"(?:candidates?|person|people|applicants?|profiles?|finalists?|contractors?|"
           r"colleagues?|one|personne|candidate?s?|profils?|collègues?|candidat[oa]s?|"
           r"persona|perfil|finalista|compañer[oa]|kandidat(?:in|en)?|bewerber(?:in)?|"
           r"mitarbeiter(?:in)?|azubi)")
_WHOM = (
    r"(?:someone|somebody|(?:another|other|a|an|une?|otr[oa]s?|una?|einen?|eine[rn]?)\s+"
    r"(?:(?:different|stronger|more|internal|external|experienced|local|autre|interne|"
    r"externe|anderen?|internen?|externen?)\s+)?" + _PERSON + r"|"
    r"quelqu.un|una? (?:chica|chico)|alguien|jemand(?:en)?|"
    # whoever it is, said by who they are: "a joiner who has done…"
    r"(?:a|an)\s+(?:[\w-]+\s+){0,2}?[\w-]+,?\s+who)")
_REFUSAL = re.compile(r"(?<![\w])(?:(?:" + _CHOSE + r")\s+(?:[\w'’-]+\s+){0,3}?" + _WHOM
                      + r"|für\s+" + _WHOM + r"(?:\s+[\w-]+){0,3}?\s+(?:entschieden|"
                      r"ausgewählt|eingestellt))(?![\w])", re.IGNORECASE)
# What makes it no refusal of the reader: a condition or a future ("if we go with someone",
# "we will choose a candidate by"); a concession ("même si", "even if") is none.
_NOT_DONE = re.compile(r"(?<![\w])(?<!even )(?<!même )(?:if|whether|will|would|once|si|"
                       r"cuando|wenn|falls|ob|werden|allons|vamos a)(?![\w])[^.!?\n]{0,40}$",
                       re.IGNORECASE)


# Words one of which every refusal `_REFUSAL` reads has (lower-cased): most mail has none,
# and a substring test is far cheaper than the pattern (capture's speed, bench/b_capture).
_REFUSAL_WORDS = ("gone with", "went with", "going with", "decided", "chose", "picked",
                  "hired", "selected", "appointed", "offered", "brought", "bring", "retenu",
                  "choisi", "recruté", "engagé", "embauché", "pris", "opté", "elegido",
                  "escogido", "optado", "seleccionado", "contratado", "cogido", "queda", "für",
                  "eingestellt", "genommen", "ausgewählt")


def chose_another(text: str) -> str:
    """What `text` says of another person chosen in the reader's place (a refusal in a
    person's words), or ""."""
    low = text.lower()
    if not any(word in low for word in _REFUSAL_WORDS):
        return ""
    for found in _REFUSAL.finditer(text):
        start = max(text.rfind(".", 0, found.start()), text.rfind("\n", 0, found.start()))
        if _NOT_DONE.search(text, start + 1, found.start()) is None:
            return " ".join(found.group(0).split())
    return ""


# The reader's papers passed on, by the person writing ("I've put you forward to X",
# "submitted you to X", "te he presentado a X", "an die X weitergeleitet", "j'ai transmis
# votre dossier à X", "I'll pass your portfolio to Ben").
_PASSED = re.compile(
    r"(?<![\w])(?:"
    r"(?:i(?:'ve| have)?|we(?:'ve| have)?|just|also|as agreed,? i(?:'ve| have)?) (?:also )?"
    r"(?:put you forward|submitted you|put your (?:cv|name|profile|details) forward|"
    r"sent your (?:cv|profile|details|portfolio) (?:over )?to|passed your (?:cv|profile|"
    r"details|portfolio) (?:on )?to)|"
    r"submitted you to|put you forward to|"
    r"(?:i(?:'ll| will)|we(?:'ll| will)) pass your (?:cv|profile|details|portfolio|"
    r"application) (?:on )?to|"
    r"(?:te|le) (?:he|hemos) (?:presentado|propuesto|enviado) (?:también )?a|"
    r"(?:ich habe|wir haben|habe) (?:es|sie|ihr dossier|ihre unterlagen|ihren lebenslauf|"
    r"ihr profil)[^.!?\n]{0,60}(?:weitergeleitet|vorgestellt|übermittelt|weitergegeben)|"
    r"(?:j'ai|nous avons) (?:transmis|envoyé|présenté|proposé) (?:votre|ton|vos|tes) "
    r"(?:dossier|cv|candidature|profil)"
    r")(?![\w])", re.IGNORECASE)


# Words one of which every receipt `_PASSED` reads has (lower-cased), as above.
_PASSED_WORDS = ("forward", "submitted you", "sent your", "passed your", "pass your",
                 "presentado", "propuesto", "enviado", "weitergeleitet", "vorgestellt",
                 "übermittelt", "weitergegeben", "transmis", "envoyé", "présenté", "proposé")


def passed_on(text: str) -> str:
    """What `text` says of the reader's papers passed on to an employer by the writer (a
    receipt in a person's words), or ""."""
    low = text.lower()
    if not any(word in low for word in _PASSED_WORDS):
        return ""
    found = _PASSED.search(text)
    return " ".join(found.group(0).split()) if found is not None else ""


def in_own_words(text: str) -> bool:
    """Whether a person's mail that names no job word says a kind in a person's words: an
    invitation to meet at a stated time, another person chosen, the reader's papers
    passed on (what `recognise` and the pre-filter read such mail further for)."""
    return bool(asks_to_meet(text) or chose_another(text) or passed_on(text))
