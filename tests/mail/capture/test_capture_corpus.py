"""Accuracy of the recogniser over the labelled corpus in tests/fixtures/mail/ (written by
build_corpus.py; every company made up). Run with -s to see the confusion table."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from email import message_from_bytes, policy
from functools import cache
from zoneinfo import ZoneInfo

from nudger.mail.capture.findings import Finding
from nudger.mail.capture.recognise import recognise_bytes
from tests.paths import FIXTURES

CORPUS = FIXTURES / "mail"
LABELS: dict[str, dict[str, str]] = json.loads((CORPUS / "labels.json").read_text("utf-8"))
KINDS = ("application", "rejection", "interview", "none")
ZONE = ZoneInfo("Europe/Berlin")


@cache
def run_corpus() -> dict[str, tuple[dict[str, str], Finding | None]]:
    out = {}
    for name, label in LABELS.items():
        found = recognise_bytes((CORPUS / name).read_bytes(), zone=ZONE)
        assert len(found) <= 1
        out[name] = (label, found[0] if found else None)
    return out


def confusion(results: dict[str, tuple[dict[str, str], Finding | None]]) -> Counter[
        tuple[str, str]]:
    return Counter((label["kind"], got.kind if got else "none")
                   for label, got in results.values())


def table(counts: Counter[tuple[str, str]]) -> str:
    lines = ["labelled \\ found  " + "".join(f"{k:>12}" for k in KINDS)]
    for want in KINDS:
        lines.append(f"{want:<17} " + "".join(f"{counts[(want, got)]:>12}" for got in KINDS))
    return "\n".join(lines)


def scores(results: dict[str, tuple[dict[str, str], Finding | None]], kind: str
           ) -> tuple[float, float, float]:
    """precision, recall, and the share of true positives with company and role exact."""
    found = [(label, got) for label, got in results.values() if got and got.kind == kind]
    labelled = [(label, got) for label, got in results.values() if label["kind"] == kind]
    true = [(label, got) for label, got in found if label["kind"] == kind]
    exact = [1 for label, got in true
             if got and got.company == label["company"] and got.role == label["role"]]
    precision = len(true) / len(found) if found else 1.0
    recall = len(true) / len(labelled) if labelled else 1.0
    return precision, recall, (len(exact) / len(true) if true else 1.0)


def test_corpus_is_big_and_varied() -> None:
    assert len(LABELS) >= 80
    kinds = Counter(label["kind"] for label in LABELS.values())
    assert kinds["application"] >= 25 and kinds["rejection"] >= 10 and \
        kinds["interview"] >= 10 and kinds["none"] >= 20
    shapes: Counter[str] = Counter()
    for name in LABELS:
        raw = (CORPUS / name).read_bytes()
        msg = message_from_bytes(raw, policy=policy.default)
        types = {p.get_content_type() for p in msg.walk()}
        shapes["multipart"] += msg.is_multipart()
        shapes["html-only"] += types == {"text/html"}
        shapes["quoted-printable"] += b"quoted-printable" in raw
        shapes["base64"] += b"Content-Transfer-Encoding: base64" in raw
        shapes["non-ascii"] += any(ord(c) > 127 for c in str(msg.get_body(
            ("plain", "html")).get_content()))  # type: ignore[union-attr]
        shapes["tracking link"] += b"click?upn" in raw or b"trackingId" in raw
    assert all(shapes[k] >= 3 for k in ("multipart", "html-only", "quoted-printable",
                                        "base64", "non-ascii")), shapes
    assert shapes["tracking link"] >= 2


def test_accuracy() -> None:
    results = run_corpus()
    print("\n" + table(confusion(results)))
    misses = [f"{name}: want {label}, got {got.as_json() if got else None}"
              for name, (label, got) in results.items()
              if (got.kind if got else "none") != label["kind"]
              or (got and (got.company, got.role) != (label["company"], label["role"]))]
    print("\n".join(misses))
    for kind, (p_min, r_min) in {"application": (0.95, 0.90), "rejection": (0.90, 0.85),
                                 "interview": (0.90, 0.85)}.items():
        precision, recall, exact = scores(results, kind)
        print(f"{kind}: precision {precision:.2f} recall {recall:.2f} exact {exact:.2f}")
        assert precision >= p_min, kind
        assert recall >= r_min, kind
        assert exact >= 0.90, kind


def test_interview_times_only_when_unambiguous() -> None:
    results = run_corpus()
    expected = {
        "int_person_datetime.eml": datetime(2026, 10, 13, 12, 0, tzinfo=UTC),  # 14:00 CEST
        "int_ashby.eml": datetime(2026, 10, 20, 16, 30, tzinfo=UTC),
        "int_de.eml": datetime(2026, 11, 4, 9, 0, tzinfo=UTC),               # 10:00 MEZ
        "int_es.eml": datetime(2026, 11, 12, 10, 0, tzinfo=UTC),             # 11:00 CET
        "held_int_person.eml": datetime(2026, 11, 19, 20, 0, tzinfo=UTC),    # 3:00 PM EST
    }
    for name, (label, got) in results.items():
        if label["kind"] != "interview":
            continue
        assert got is not None
        # Two proposed slots, "next week", a scheduling link: no time is made up.
        assert got.interview_at == expected.get(name), name


def test_applied_date_is_the_mails_local_date() -> None:
    raw = (CORPUS / "app_greenhouse.eml").read_bytes()
    sent = message_from_bytes(raw)["Date"]
    [finding] = recognise_bytes(raw, zone=ZONE)
    [late] = recognise_bytes(raw.replace(sent.encode(), b"Tue, 01 Sep 2026 23:30:00 +0000"),
                             zone=ZONE)
    assert late.on is not None and late.on.isoformat() == "2026-09-02"  # Berlin: 01:30 next day
    [utc] = recognise_bytes(raw.replace(sent.encode(), b"Tue, 01 Sep 2026 23:30:00 +0000"),
                            zone=ZoneInfo("America/New_York"))
    assert utc.on is not None and utc.on.isoformat() == "2026-09-01"
    assert finding.source == "Greenhouse"
    assert finding.url == "https://boards.greenhouse.io/acmerobotics/jobs/4821337"


def test_explains_itself() -> None:
    for name, (_label, got) in run_corpus().items():
        if got is None:
            continue
        assert "from " in got.why and "phrase" in got.why, name
        assert 0 < got.confidence < 1


def test_tracking_links_are_read_not_followed() -> None:
    [found] = recognise_bytes((CORPUS / "app_smartrecruiters.eml").read_bytes(), zone=ZONE)
    assert found.url == "https://jobs.smartrecruiters.com/TailspinToys/743999912345"
