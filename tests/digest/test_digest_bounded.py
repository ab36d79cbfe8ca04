"""Issue 13, class 3: the digest's size is bounded whatever the day holds (the installed
program's view with 800 nudges is tests/e2e/test_big_day.py)."""

from __future__ import annotations

import csv

import time_machine

from nudger.digest.compose import BRIEF_NUDGES, FULL_NUDGES
from tests.conftest import Home

NOW = "2027-02-01 13:00:00+00:00"


def backlog(home: Home, count: int, *, company: str = "Company {i:05d}",
            notes: str = "") -> None:
    sheet = home.root / "backlog.csv"
    with open(sheet, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["Company", "Position", "Date Applied", "Notes"])
        for i in range(count):
            out.writerow([company.format(i=i), "AE", f"2027-01-{4 + i % 20:02d}", notes])
    home.ok("import", str(sheet))


@time_machine.travel(NOW, tick=False)
def test_five_thousand_due_nudges_render_a_bounded_digest(home: Home) -> None:
    backlog(home, 5000)
    out = home.ok("digest")
    assert "5000 follow-ups are due: the 25 most urgent in full" in out
    assert out.count("Done? Log it: nudger done") == FULL_NUDGES
    assert "IN BRIEF (200)" in out
    more = 5000 - FULL_NUDGES - BRIEF_NUDGES
    assert f"... and {more} more: `nudger due` lists them all." in out
    assert len(out) < 500_000
    # Overdue first: the oldest applications (2027-01-04) lead.
    assert out.index("Company 00000") < out.index("IN BRIEF")


@time_machine.travel(NOW, tick=False)
def test_huge_values_fall_back_to_fewer_in_full(home: Home) -> None:
    """Values at the 10,000-character limit, repeated in every draft and mailto link:
    too long in full, so fewer are shown in full and the digest still renders."""
    backlog(home, 300, company="C{i:03d} " + "Ü" * 9_990, notes="N" * 10_000)
    out = home.ok("digest")
    assert "IN BRIEF" in out and "more: `nudger due`" in out
    assert out.count("Done? Log it: nudger done") < FULL_NUDGES
