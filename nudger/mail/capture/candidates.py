"""The names a job mail could give as its employer, each described by general features, for
the ranker (ranker.py) to choose from. Pure.

The candidates come from every place the extractors look, each extractor one source (the
rules' extraction patterns, the sender's name, the signature, the sender's domain, a link's
slug, a platform's or an agency's notice, the subject …; the chain's own answer,
extract.company_and_role, is one more), and from generic spans: capitalised runs in the
subject, the display name, the mail's opening and its signature block, the name after
"at/bei/chez/en/para/für/pour", the sender's domain words as the text spells them.

A candidate's features say nothing of any one sender: its sources and how many agree, how
often the mail writes it and where, whether it is the sender's own brand (its domain, its
display name, a hiring system or an agency of rules.toml) while the mail names another
organisation, whether the mail calls it a client or an employer, its shape (organisation or
legal-form words, a function word at either end, words the word model knows from many
families), whether it is a place of the zone database or a person's name (the signer's,
the greeting's), and whether a longer candidate continues it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from nudger.mail.capture.contact import LEGAL_ANYWHERE, is_organisation, looks_like_person
from nudger.mail.capture.employer import (
    NAME_RUN,
    company_from_domain,
    company_from_links,
    company_from_listing,
    company_from_signature,
    domain_label,
    named_organisation,
    other_organisation,
    persons_organisation,
    signed_organisation,
    signers_organisation,
    squash,
    title_end,
)
from nudger.mail.capture.fuller import LEGAL_END, spelt_in_text
from nudger.mail.capture.platform import client_named, employer_nearby, employer_on_notice
from nudger.mail.capture.rules import Rules, fold_case
from nudger.mail.capture.subjects import (
    JOB_TITLE_WORDS,
    ROLE_WORDS,
    an_agency,
    employer_in_subject,
)
from nudger.mail.capture.view import MailView
from nudger.mail.capture.zones import city_zones

Clean = Callable[[str, Rules], str]
BODY_SPAN = 1500        # characters of the mail's opening read for capitalised runs
SIGNATURE_LINES = 8     # lines at the end of the mail's own text read as its signature


@lru_cache(maxsize=4096)
def key(name: str) -> str:
    """A candidate compared with another: accents, case, punctuation and a trailing legal
    form ignored (as evaluate.normal_company compares a company with its label)."""
    text = "".join(c for c in unicodedata.normalize("NFKD", name)
                   if not unicodedata.combining(c)).strip()
    text = LEGAL_END.sub("", text).strip(" ,.").replace("&", " and ")
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


@dataclass
class Candidate:
    name: str
    sources: set[str] = field(default_factory=set)
    features: dict[str, float] = field(default_factory=dict)


# A capitalised run joined by the small words names are written with ("Department for
# Energy Security and Net Zero", "Hôtel des Tanneurs", "Menuiserie X et Fils").
_JOINED_RUN = re.compile(r"(?<![\w&])[A-ZÀ-Ý][\w&'’.-]*(?:[ \t]+(?:(?:&|and|of|for|de|des|du|"
                         r"de la|del|y|et|und|für|von|der|la|le|el)[ \t]+)?"
                         r"[A-ZÀ-Ý][\w&'’.-]*){1,7}")
_PREPOSITION = re.compile(r"\b(?:at|bei|chez|en|para|für|pour|with|mit|avec|con|from|von|de)"
                          r"[ \t]+(?=[A-ZÀ-Ý])")
_CLIENT_CUE = re.compile(r"(?:our|a|unsere[nm]?|notre|nuestro|un|einem?|the)[ \t]+(?:client|"
                         r"customer|mandant(?:en)?|kunden?|cliente?|partner)[ \t,:]*$|"
                         r"(?:pour le compte d[e']|on behalf of|im auftrag (?:von|de[rs])|"
                         r"en nombre de|por cuenta de|für)[ \t]*$", re.IGNORECASE)
_EMPLOYER_CUE = re.compile(r"(?:employer|arbeitgeber|empleador|empresa|entreprise|employeur|"
                           r"company|unternehmen|organi[sz]ation|organismo|hiring "
                           r"organi[sz]ation|behörde|dienststelle|department|client|"
                           r"cliente?|kunde|mandant)[ \t]*[:：][ \t]*$", re.IGNORECASE)
_VENUE = re.compile(r"\b(?:at the|in the|im|in der|au|à la|dans l[ea]|en el|en la)[ \t]+$",
                    re.IGNORECASE)
# The last word of a person's job title ("HR Business Partner", "Talent Manager").
_HOLDER = re.compile(r"manager|consultant|recruiter|partner|specialist|director|officer|"
                     r"coordinator|assistant|adviser|advisor|analyst|engineer|developer|"
                     r"leiter\w*|referent\w*|chargée?|responsable|técnic[oa]|reclutador\w*")
_GREETING = re.compile(r"^(?:dear|hi|hello|hey|hallo|liebe[rs]?|sehr geehrte[rs]?|bonjour|"
                       r"chère|cher|hola|estimad[oa]|buenos días|guten tag|moin)[ \t]+"
                       r"(?P<name>[^\n,!]{2,40})", re.IGNORECASE | re.MULTILINE)
_FUNCTION = frozenset({
    "the", "a", "an", "of", "and", "or", "to", "for", "in", "on", "at", "by", "with", "de",
    "du", "des", "la", "le", "les", "el", "los", "las", "y", "et", "und", "der", "die", "das",
    "den", "dem", "von", "für", "bei", "en", "à", "au", "aux", "para", "por", "con", "del",
    "unser", "unsere", "our", "your", "votre", "notre", "su", "ihre", "ihr", "mit", "avec"})


def gather(view: MailView, haystack: str, chain: str, how: str, role: str, ats: str,
           rules: Rules, clean: Clean, sender: Callable[[MailView, str, Rules], str]
           ) -> list[Candidate]:
    """Every candidate name of one job mail with its features; `chain` (found by `how`) is
    the old chain's answer, `role` the job's title it found; `clean` cleans a name as the
    extractors do; `sender` is the sender's-name extractor."""
    found: dict[str, Candidate] = {}
    desk = {w for phrase in rules.name_noise for w in phrase.split() if len(w) > 2}

    def add(name: str, source: str) -> None:
        name = " ".join(name.split()).strip(" ,;:-–|\"'()")
        if name.endswith(".") and not LEGAL_ANYWHERE.search(name):
            name = name.rstrip(".")  # a sentence's end, not the dot of "S.L.P." or "Inc."
        # A desk's word is no part of the employer's name ("Quillon Careers Ltd" is
        # Quillon's, as extract's noise tail reads it): one candidate with the name alone.
        k = _without(key(name), desk)
        if not name or not k or len(name) > 80:
            return
        cand = found.get(k)
        if cand is None:
            cand = found[k] = Candidate(name)
        cand.sources.add(source)

    cleaned: dict[str, str] = {}

    def add_both(raw: str, source: str) -> None:
        add(raw, source)
        if raw not in cleaned:
            cleaned[raw] = clean(raw, rules)
        add(cleaned[raw], source + "+clean")

    label = squash(domain_label(view.domain))
    subject_end = haystack.find("\n") if "\n" in haystack else len(haystack)
    add(chain, "chain")
    folded = fold_case(haystack)
    for pattern, prefix in zip(rules.company, rules.company_prefixes or
                               [""] * len(rules.company), strict=True):
        if prefix and prefix not in folded:
            continue  # cannot match (rules.literal_prefix)
        hit = pattern.search(haystack)
        if hit and hit.groupdict().get("company"):
            add_both(hit.group("company"), "pattern")
    listed, _ = company_from_listing(view.subject, haystack, rules, clean, lambda r: r,
                                     anywhere=True)
    signature_text = _signature(haystack)
    for source, name in (
            ("listing", listed),
            ("sender", sender(view, ats, rules)),
            ("persons", persons_organisation(view, haystack, rules, clean)),
            ("signature", company_from_signature(view, haystack, rules, clean)),
            ("named", named_organisation(view, haystack, rules, clean)),
            ("signed", signed_organisation(haystack, rules, clean)),
            ("links", company_from_links(view, haystack, rules, clean)),
            ("notice", employer_on_notice(haystack, label, rules, clean)),
            ("nearby", employer_nearby(haystack, label, rules, clean)),
            ("other", other_organisation(haystack, label, rules, clean)),
            ("subject", employer_in_subject(view.subject, haystack, rules, clean)),
            ("client", client_named(view.subject, haystack, f"{view.from_name} {view.domain}",
                                    rules, clean)),
            ("signer", signers_organisation(view, haystack, rules, clean))):
        add(name, source)
    if view.domain and not rules.is_freemail(view.domain):
        from_domain = company_from_domain(view.domain, rules, clean)
        add(from_domain, "domain")
        if from_domain:
            add(spelt_in_text(from_domain, haystack, rules, clean), "domain-spelt")
    for source, text in (("run-subject", view.subject), ("run-display", view.from_name),
                         ("run-opening", haystack[subject_end:subject_end + BODY_SPAN]),
                         ("run-signature", signature_text)):
        for run in NAME_RUN.finditer(text):
            add_both(run.group(0), source)
        for run in _JOINED_RUN.finditer(text):
            add_both(run.group(0), "run-joined")
    for prep in _PREPOSITION.finditer(haystack[:BODY_SPAN + subject_end]):
        after = NAME_RUN.match(haystack, prep.end())
        if after:
            add_both(after.group(0), "after-preposition")
    vocabulary = rules.words.weights if rules.words is not None else {}
    cands = [c for c in found.values() if not _plain_words(c, vocabulary)]
    _describe(cands, view, haystack, (chain, how, role), ats, rules, label, signature_text)
    return cands


def _plain_words(cand: Candidate, vocabulary: dict[str, tuple[float, ...]]) -> bool:
    """A generic span ("Thank", "Hi Alex", "Second interview") whose words the word model
    knows from many families or that starts in lower case: no name, left out unread."""
    if not all(s.startswith(("run-", "after-")) for s in cand.sources):
        return False
    words = cand.name.casefold().split()
    return cand.name[:1].islower() or all(w.strip(".,&'’") in vocabulary or w in _FUNCTION
                                          for w in words)


def _without(name_key: str, desk: set[str]) -> str:
    return " ".join(w for w in name_key.split() if w not in desk) or name_key


def _signature(haystack: str) -> str:
    lines = [line for line in haystack.rstrip().split("\n") if line.strip()]
    return "\n".join(lines[-SIGNATURE_LINES:])


def _persons(view: MailView, haystack: str, rules: Rules) -> set[str]:
    """The keys of the people a mail names: the sender (when a person), the greeted."""
    people: set[str] = set()
    if view.from_name and looks_like_person(view.from_name, view.from_addr, rules):
        people.add(key(view.from_name))
        people.update(key(w) for w in view.from_name.split() if len(w) > 2)
    for hit in _GREETING.finditer(haystack[:2000]):
        people.add(key(hit.group("name")))
        people.update(key(w) for w in hit.group("name").split() if len(w) > 2)
    return people


def _bucket(n: int, top: int) -> str:
    return str(min(n, top))


def _describe(cands: list[Candidate], view: MailView, haystack: str,
              found: tuple[str, str, str], ats: str, rules: Rules, label: str,
              signature: str) -> None:
    chain, how, role = found
    role_key = f" {key(role)} " if role else ""
    lowered = haystack.casefold()
    subject_end = haystack.find("\n") if "\n" in haystack else len(haystack)
    subject = view.subject.casefold()
    display = squash(view.from_name)
    places = city_zones()
    noise = {w for phrase in rules.name_noise for w in phrase.split() if len(w) > 2}
    chain_key = _without(key(chain), noise)
    keys = [_without(key(c.name), noise) for c in cands]
    people = _persons(view, haystack, rules)
    vocabulary = rules.words.weights if rules.words is not None else {}
    # An organisation's words, unless it ends in a person's job title ("HR Business Partner").
    organisations = {k for c, k in zip(cands, keys, strict=True)
                     if is_organisation(c.name, rules) and
                     not _HOLDER.fullmatch(title_end(c.name.casefold().split()))}
    context = ("ats" if ats else "freemail" if rules.is_freemail(view.domain) else
               "agency" if an_agency(view.from_name, view.domain) else "company")
    for cand, k in zip(cands, keys, strict=True):
        f = cand.features
        name = cand.name
        words = name.split()
        folded = [w.casefold() for w in words]
        plain = {s.removesuffix("+clean") for s in cand.sources}
        for source in plain:
            f["src=" + source] = 1.0
            f[f"src={source}@{context}"] = 1.0  # a source's worth depends on who sends
        f["sources=" + _bucket(len(plain), 4)] = 1.0
        f["generic-only"] = float(all(s.startswith(("run-", "after-")) for s in plain))
        if k == chain_key:
            f["chain"] = 1.0
            f["chain-how=" + how.split(",")[0]] = 1.0
            f["chain-in=" + context] = 1.0
        count = lowered.count(name.casefold())
        starts = _starts(haystack, name)
        f["count=" + _bucket(count, 3)] = 1.0
        f["in-subject"] = float(name.casefold() in subject)
        f["in-signature"] = float(name in signature)
        squashed = squash(name)
        brand = bool(squashed) and (squashed in (label, display) or
                                    name.casefold() in rules.ats_names or
                                    squashed == squash(ats) or
                                    (bool(label) and squashed.startswith(label) and
                                     squashed in display))
        f["brand"] = float(brand)
        if brand:
            f["brand-in=" + context] = 1.0
            f["brand-while-other-org"] = float(bool(organisations - {k}))
        f["in-domain"] = float(bool(label) and len(squashed) > 3 and squashed in label)
        f["agency-name"] = float(an_agency(name, ""))
        f["client-cue"] = float(_cued(haystack, starts, _CLIENT_CUE))
        f["employer-cue"] = float(_cued(haystack, starts, _EMPLOYER_CUE))
        f["venue"] = float(_cued(haystack, starts, _VENUE))  # "at the X Centre on Monday"
        f["words=" + _bucket(len(words), 5)] = 1.0
        f["legal"] = float(bool(LEGAL_ANYWHERE.search(name)))
        f["organisation"] = float(k in organisations)
        f["function-first"] = float(folded[0] in _FUNCTION)
        f["function-last"] = float(folded[-1] in _FUNCTION)
        f["lowercase-first"] = float(name[:1].islower())
        f["ats-name"] = float(name.casefold() in rules.ats_names or
                              (bool(ats) and squashed == squash(ats)))
        f["line-start"] = float(f"\n{name}" in haystack)
        first = starts[0] if starts else -1
        f["first-at=" + ("none" if first < 0 else "subject" if first < subject_end else
                         "opening" if first < subject_end + 400 else "later")] = 1.0
        f["in-display"] = float(bool(squashed) and squashed in display)
        f["sentence-first-only"] = float(bool(starts) and all(
            _sentence_start(haystack, at) for at in starts))
        f["lowercase-word"] = float(any(w[:1].islower() and w not in _FUNCTION
                                        for w in words))
        f["digit"] = float(any(c.isdigit() for c in name))
        f["all-caps"] = float(name.isupper() and len(name) > 3)
        known = sum(w.strip(".,&'’") in vocabulary for w in folded)
        f["known-words=" + ("all" if known == len(words) else "some" if known else "none")] = 1.0
        f["first-known"] = float(folded[0].strip(".,'’") in vocabulary)
        f["lower-elsewhere"] = float(f" {folded[0]} " in haystack and len(folded[0]) > 2)
        f["place"] = float(_fold(name) in places or _fold(words[-1]) in places)
        f["person"] = float(k in people)
        longer = [o for o in keys if o != k and (o.startswith(k + " ") or o.endswith(" " + k))]
        f["continued"] = float(bool(longer))
        f["continued-by-chain"] = float(chain_key in longer)
        f["continues-chain"] = float(bool(chain_key) and k != chain_key and
                                     (k.startswith(chain_key + " ") or
                                      k.endswith(" " + chain_key)))
        f["inside-chain"] = float(bool(k) and k != chain_key and f" {k} " in f" {chain_key} ")
        f["short"] = float(len(squashed) < 4)
        f["desk-word"] = float(any(n in noise for n in folded))
        f["title-word"] = float(any(w in JOB_TITLE_WORDS or w in ROLE_WORDS for w in folded))
        f["holder-end"] = float(bool(_HOLDER.fullmatch(title_end(folded))))
        f["in-role"] = float(bool(role_key) and f" {k} " in role_key)


def _starts(haystack: str, name: str) -> list[int]:
    found: list[int] = []
    at = haystack.find(name)
    while at >= 0 and len(found) < 20:
        found.append(at)
        at = haystack.find(name, at + 1)
    return found


def _sentence_start(haystack: str, at: int) -> bool:
    before = haystack[max(0, at - 3):at].rstrip(" \t")
    return not before or before[-1] in ".!?\n:"


def _cued(haystack: str, starts: list[int], cue: re.Pattern[str]) -> bool:
    return any(cue.search(haystack[max(0, start - 40):start]) for start in starts)


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold())
                   if not unicodedata.combining(c))
