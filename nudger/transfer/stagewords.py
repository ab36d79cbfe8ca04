"""Stage words: the status words of spreadsheets and other trackers, read as nudger's stages."""

from __future__ import annotations

from nudger.vocab import CLOSED_STAGES

STAGE_WORDS: dict[str, str] = {}
for _stage, _words in {
    "wishlist": ("wishlist", "wish list", "saved", "bookmarked", "bookmark", "draft",
                 "interested", "to apply", "not applied", "merkliste", "gespeichert"),
    "applied": ("applied", "application sent", "submitted", "sent", "beworben",
                "bewerbung verschickt", "postulé", "candidature envoyée", "aplicado"),
    "interviewing": ("interviewing", "interview", "interviews", "phone screen", "screening",
                     "phone interview", "onsite", "on-site", "interview scheduled",
                     "vorstellungsgespräch", "gespräch", "entretien", "entrevista"),
    "offer": ("offer", "offer received", "offered", "angebot", "zusage", "offre", "oferta"),
    "accepted": ("accepted", "hired", "offer accepted", "angenommen", "accepté"),
    "rejected": ("rejected", "declined", "rejection", "not selected", "turned down",
                 "absage", "abgelehnt", "refusé", "rechazado"),
    "withdrawn": ("withdrawn", "withdrew", "zurückgezogen", "retiré"),
    "ghosted": ("ghosted", "no response", "no reply", "no answer", "keine antwort",
                "sans réponse"),
}.items():
    for _word in _words:
        STAGE_WORDS[" ".join(_word.casefold().split())] = _stage
STAGE_RANK = {"wishlist": 0, "applied": 1, "interviewing": 2, "offer": 3,
              **{s: 4 for s in CLOSED_STAGES}}


def normalize_word(text: str) -> str:
    return " ".join(text.casefold().replace("_", " ").split())
