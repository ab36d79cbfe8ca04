"""The company ranker (candidates.py, ranker.py, rankfit.py): the candidates of made-up job
mail and their general features, one test per mechanism; the choice the ranker makes; and
ranker.json held to the development families it is learnt from."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from nudger.mail.capture import ranker, rankfit
from nudger.mail.capture.candidates import Candidate, key
from nudger.mail.capture.evaluate import load_cases, load_manifest
from nudger.mail.capture.extract import company_and_role
from nudger.mail.capture.prefilter import ats_sender
from nudger.mail.capture.rules import default_rules
from nudger.mail.capture.view import unforwarded, view_headers, view_text, with_body
from tests.mail.capture.test_capture_unseen import mail

ZONE = ZoneInfo("Europe/Berlin")
CORPUS = Path(__file__).parents[2] / "fixtures" / "mail" / "families"



def candidates(raw: bytes) -> tuple[str, dict[str, Candidate]]:
    """The chain's company and every candidate (by key) of a made-up mail."""
    rules = default_rules()
    view = unforwarded(with_body(view_headers(raw), raw, zone=ZONE))
    haystack = view_text(view)
    ats = rules.ats_of(view.domain) or ats_sender(view, rules)
    company, role, how = company_and_role(view, haystack, ats, rules)
    found = ranker.candidates_of(view, haystack, (company, how, role), ats, rules)
    return company, {key(c.name): c for c in found}


def test_each_extractor_is_a_source_and_agreeing_sources_are_counted() -> None:
    _, found = candidates(mail(
        "Hello Alex,\n\nThank you for applying to Corrow Analytics Ltd. We will be in "
        "touch.\n\nBest regards,\nMara Olsen\nCorrow Analytics Ltd",
        sender="Mara Olsen <mara@corrow-analytics.example>",
        subject="Your application to Corrow Analytics"))
    cand = found["corrow analytics"]
    assert {"src=chain", "src=pattern", "src=run-subject", "src=run-signature"} <= \
        set(cand.features)
    assert cand.features["sources=4"] == 1.0
    assert cand.features["legal"] == cand.features["organisation"] == 1.0


def test_the_senders_own_brand_is_marked_when_the_mail_names_another_organisation() -> None:
    _, found = candidates(mail(
        "Hi Alex,\n\nGood news: Hotel Quai Vert SARL has shortlisted you for the waiter "
        "shift you applied to. Open the app to see the details.\n\nThe Shiftly team",
        sender="Shiftly <hello@shiftly.example>",
        subject="Your application: waiter shift"))
    brand = found["shiftly"].features
    assert brand["brand"] == brand["brand-while-other-org"] == 1.0
    assert found["hotel quai vert"].features["organisation"] == 1.0


def test_a_client_named_as_one_is_cued() -> None:
    _, found = candidates(mail(
        "Hello Alex,\n\nI am recruiting on behalf of Fenwick Tiles for a site engineer. "
        "Could we speak on Monday?\n\nPaul\nHarbour Talent Recruitment",
        sender="Paul Grey <paul@harbourtalent.example>",
        subject="Site engineer role"))
    assert found["fenwick tiles"].features["client-cue"] == 1.0


def test_places_people_and_words_of_many_families_are_marked() -> None:
    _, found = candidates(mail(
        "Dear Alex Rivera,\n\nThank you for your application. Our office in Tallinn "
        "will contact you about the next steps.\n\nKind regards,\nLena Voss\nOstrava "
        "Foods GmbH",
        sender="Lena Voss <lena.voss@ostravafoods.example>",
        subject="Your application"))
    assert found["tallinn"].features["place"] == 1.0
    assert found["lena voss"].features["person"] == 1.0
    assert "thank" not in found  # a generic span of words many families use: left out


def test_a_name_a_longer_candidate_continues_is_marked() -> None:
    _, found = candidates(mail(
        "Hi Alex,\n\nThanks for your time today. We would like to invite you to a second "
        "interview at Brindle & Moss Bakery next week.\n\nJo",
        sender="Jo <jo@brindle.example>",
        subject="Second interview"))
    assert found["brindle"].features["continued"] == 1.0  # the domain's word alone
    assert found["brindle and moss bakery"].features["continued"] == 0.0


def test_the_ranker_keeps_the_chain_unless_another_scores_clearly_higher() -> None:
    chain = Candidate("Shiftly", {"chain"}, {"chain": 1.0, "brand": 1.0})
    other = Candidate("Hotel Quai Vert", {"pattern"}, {"organisation": 1.0})
    model = ranker.Ranker({"brand": -1.0, "organisation": 0.5}, margin=1.0)
    assert model.best([chain, other]) is other
    assert ranker.Ranker({"brand": -0.2, "organisation": 0.5}, margin=1.0
                         ).best([chain, other]) is None
    assert model.best([other]) is None  # no chain's answer: nothing to replace


def test_training_moves_the_weights_towards_the_labelled_employer() -> None:
    groups = [([Candidate("A", set(), {"brand": 1.0}), Candidate("B", set(), {"org": 1.0})],
               1)] * 5
    model = ranker.train(groups, epochs=5)
    assert model.weights["org"] > 0 > model.weights["brand"]


def test_the_shipped_ranker_is_learnt_from_the_development_families() -> None:
    """ranker.json is exactly what training on the development families gives (retrain
    with `python -m nudger.mail.capture.rankfit` after changing them or the features)."""
    dev = {f["key"] for f in load_manifest(CORPUS) if f["split"] == "dev"}
    cases = [c for c in load_cases(CORPUS) if c.split == "dev"]
    assert {c.family for c in cases} == dev
    shipped = ranker.load()
    assert shipped is not None
    assert shipped.as_json() == rankfit.fit(rankfit.collect(CORPUS, cases)).as_json()
