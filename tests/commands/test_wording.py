"""Words a person reads: stats on an empty database, the streak said one way, the test
email addressed as the digest is, the signature separator mutt recognises."""

from __future__ import annotations

import mailbox
import re

import pytest

from nudger.track.stats import streak_words
from tests.clock import MONDAY_NOW as NOW  # a working Monday, 10:00 in Chicago
from tests.clock import frozen
from tests.conftest import Home


@pytest.fixture(autouse=True)
def frozen_clock():
    with frozen(NOW):
        yield


def test_stats_on_an_empty_database(home: Home) -> None:
    out = home.ok("stats")
    assert "n/a" not in out
    assert "follow-up rate: no applications yet" in out
    assert "replies: no applications sent yet" in out
    assert f"streak: {streak_words(0)}" in out


def test_the_streak_is_said_one_way(home: Home) -> None:
    home.ok("add", "Acme", "Account Executive", "--applied", "2026-11-20")
    stats = re.search(r"(?m)^streak: (.*?)(?: \(since .*\))?$", home.ok("stats"))
    assert stats is not None
    text = home.ok("digest")  # Monday: the effort day, with the streak
    assert f"Streak: {stats.group(1)}." in text
    assert stats.group(1).endswith("in a row with every follow-up done")
    assert streak_words(1) == "1 digest day in a row with every follow-up done"
    assert streak_words(366, capped=True).startswith("366+ digest days")


def test_the_footer_separator_is_dash_dash_space(home: Home) -> None:
    text = home.ok("digest")
    assert "\n-- \nNext digest:" in text


def test_test_email_to_has_the_display_name(home: Home) -> None:
    home.ok("test-email")
    box = mailbox.Maildir(home.config.parent / "Maildir", create=False)
    (message,) = list(box)
    assert message["To"] == "Alex Rivera <alex@example.com>"
