"""What the recogniser finds (`Finding`) and how it decides a kind: independent signals
scored together (`weigh_evidence`): the kind's phrases in the subject and the mail's own
text, a text/calendar invitation, the word model, the sender; an ignore phrase or a mailing
against. Every finding says which signals decided it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from nudger.mail.capture.interview_time import Moment, interview_moment
from nudger.mail.capture.invitation import asks_to_meet
from nudger.mail.capture.ownwords import chose_another, passed_on
from nudger.mail.capture.prefilter import is_personal
from nudger.mail.capture.rules import Rule, Rules, can_match, fold_case
from nudger.mail.capture.view import MailView

# --- findings --------------------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    kind: str                       # application | rejection | interview | outreach
    company: str
    role: str                       # "" when the mail does not name it
    on: date | None                 # the mail's local date (the applied date for applications)
    source: str                     # the ATS or board, or "email"
    confidence: float
    why: str
    url: str = ""
    contact_name: str = ""
    contact_email: str = ""
    interview_at: datetime | None = None   # aware UTC, only when unambiguous
    message_id: str = ""
    subject: str = ""
    extras: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "company": self.company, "role": self.role,
            "date": self.on.isoformat() if self.on else None, "source": self.source,
            "url": self.url, "contact_name": self.contact_name,
            "contact_email": self.contact_email,
            "interview_at": self.interview_at.isoformat() if self.interview_at else None,
            "confidence": round(self.confidence, 2), "why": self.why,
            "message_id": self.message_id, "subject": self.subject,
        }



@dataclass
class Evidence:
    kind: str
    score: float
    signals: list[str]
    moment: Moment | None


SUBJECT_WEIGHT = 1.2     # a kind's phrase in the subject
BODY_WEIGHT = 1.0        # … in the mail's own text (the first one; each further one 0.25)
INVITE_WEIGHT = 2.0      # a text/calendar METHOD:REQUEST with a start, in job mail
ATS_PRIOR = 0.3          # sent (or relayed) by an ATS or job board
UNSUBSCRIBE = 0.6        # List-Unsubscribe from a sender that is no ATS: a mailing
ATS_MAILING = 0.5        # … from an ATS: its marketing more often than not (outweighs
                         # ATS_PRIOR; an ATS's transactional mail rarely has one)
ATS_MAILING_PHRASED = 0.25  # … against a rejection or interview phrase
WORDS_WEIGHT = 1.1       # the word model's most likely kind, times its probability…
WORDS_MIN = 0.8          # … when that is at least this
WORDS_SURE = 0.99        # … against another kind's phrase (an application's thanks aside)
WORDS_LEAD = 20.0        # … alone, in mail that names no job word: how far (log-odds)
                         # it must read more like a job kind than not-job mail (`sure_reading`)
IGNORE = 1.6             # an [ignore] phrase at the top (an alert, a receipt, a webinar)
THRESHOLD = 1.0          # a kind's score needed to say so


def weigh_evidence(view: MailView, haystack: str, folded: str, ats: str, rules: Rules,
              zone: ZoneInfo, ignored: str = "") -> Evidence | None:
    subject_end = len(view.subject)
    service = not is_personal(view.from_addr)   # a platform's or a desk's address
    scores: dict[str, float] = {}
    signals: dict[str, list[str]] = {}
    titled: set[str] = set()  # the kinds a phrase in the subject names
    maybe: set[str] = set()   # an invitation only said as what may come ("falls wir…")
    for kind in ("application", "rejection", "interview"):
        in_subject = in_body = 0
        said: list[str] = []
        for rule in rules.phrases[kind]:
            prefix = rule.prefix
            if prefix:
                if prefix not in folded:
                    continue  # cannot match (`can_match`, spelt out: it runs for every rule)
            elif rule.needs and not can_match(rule, folded):
                continue
            found = rule.pattern.search(haystack)
            if found is None:
                continue
            where_subject = found.start() < subject_end
            if not where_subject and found.start() <= subject_end:
                continue
            if kind != "application" and (scores.get("application") or kind == "rejection") \
                    and not where_subject and _conditional(haystack, found.start()):
                # An acknowledgement's "if they want to take things further" or
                # "shortlisted candidates will be contacted for the next round": what may
                # come, not what happened.
                if kind == "interview":
                    maybe.add(kind)
                continue
            if kind == "interview" and not where_subject and _past(haystack, found.start()):
                # "Suite à notre échange téléphonique, j'ai bien reçu votre CV", "danke für
                # das nette Telefonat": a call that was, the object of thanks or of "after".
                continue
            if where_subject:
                in_subject += 1
            else:
                in_body += 1
            if len(said) < 2:
                said.append(f"{rule.language.upper()} {kind} phrase \"{found.group(0)}\""
                            f"{' in the subject' if where_subject else ''}")
        score = (SUBJECT_WEIGHT if in_subject else 0.0) + \
            (BODY_WEIGHT + 0.25 * min(in_body - 1, 4) if in_body else 0.0)
        scores[kind], signals[kind] = score, said
        if in_subject:
            titled.add(kind)
    asked = "" if service or scores["interview"] else asks_to_meet(haystack)
    if asked:
        # A person asking to meet at a stated day and hour ("tu pourrais passer à
        # l'atelier lundi 12 à 18h ?"): what people who hire write instead of "interview".
        scores["interview"] = BODY_WEIGHT
        signals["interview"].append(f"a person asks to meet at a stated time (\"{asked}\")")
    chose = "" if scores["rejection"] or asked else chose_another(haystack)
    if chose:
        # "They've gone with a contractor who…", "j'ai retenu une personne qui…": another
        # person chosen, a refusal in a person's own words.
        scores["rejection"] = BODY_WEIGHT
        signals["rejection"].append(f"another person chosen (\"{chose}\")")
    passed = "" if any(scores.values()) else passed_on(haystack)
    if passed:
        # "I've put you forward to X", "te he presentado a X": the reader's papers passed on.
        scores["application"] = BODY_WEIGHT
        signals["application"].append(f"your papers passed on (\"{passed}\")")
    phrased = {kind for kind, score in scores.items() if score}
    if rules.words is not None:
        # The word model: how the mail's words read, past the rules' exact phrases.
        posteriors = rules.words.posteriors(haystack)
        best = max(posteriors, key=lambda k: posteriors[k])
        # Alone (no phrase of any kind, no invitation), its reading counts only when the
        # mail has a job word ([candidate] body: a role, an interview, a Gespräch, a
        # puesto…): "coffee next Tuesday works!" or an invitation to a vernissage reads
        # like an interview to a bag of words, but is about no job.
        alone = not phrased
        # Against another kind's phrase (not an application's thanks, which rejections
        # open with too), a reading no phrase of its own backs must be near certain:
        # "Haben Sie Zeit für ein Gespräch?" is an invitation whatever a bag of words says.
        least = WORDS_SURE if phrased - {"application", best} and best not in phrased \
            else WORDS_MIN
        # What the mail says may come is no reading of what happened: the words of a
        # conditional invitation do not make the mail one.
        if best != "not-job" and posteriors[best] >= least and best not in maybe - phrased and \
                (not alone or _names_job(haystack, rules.body_words) or
                 sure_reading(haystack, rules, service=service) == best):
            scores[best] += WORDS_WEIGHT * posteriors[best]
            signals[best].append(f"its words read as {best} ({posteriors[best]:.2f})")
    # Job words for an invitation: a kind's phrase, a job subject, or the word model's
    # reading of a mail with a job word (a colleague's "Q4 planning" invitation reads like
    # an interview to a bag of words, but names no job).
    job_words = bool(phrased) or rules.is_candidate_subject(view.subject) or \
        (any(scores.values()) and _names_job(haystack, rules.body_words)) or \
        sure_reading(haystack, rules, service=service) != ""

    invite = view.invite
    moment: Moment | None = None
    # An invitation (METHOD:REQUEST) in job mail; a published event (METHOD:PUBLISH, or no
    # method: an "add to calendar" file) only from an ATS or titled as job mail.
    if invite is not None and invite.start is not None and (
            (invite.method == "REQUEST" and
             (ats or job_words or rules.is_candidate_subject(invite.summary))) or
            (invite.method in ("PUBLISH", "") and
             (ats or rules.is_candidate_subject(invite.summary)) and
             not scores["rejection"])):
        scores["interview"] += INVITE_WEIGHT
        moment = Moment(invite.start, not invite.floating, "the invitation's DTSTART")
        signals["interview"].insert(0, "a calendar invitation (METHOD:"
                                    f"{invite.method or '-'}, DTSTART "
                                    f"{invite.start.isoformat(timespec='minutes')})")
    prior = ATS_PRIOR if ats else 0.0
    penalty = (ATS_MAILING if ats else UNSUBSCRIBE) if view.unsubscribe else 0.0
    penalty += IGNORE if ignored else 0.0
    # A hiring system's List-Unsubscribe counts less against a rejection or an interview its
    # own words state (job boards put one on their status mail too); an application's
    # words ("since you applied…") are its marketing's too.
    eased = ATS_MAILING - ATS_MAILING_PHRASED if ats and view.unsubscribe else 0.0
    if moment is None and not asked and "application" not in phrased and \
            "interview" not in titled and \
            first_match(rules.phrases["outreach"], haystack, folded) is not None and \
            not _YOUR_APPLICATION.search(haystack):
        # A recruiter's first approach ("came across your profile … open to a quick
        # chat?") is outreach, not an interview of an application of yours; nor does
        # the word model's reading alone make it one. A subject proposing an interview
        # ("Proposition d'entretien") outweighs the approach's words ("votre profil a
        # retenu notre attention").
        scores["interview"] = 0.0
        for kind in ("application", "rejection"):
            if kind not in phrased:
                scores[kind] = 0.0
    # A regret about a date, or (nothing else read) an interview that has to move.
    unread = not any(scores.values())
    moved = _RESCHEDULE.search(haystack) if scores["rejection"] or unread else None
    meeting = (_INTERVIEW_WORD if unread else _MEETING).search(haystack) \
        if moved is not None else None
    if moved is not None and meeting is not None and not _DECIDED.search(haystack):
        # "Malheureusement je ne suis pas disponible mardi, pouvons-nous décaler
        # l'entretien ?": a regret about a date moves an interview, it rejects nothing.
        scores["rejection"] = 0.0
        scores["interview"] = max(scores["interview"], BODY_WEIGHT)
        signals["interview"].append(f"an interview moved (\"{moved.group(0)}\" the "
                                    f"\"{meeting.group(0)}\")")
    # Context: a rejection's own words decide it even when it mentions the interviews
    # before it; an invitation decides over an application's thanks ("thanks for
    # applying, can we talk on Tuesday?"); a calendar invitation over both.
    order = ["rejection", "interview", "application"]
    if moment is not None:
        order = ["interview", "rejection", "application"]
    for kind in order:
        total = scores[kind] + (prior if scores[kind] else 0.0) - penalty + \
            (eased if kind != "application" and kind in phrased else 0.0)
        if scores[kind] and total >= THRESHOLD:
            said = signals[kind]
            if prior:
                said.append(f"sent by {ats}")
            if view.unsubscribe:
                said.append("a List-Unsubscribe mailing")
            if ignored:
                said.append(f"despite \"{ignored}\" (mail that is not job mail says so)")
            if kind == "interview" and moment is None:
                moment = interview_moment(haystack, view.sent_at, zone)
            return Evidence(kind, total, said, moment if kind == "interview" else None)
    return None



def sure_reading(text: str, rules: Rules, *, service: bool = False) -> str:
    """The job kind the word model reads `text` as when it reads far more as that kind than
    as any mail that is no job mail (`WORDS_LEAD`, a log-likelihood ratio), else "": a
    recruiter's "Brookfield's VP Data would like a 45-min call on Thursday", a workshop
    owner's "können Sie Freitag gegen 17 Uhr bei uns vorbeikommen?", a platform's "we've
    decided to go with another designer" name no job word ([candidate] body) but read as
    nothing else. An invitation from anyone; a refusal only from a service address
    (`service`: a platform's or a hiring desk's no-reply@, never a shop's), since a
    person's refusal words ("leider", "we regret") are every refusal's (a club's, a
    landlord's). The model learns only from words seen in several sender families
    (wordmodel.py), so no one sender's template decides it."""
    if rules.words is None:
        return ""
    kind, lead = rules.words.lead(text)
    wanted = ("interview", "rejection") if service else ("interview",)
    return kind if kind in wanted and lead >= WORDS_LEAD else ""


# The user's own application, named by a recruiter who also says how they found the user
# ("I came across your profile … and the application you sent for the role"): no outreach.
_YOUR_APPLICATION = re.compile(
    r"\b(?:the application you (?:sent|submitted|made)|you(?:.ve| have)? applied|"
    r"your (?:recent )?application (?:for|to)|vous avez postulé|votre candidature (?:pour|au|à)|"
    r"has postulado|tu (?:candidatura|postulación) (?:para|a|al)|"
    r"(?:sie haben|du hast) sich beworben|ihre bewerbung (?:als|für|auf)|"
    r"deine bewerbung (?:als|für|auf))", re.IGNORECASE)


# What makes the rest of a sentence a condition or someone else's future ("if", "falls",
# "si", "en caso de", "shortlisted candidates will…"), in the four languages.
_CONDITION = re.compile(
    r"\b(?:if|should|once|whether|in case|shortlisted|successful candidates|selected "
    r"candidates|wenn|falls|sobald|sollten?|ob|si|s.ils?|une fois|dans le cas|au cas où|"
    r"en caso de|cuando|seleccionad[oa]s|"
    # no news by a date means no ("sans nouvelles de notre part d'ici…"), an option offered
    r"sans (?:nouvelles|réponse|retour)|faute de (?:réponse|retour)|sin (?:noticias|respuesta)|"
    r"ohne (?:rückmeldung|antwort|nachricht)|(?:not|don.t) hear|you (?:can|may)|"
    r"vous pouv(?:ez|rez)|können sie|puedes)\b", re.IGNORECASE)


def _conditional(text: str, at: int) -> bool:
    """Whether the sentence holding text[at] says, before it, that it is a condition."""
    start = max(text.rfind(".", 0, at), text.rfind("!", 0, at), text.rfind("?", 0, at),
                text.rfind("\n", 0, at), at - 160)
    return _CONDITION.search(text, start + 1, at) is not None


# A conversation that already happened: thanked for, or what something follows ("thanks
# for the call", "following our phone call", "suite à notre échange", "danke für das nette
# Telefonat", "nach unserem Gespräch", "tras nuestra llamada"), in the four languages; at
# most two words between it and the meeting it names.
_PAST = re.compile(
    r"\b(?:thanks? (?:you )?for|following|after|suite à|merci (?:pour|de)|après|danke für|"
    r"vielen dank für|nach|gracias por|tras|después de)[ ]+(?:(?:our|the|your|this|today.s|"
    r"notre|votre|ton|cet|cette|l.|le|la|das|den|dem|unser(?:em|en)?|ihr(?:em)?|dein(?:em)?|"
    r"nuestra|nuestro|la|el|tu|su)[ ]+)(?:[\w-]+[ ]+){0,2}\Z", re.IGNORECASE)


def _past(text: str, at: int) -> bool:
    """Whether the words just before text[at] make what starts there a conversation that
    already happened (`_PAST`)."""
    return _PAST.search(text, max(0, at - 60), at) is not None


# Moving an appointment, in the four languages.
_RESCHEDULE = re.compile(
    r"\b(?:re-?schedul\w*|postpone\w*|push (?:it|the \w+) back|move (?:it|our|the \w+) to|"
    r"(?:to be|be) moved|(?:can|could) we move|need to move|"
    r"verschieb\w*|verlegen|(?:neuen|anderen) termin|décaler|reporter|déplacer|reprogramm\w*|"
    r"reprogramar\w*|aplazar\w*|cambiar (?:la fecha|la hora|la cita))\b", re.IGNORECASE)

_MEETING = re.compile(
    r"\b(?:interview\w*|entretien|entrevista|\w*gespräch|telefonat|call|rendez-vous)\b",
    re.IGNORECASE)

_INTERVIEW_WORD = re.compile(r"\b(?:interview\w*|entretien|entrevista|\w*gespräch)\b",
                             re.IGNORECASE)

# What a rejection decides, past a regret: another person, a decision, a filled post.
_DECIDED = re.compile(
    r"\b(?:other|another|else|decided|decision|filled|absage|andere[nmrs]?|entschieden|"
    r"besetzt|vergeben|autres?|décidé|décision|pourvu|retenue?|otr[oa]s?|decidido|"
    r"decisión|cubiert[oa]|seleccionad[oa]|descartad[oa]|unsuccessful|not (?:be )?"
    r"(?:moving|progress\w*|proceed\w*))\b", re.IGNORECASE)


@lru_cache(maxsize=4)
def _job_word(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<![^\W\d_])(?:" + "|".join(re.escape(w.strip()) for w in words)
                      + ")", re.IGNORECASE)


def _names_job(text: str, words: tuple[str, ...]) -> bool:
    """A [candidate] body word at the start of a word of `text` ("position", not the
    "position" inside "exposition")."""
    return not words or _job_word(words).search(text) is not None


def first_match(rules: Iterable[Rule], haystack: str,
                 folded: str | None = None) -> tuple[Rule, str] | None:
    """The first rule (in order) that matches, and what it matched. `folded` is
    `fold_case(haystack)`, to skip the rules that cannot match."""
    if folded is None:
        folded = fold_case(haystack)
    for rule in rules:
        prefix = rule.prefix
        if prefix:
            if prefix not in folded:
                continue  # cannot match (`can_match`, spelt out: it runs for every rule)
        elif rule.needs and not can_match(rule, folded):
            continue
        found = rule.pattern.search(haystack)
        if found:
            return rule, found.group(0)
    return None
