"""Each rendered sample scores 0.5 or less with SpamAssassin (offline rules, `-L -t`)."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from nudger.store.db import Database
from nudger.track import tracker
from tests.digest_helpers import DAY, add_app, compose, make_db, make_settings

SPAMASSASSIN = shutil.which("spamassassin")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(SPAMASSASSIN is None, reason="SpamAssassin is not installed "
                       "(Debian: apt-get install -y spamassassin); .ci/run installs it"),
]


def _empty(db: Database) -> None:
    del db


def _one(db: Database) -> None:
    add_app(db, "Acme", contacts=["Dana Lee <dana@acme.example>"])


def _many(db: Database) -> None:
    for i in range(50):
        add_app(db, f"Company {i}", applied=DAY - timedelta(days=5 + i % 20),
                contacts=[f"Person {i} <p{i}@c{i}.example>"],
                touches=[("email", DAY - timedelta(days=3), "sent", 1)] if i % 2 else [])


def _international(db: Database) -> None:
    add_app(db, "Société Générale", "Chargé d'affaires",
            contacts=["Renée Ødegård <renee@sg.example>"])
    add_app(db, "株式会社サンプル", "営業担当", applied=DAY - timedelta(days=12),
            touches=[("email", DAY - timedelta(days=4), "送信済み", 1)])


def _every_action(db: Database) -> None:
    base = DAY - timedelta(days=40)
    for n in range(5):
        touches = [(a, base + timedelta(days=3 * i + 1), "done", i + 1)
                   for i, a in enumerate(["email", "call", "social", "network"][:n])]
        add_app(db, f"Step {n} Co", applied=base,
                contacts=[tracker.ContactSpec(name="Sam Lee", email="sam@x.example",
                                              phone="+1 312 555 0101", social="@samlee")],
                touches=touches, address="1 Main St")


SAMPLES: dict[str, Callable[[Database], None]] = {
    "empty": _empty, "one": _one, "fifty": _many, "international": _international,
    "every-action": _every_action,
}


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_spamassassin_score(tmp_path: Path, sample: str) -> None:
    name = "Zoë Ångström" if sample == "international" else "Alex Rivera"
    settings = make_settings(tmp_path, name=name)
    db = make_db(settings)
    SAMPLES[sample](db)
    raw = compose(settings, db).message.as_bytes()
    assert SPAMASSASSIN is not None
    result = subprocess.run([SPAMASSASSIN, "-L", "-t"], input=raw, capture_output=True,
                            timeout=120, check=False)
    report = result.stdout.decode("utf-8", "replace")
    found = re.search(r"X-Spam-Status: \w+, score=(-?\d+(?:\.\d+)?)", report)
    assert found, report[:2000] + result.stderr.decode("utf-8", "replace")
    details = report.split("Content analysis details:", 1)[-1][:3000]
    assert float(found.group(1)) <= 0.5, details
