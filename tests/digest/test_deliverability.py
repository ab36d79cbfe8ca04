"""Each rendered sample scores 0.5 or less with SpamAssassin (offline rules, `-L -t`).

SpamAssassin takes seconds to load its rules, so every sample goes through one process
per session: a few lines of Perl drive SpamAssassin's own library (`Mail::SpamAssassin`,
what the `spamassassin` script runs; `local_tests_only` is its `-L`), and each sample's
item reads its own score and report. (`spamassassin --mbox -t` would report only the last
message of an mbox.)"""

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
PERL = shutil.which("perl")
CHECK = r"""
use strict; use warnings;
use Mail::SpamAssassin;
my $sa = Mail::SpamAssassin->new({local_tests_only => 1});
for my $path (@ARGV) {
  open(my $fh, '<:raw', $path) or die "$path: $!";
  my $text = do { local $/; <$fh> }; close $fh;
  my $mail = $sa->parse($text);
  my $status = $sa->check($mail);
  printf "=== nudger-sample %s\nX-Spam-Status: score=%.1f\n%s\n", $path,
    $status->get_score(), $status->get_report();
  $status->finish(); $mail->finish();
}
"""
pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("spamassassin"),  # one run for every sample: one worker
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


def _render(tmp_path: Path, sample: str) -> bytes:
    name = "Zoë Ångström" if sample == "international" else "Alex Rivera"
    settings = make_settings(tmp_path, name=name)
    db = make_db(settings)
    SAMPLES[sample](db)
    raw = compose(settings, db).message.as_bytes()
    db.dispose()
    return raw


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """SpamAssassin's report for every sample, from one process for them all."""
    assert SPAMASSASSIN is not None and PERL is not None
    paths = []
    for sample in sorted(SAMPLES):
        folder = tmp_path_factory.mktemp(sample)
        path = folder / f"{sample}.eml"
        path.write_bytes(_render(folder, sample))
        paths.append(str(path))
    result = subprocess.run([PERL, "-e", CHECK, *paths], capture_output=True, timeout=300,
                            check=False)
    out = result.stdout.decode("utf-8", "replace")
    parts = re.split(r"^=== nudger-sample .*$", out, flags=re.M)[1:]
    assert len(parts) == len(SAMPLES), out[:2000] + result.stderr.decode("utf-8", "replace")
    return dict(zip(sorted(SAMPLES), parts, strict=True))


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_spamassassin_score(reports: dict[str, str], sample: str) -> None:
    report = reports[sample]
    found = re.search(r"X-Spam-Status: score=(-?\d+(?:\.\d+)?)", report)
    assert found, report[:2000]
    details = report.split("Content analysis details:", 1)[-1][:3000]
    assert float(found.group(1)) <= 0.5, details
