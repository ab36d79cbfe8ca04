"""Matching findings to tracked applications, and folding one run's findings: the
never-a-duplicate rules of capture (normalised company and role, the job URL)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from nudger.mail.capture.findings import Finding
from nudger.mail.capture.scan import (
    Ledger,
    Tracked,
    normal_company,
    normal_role,
    normal_url,
)


@pytest.mark.parametrize("a,b", [
    ("Acme Robotics, Inc.", "ACME robotics"),
    ("Grünwald Logistik GmbH", "Grunwald Logistik"),
    ("Bergmann & Söhne AG", "Bergmann and Sohne"),
    ("Fabrikam Ltd.", "Fabrikam"),
    ("Contoso LLC", "contoso"),
    ("Boulangerie Étoile S.A.", "Boulangerie Etoile"),
    ("The Green Fork", "Green Fork"),
    ("Vandelay Industries Holding B.V.", "Vandelay Industries"),
])
def test_same_company(a: str, b: str) -> None:
    assert normal_company(a) == normal_company(b)


def test_different_companies_stay_apart() -> None:
    assert normal_company("Acme Robotics") != normal_company("Acme Rockets")
    assert normal_company("AG") == "ag"  # a name that is only a suffix is kept


@pytest.mark.parametrize("a,b", [
    ("Backend Developer (m/w/d)", "backend developer"),
    ("Senior Backend Engineer - Remote", "Senior Backend Engineer"),
    ("Data Engineer (w/m/d) – Hybrid", "Data Engineer"),
    ("Chef de projet (H/F)", "chef de projet"),
    ("Analyst (Remote)", "Analyst"),
    ("Account Executive, Remote", "Account Executive"),
])
def test_same_role(a: str, b: str) -> None:
    assert normal_role(a) == normal_role(b)


def test_job_urls() -> None:
    assert normal_url("https://www.boards.greenhouse.io/acme/jobs/1/?gh_src=x&utm_source=y") \
        == normal_url("http://boards.greenhouse.io/acme/jobs/1")
    assert normal_url("https://www.indeed.com/viewjob?jk=abc&from=mail") == \
        normal_url("https://indeed.com/viewjob?jk=abc")
    assert normal_url("https://indeed.com/viewjob?jk=abc") != \
        normal_url("https://indeed.com/viewjob?jk=def")


def finding(kind: str, company: str, role: str, day: int, url: str = "",
            at: datetime | None = None) -> Finding:
    return Finding(kind=kind, company=company, role=role, on=date(2026, 10, day),
                   source="Greenhouse", confidence=0.9, why="test", url=url, interview_at=at)


def test_confirmation_then_rejection_is_one_proposal() -> None:
    ledger = Ledger([])
    ledger.add("m#1", finding("application", "Acme", "Analyst", 1))
    ledger.add("m#2", finding("interview", "Acme, Inc.", "Analyst", 5,
                              at=datetime(2026, 10, 9, 14, tzinfo=UTC)))
    ledger.add("m#3", finding("rejection", "ACME", "", 20))
    [prop] = ledger.results()
    assert (prop.kind, prop.stage, prop.applied_on, prop.stage_on) == (
        "application", "rejected", date(2026, 10, 1), date(2026, 10, 20))
    assert prop.interview_at == datetime(2026, 10, 9, 14, tzinfo=UTC)
    assert prop.sources == ["m#1", "m#2", "m#3"]
    assert prop.fingerprint() == "capture:application:acme:analyst"


def test_rejection_without_role_ties_to_the_companys_open_application() -> None:
    tracked = [Tracked(1, "Acme", "Analyst", "", "applied", date(2026, 9, 1)),
               Tracked(2, "Acme", "Engineer", "", "applied", date(2026, 9, 20)),
               Tracked(3, "Globex", "Analyst", "", "rejected")]
    ledger = Ledger(tracked)
    ledger.add("m#1", finding("rejection", "Acme", "", 2))
    [prop] = ledger.results()
    assert (prop.kind, prop.application_id, prop.stage) == ("stage", 2, "rejected")


def test_a_rejection_of_an_untracked_job_is_proposed_as_new() -> None:
    ledger = Ledger([Tracked(1, "Acme", "Analyst", "", "applied")])
    ledger.add("m#1", finding("rejection", "Initech", "Analyst", 2))
    [prop] = ledger.results()
    assert (prop.kind, prop.application_id, prop.stage, prop.company) == (
        "application", None, "rejected", "Initech")


def test_confirmation_matched_by_url_or_name() -> None:
    tracked = [Tracked(1, "Acme Robotics Inc", "Backend Engineer (m/w/d)", "", "applied"),
               Tracked(2, "Other", "Role", "https://jobs.lever.co/x/1234abcd-0000", "applied")]
    ledger = Ledger(tracked)
    ledger.add("m#1", finding("application", "ACME Robotics", "Backend Engineer - Remote", 1))
    ledger.add("m#2", finding("application", "Renamed Co", "Whatever",
                              2, url="https://jobs.lever.co/x/1234abcd-0000/"))
    assert {(p.matched, p.application_id) for p in ledger.results()} == {(True, 1), (True, 2)}


def test_an_interview_for_an_interviewing_application_is_nothing_new() -> None:
    ledger = Ledger([Tracked(1, "Acme", "Analyst", "", "interviewing")])
    ledger.add("m#1", finding("interview", "Acme", "Analyst", 3))
    [prop] = ledger.results()
    assert prop.matched
