"""auto_ghost = true: a digest that is sent closes what went cold, and says so."""

from __future__ import annotations

import json
import mailbox
from datetime import datetime
from zoneinfo import ZoneInfo

from tests.clock import frozen
from tests.conftest import BASE_CONFIG, Home

CADENCE = """
[[cadence]]
stage = "applied"
steps = [{ wait = "3 business days", action = "email" }]
give_up = "30 days"
auto_ghost = %s
"""

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("America/Chicago"))


def digest_text(home: Home) -> str:
    box = mailbox.Maildir(home.config.parent / "Maildir", create=False)
    (message,) = list(box)
    body = message.get_payload()[0].get_payload(decode=True)
    return body.decode()


def test_auto_ghost_closes_and_tells(home: Home) -> None:
    home.write_config(BASE_CONFIG + CADENCE % "true")
    with frozen(NOW):
        old = json.loads(home.ok("add", "Tailspin", "RSM", "--applied", "2026-10-01",
                                 "--json"))["id"]
        fresh = json.loads(home.ok("add", "Litware", "SE", "--applied", "2026-11-25",
                                   "--json"))["id"]
        home.ok("digest", "--send")
        assert json.loads(home.ok("show", str(old), "--json"))["stage"] == "ghosted"
        assert json.loads(home.ok("show", str(fresh), "--json"))["stage"] == "applied"
    text = digest_text(home)
    assert f"Closed as ghosted (auto_ghost): #{old} Tailspin" in text
    assert f"nudger stage {old} applied" in text


def test_preview_changes_nothing_and_off_means_ask(home: Home) -> None:
    home.write_config(BASE_CONFIG + CADENCE % "true")
    with frozen(NOW):
        old = json.loads(home.ok("add", "Tailspin", "RSM", "--applied", "2026-10-01",
                                 "--json"))["id"]
        home.ok("digest")  # a preview closes nothing
        assert json.loads(home.ok("show", str(old), "--json"))["stage"] == "applied"
        home.write_config(BASE_CONFIG + CADENCE % "false")
        home.ok("digest", "--send")
        assert json.loads(home.ok("show", str(old), "--json"))["stage"] == "applied"
    assert "ghosted" in digest_text(home)  # proposed in "going cold", not done
