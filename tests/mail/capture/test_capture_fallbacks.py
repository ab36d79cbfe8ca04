"""Capture's general fixes of session 19, each on a made-up mail of its kind (none is a
corpus family's template): an organisation writing through a platform that sends from its
own domain ("X via Platform"), named by its shape or its words; a recruitment agency's own
name (its sender name's agency word) never taken for the employer its mail names; a
free-mail sender whose address names the firm the mail spells."""

from __future__ import annotations

from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest

from nudger.mail.capture.recognise import recognise_bytes

ZONE = ZoneInfo("Europe/Berlin")


def mail(body: str, *, sender: str, subject: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "Alex Rivera <alex@example.com>"
    msg["Subject"] = subject
    msg["Date"] = "Tue, 06 Oct 2026 09:30:00 +0200"
    msg["Message-ID"] = "<fallbacks-test@example.net>"
    msg.set_content(body)
    return msg.as_bytes()


REFUSAL = ("Dear Alex,\n\nThank you for your interest in the Planning Officer role. After "
           "careful consideration we have decided not to proceed with your application.\n\n"
           "Kind regards")


@pytest.mark.parametrize(("name", "company"), [
    ("Borough of Ashcombe", "Borough of Ashcombe"),            # "of": a body's name
    ("Harbourside Community Trust", "Harbourside Community Trust"),  # three words
    ("Lowfield Mutual", "Lowfield Mutual"),                    # a mutual's word
    ("Greystone Payments", "Greystone Payments"),              # a sector's word
])
def test_an_organisation_via_a_platform_on_its_own_domain(name: str, company: str) -> None:
    raw = mail(REFUSAL, sender=f"{name} via Hirepath <noreply@hirepath.example>",
               subject="Your application")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert (finding.kind, finding.company) == ("rejection", company)
    assert "sender's name" in finding.why


def test_a_person_via_a_platform_is_no_employer() -> None:
    """Two words with no organisation word: a recruiter's own name, never the company."""
    raw = mail(REFUSAL, sender="Lena Ortiz via Hirepath <noreply@hirepath.example>",
               subject="Your application")
    assert all(f.company != "Lena Ortiz" for f in recognise_bytes(raw, zone=ZONE))


def test_a_name_via_a_platform_on_another_domain_wants_an_organisation_word() -> None:
    """The shape alone counts only on the platform's own domain."""
    raw = mail(REFUSAL, sender="Borough of Ashcombe via Hirepath <noreply@mailer.example>",
               subject="Your application")
    assert all(f.company != "Borough of Ashcombe" for f in recognise_bytes(raw, zone=ZONE))
