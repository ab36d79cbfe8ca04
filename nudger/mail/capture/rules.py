"""The capture rules: rules.toml loaded and compiled (`load_rules`, `default_rules`), and
the cheap checks that skip a rule pattern which cannot match a text (`literal_prefix`,
`fold_case`, `ascii_twin`). The rules are data: rules.toml beside this file; the word model
is data too: words.json (wordmodel.py).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from nudger.mail.capture.wordmodel import WordModel, default_model

RULES_FILE = Path(__file__).with_name("rules.toml")
LANGUAGES = ("en", "de", "fr", "es")


# --- rules -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    kind: str
    language: str
    phrase: str
    pattern: re.Pattern[str]
    prefix: str = ""    # the pattern's literal start, case-folded (`literal_prefix`); "" = none
    # Literal text (case-folded) of which every match holds at least one, when the pattern
    # has no literal start (`required_literals`: "received your application" of
    # "(we|we.ve) received your application"); () = none known.
    needs: tuple[str, ...] = ()


def can_match(rule: Rule, folded: str) -> bool:
    """False when `rule` cannot match the text whose `fold_case` is `folded` (its literal
    start, or every one of its `needs`, is not in it). The recogniser's loops spell this
    out inline: it runs for every rule on every candidate."""
    if rule.prefix:
        return rule.prefix in folded
    return not rule.needs or any(need in folded for need in rule.needs)


@dataclass(frozen=True)
class Rules:
    ats: dict[str, str]                 # domain → ATS / board name
    ats_names: frozenset[str]           # lower-case names, never a company
    name_noise: tuple[str, ...]
    freemail: frozenset[str]
    candidate: re.Pattern[str]
    phrases: dict[str, tuple[Rule, ...]]  # kind (incl. "ignore") → rules
    company: tuple[re.Pattern[str], ...]
    role: tuple[re.Pattern[str], ...]
    source: str = ""
    # The literal starts (case-folded) of the candidate words, when every one has one, and
    # of the extraction patterns: a pattern whose start is not in the folded text cannot
    # match it, and is not run (see `literal_prefix`).
    candidate_prefixes: tuple[str, ...] | None = None
    company_prefixes: tuple[str, ...] = ()
    role_prefixes: tuple[str, ...] = ()

    # `candidate` without IGNORECASE, for lower-cased ASCII subjects (None when the
    # pattern is not one where that gives the same answer: see ascii_twin).
    candidate_ascii: re.Pattern[str] | None = None
    # The words a person's mail must mention to be read further when its subject has no
    # candidate word ([candidate] body: ASCII stems, case-insensitive), as text and bytes.
    body_words: tuple[str, ...] = ()     # lower-case
    words: WordModel | None = None       # the word model (wordmodel.py), a signal
    body_words_raw: tuple[bytes, ...] = ()
    # The providers written "yahoo.*" in [names] freemail: that name under any country's
    # suffix (yahoo.fr, yahoo.co.uk, outlook.es, hotmail.com.ar).
    freemail_names: frozenset[str] = frozenset()
    # The words a service address's mail (notifications@, no-reply@ of a hiring system the
    # rules do not list) must mention to be read further ([candidate] service_body).
    service_words: tuple[str, ...] = ()     # lower-case
    service_words_raw: tuple[bytes, ...] = ()
    # Words organisations are named with ([names] organisation): a sender's name with one
    # is a company's, not a person's.
    organisation: frozenset[str] = frozenset()
    # The same squashed to ASCII letters ("logística" → "logistica"), as a domain spells
    # them; words of four letters or more.
    organisation_squashed: tuple[str, ...] = ()

    def mentions_job(self, text: str) -> bool:
        if not self.body_words:
            return True
        lowered = text.lower()
        return any(word in lowered for word in self.body_words)

    def mentions_application(self, text: str) -> bool:
        """Whether a service address's text names an application, an interview or a
        candidacy ([candidate] service_body): the mail of a hiring system not listed."""
        lowered = text.lower()
        return any(word in lowered for word in self.service_words)

    def is_freemail(self, domain: str) -> bool:
        """A free mail provider's domain (or a subdomain of one): never a company's.
        "gmx.de" as listed; a provider listed as "yahoo.*" under any country suffix of
        at most two short labels ("yahoo.com.ar", "hotmail.co.uk", "outlook.es")."""
        labels = domain.lower().rstrip(".").split(".")
        for at in range(len(labels) - 1):
            if ".".join(labels[at:]) in self.freemail:
                return True
        for at, label in enumerate(labels[:-1]):
            rest = labels[at + 1:]
            if label in self.freemail_names and len(rest) <= 2 and \
                    all(0 < len(part) <= 3 for part in rest):
                return True
        return False

    def is_candidate_subject(self, subject: str) -> bool:
        """`candidate.search(subject)`: the candidate words in the subject. An ASCII
        subject is lower-cased and searched without IGNORECASE, the same answer at a
        tenth of the cost (most mail in a mailbox is looked at here and no further);
        another is skipped when no candidate word's literal start is in it."""
        if self.candidate_ascii is not None and subject.isascii():
            return self.candidate_ascii.search(subject.lower()) is not None
        if self.candidate_prefixes is not None and \
                not _any_of(self.candidate_prefixes).search(fold_case(subject)):
            return False
        return self.candidate.search(subject) is not None

    def ats_of(self, domain: str) -> str:
        """The ATS or board a domain (or a subdomain of it) belongs to. A board listed
        under its .com domain is the same board under a country's ("indeed.com" listed:
        indeed.es, indeed.fr, indeed.co.uk; jobboards send each country's mail from its
        own domain), for names of four letters or more."""
        domain = domain.lower().rstrip(".")
        labels = domain.split(".")
        while domain:
            if domain in self.ats:
                return self.ats[domain]
            _, _, domain = domain.partition(".")
        if len(labels) >= 2 and len(labels[-1]) == 2:
            brand = labels[-3] if len(labels) >= 3 and labels[-2] in ("co", "com") \
                else labels[-2]
            if len(brand) >= 4:
                return self.ats.get(brand + ".com", "")
        return ""


def _ascii_letters(word: str) -> str:
    """`word` lower-cased, accents dropped, letters and digits only ("Logística" →
    "logistica"): as a domain spells it."""
    plain = unicodedata.normalize("NFKD", word.lower().replace("ß", "ss"))
    return re.sub(r"[^a-z0-9]", "", plain)


@lru_cache(maxsize=8)
def _any_of(words: tuple[str, ...]) -> re.Pattern[str]:
    """Finds any of `words` (exactly as written: a plain, case-sensitive alternation)."""
    return re.compile("|".join(re.escape(w) for w in words))


class RulesError(ValueError):
    """The rules file is not valid; the message names the file, the key and the pattern."""


def load_rules(path: Path | None = None) -> Rules:
    path = path or RULES_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RulesError(f"{path}: cannot read the capture rules: {exc}") from None

    def compile_one(key: str, text: Any, flags: int = 0) -> re.Pattern[str]:
        if not isinstance(text, str):
            raise RulesError(f"{path}: {key}: {text!r} is not a string")
        try:
            return re.compile(text, re.IGNORECASE | flags)
        except re.error as exc:
            raise RulesError(f"{path}: {key}: pattern {text!r} is not valid: {exc}") from None

    try:
        ats = {str(d).lower(): str(entry["name"]) for entry in data["ats"]
               for d in entry["domains"]}
        phrases: dict[str, tuple[Rule, ...]] = {}
        for kind in ("ignore", "rejection", "interview", "application", "outreach"):
            rules: list[Rule] = []
            for lang in LANGUAGES:
                for text in data[kind].get(lang, ()):
                    pattern = compile_one(f"{kind}.{lang}", text)
                    prefix = literal_prefix(text, re.IGNORECASE)
                    rules.append(Rule(kind, lang, text, pattern, prefix,
                                      () if prefix else required_literals(text)))
            phrases[kind] = tuple(rules)
        candidate = compile_one("candidate.subject", "|".join(
            f"(?:{s})" for s in data["candidate"]["subject"]))
        words = tuple(literal_prefix(str(s), re.IGNORECASE)
                      for s in data["candidate"]["subject"])
        candidate_ascii = ascii_twin(candidate.pattern)
        stems = [str(w) for w in data["candidate"].get("body", ())]
        if not all(w.isascii() and w.strip() for w in stems):
            raise RulesError(f"{path}: candidate.body: every word must be ASCII, not empty")
        service = [str(w) for w in data["candidate"].get("service_body", ())]
        if not all(w.isascii() and w.strip() for w in service):
            raise RulesError(f"{path}: candidate.service_body: every word must be ASCII, "
                             "not empty")
        company = tuple(compile_one("extract.company", t, re.MULTILINE)
                        for t in data["extract"]["company"])
        role = tuple(compile_one("extract.role", t, re.MULTILINE)
                     for t in data["extract"]["role"])
        return Rules(
            ats=ats,
            ats_names=frozenset(n.lower() for n in ats.values()),
            name_noise=tuple(sorted((str(n).lower() for n in data["names"]["noise"]),
                                    key=len, reverse=True)),
            freemail=frozenset(str(d).lower() for d in data["names"]["freemail"]
                               if not str(d).endswith(".*")),
            freemail_names=frozenset(str(d).lower()[:-2] for d in data["names"]["freemail"]
                                     if str(d).endswith(".*")),
            service_words=tuple(w.lower() for w in service),
            organisation=frozenset(str(w).lower() for w in data["names"]["organisation"]),
            organisation_squashed=tuple(sorted({
                squashed for w in data["names"]["organisation"]
                if len(squashed := _ascii_letters(str(w))) >= 4})),
            service_words_raw=tuple(w.lower().encode() for w in service),
            candidate=candidate, phrases=phrases, company=company, role=role,
            source=str(path), candidate_ascii=candidate_ascii,
            body_words=tuple(w.lower() for w in stems),
            body_words_raw=tuple(w.lower().encode() for w in stems),
            candidate_prefixes=words if words and all(words) else None,
            company_prefixes=tuple(literal_prefix(p.pattern, p.flags) for p in company),
            role_prefixes=tuple(literal_prefix(p.pattern, p.flags) for p in role),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise RulesError(f"{path}: missing or malformed key {exc}") from None


# --- skipping patterns that cannot match ----------------------------------------------------
# Python's `re` scans a case-insensitive pattern position by position even when it starts
# with a word, so ~80 rule patterns over every candidate cost more than reading the mail.
# A pattern that starts with literal text can only match where the text holds that start:
# both are case-folded exactly as `re.IGNORECASE` compares characters (its simple lower
# case, plus the characters it treats as equal: ſ/s, K/k, ı/i, ς/σ…), and a pattern whose
# start is not in the folded text is not run (nor one of whose `required_literals` none is).
# tests/mail/capture/test_capture_prefilter.py proves the folding against the regex engine
# over every code point and the findings over the corpus.

def _fold_table() -> dict[int, int] | None:
    try:
        from re._casefix import (  # type: ignore[import-not-found]
            _EXTRA_CASES,  # what re.IGNORECASE treats as equal
        )
    except ImportError:  # another Python: no folding known, so no pattern is skipped
        return None
    table: dict[int, int] = {}
    for low, others in _EXTRA_CASES.items():
        canonical = min((low, *others))
        for point in (low, *others):
            if point != canonical:
                table[point] = canonical
    return table


_FOLD = _fold_table()


def fold_case(text: str) -> str:
    """`text` with each character replaced by one representative of the characters
    `re.IGNORECASE` takes as equal to it; same length as `text`."""
    if text.isascii():
        return text.lower()
    # str.lower() is the simple lower case re uses except for İ, whose full lower case is
    # two characters (and a final sigma, which the table folds with σ).
    return text.replace("\u0130", "i").lower().translate(_FOLD or {})


def literal_prefix(pattern: str, flags: int = re.IGNORECASE) -> str:
    """The literal characters a pattern starts with (folded), or "" when it has none of
    at least 3 characters, when the case folding is not known, or when in doubt."""
    if _FOLD is None:
        return ""
    try:
        from re import _parser  # type: ignore[attr-defined]

        parsed = _parser.parse(pattern, flags)
        chars: list[str] = []
        for op, arg in parsed.data:
            if op is _parser.AT and not chars:
                continue  # a leading \b or ^ matches no character: the literal follows
            if op is not _parser.LITERAL:
                break
            chars.append(chr(arg))
    except Exception:  # a private module: any surprise means "no prefix"
        return ""
    prefix = fold_case("".join(chars))
    return prefix if len(prefix) >= 3 else ""


def required_literals(pattern: str, flags: int = re.IGNORECASE) -> tuple[str, ...]:
    """Literal texts (folded) of which every match of `pattern` contains at least one, as
    a contiguous run of characters: a run of literals outside any optional part, or one
    per alternative of a group every match goes through ("(go|went) (in )?a different" →
    ("a different",)). () when none of at least 3 characters is known, the folding is not
    known, or in doubt. A text whose `fold_case` holds none of them cannot match."""
    if _FOLD is None:
        return ()
    try:
        from re import _parser  # type: ignore[attr-defined]

        return _required(_parser.parse(pattern, flags).data, _parser)
    except Exception:  # a private module: any surprise means "none known"
        return ()


def _required(items: Any, parser: Any) -> tuple[str, ...]:
    found: list[tuple[str, ...]] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            found.append((fold_case("".join(run)),))
            run.clear()

    for op, arg in items:
        if op is parser.LITERAL:
            run.append(chr(arg))
            continue
        flush()
        if op is parser.SUBPATTERN:
            inner = _required(arg[3].data, parser)
            if inner:
                found.append(inner)
        elif op is parser.BRANCH:
            alternatives = [_required(alt.data, parser) for alt in arg[1]]
            if alternatives and all(alternatives):
                found.append(tuple(dict.fromkeys(a for alt in alternatives for a in alt)))
        elif op in (parser.MAX_REPEAT, parser.MIN_REPEAT) and arg[0] >= 1:
            inner = _required(arg[2].data, parser)
            if inner:
                found.append(inner)
    flush()
    usable = [alts for alts in found if all(len(a) >= 3 for a in alts)]
    if not usable:
        return ()
    return max(usable, key=lambda alts: (min(len(a) for a in alts), -len(alts)))


_CASELESS_ESCAPES = frozenset("bBwWsSdD")


def ascii_twin(pattern: str) -> re.Pattern[str] | None:
    """`pattern` compiled without IGNORECASE, such that for every ASCII text t
    `twin.search(t.lower())` matches exactly when `re.compile(pattern, re.I).search(t)`
    does; None when the pattern is not plainly of that kind. It is when its ASCII letters
    are all lower-case literals (no character classes, whose ranges may hold either
    case; only the escapes \\b \\w \\s \\d and their negations, whose meaning
    lower-casing keeps; no inline flags) and none of its other characters matches an
    ASCII character when case is ignored (as U+017F matches "s", U+212A "k")."""
    at = 0
    while at < len(pattern):
        ch = pattern[at]
        if ch == "\\":
            escaped = pattern[at + 1:at + 2]
            if not escaped or (escaped.isalnum() and escaped not in _CASELESS_ESCAPES):
                return None
            at += 2
            continue
        if ch == "[":
            return None
        if ch == "(" and pattern[at + 1:at + 2] == "?" and \
                pattern[at + 2:at + 3] not in (":", "=", "!") and \
                pattern[at + 2:at + 4] not in ("<=", "<!"):
            return None
        if ch.isascii():
            if ch.isupper():
                return None
        elif any(re.fullmatch(re.escape(ch), chr(code), re.IGNORECASE)
                 for code in range(128)):
            return None
        at += 1
    try:
        return re.compile(pattern)
    except re.error:
        return None


@lru_cache(maxsize=4)
def default_rules() -> Rules:
    return replace(load_rules(RULES_FILE), words=default_model())
