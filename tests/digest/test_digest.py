"""The digest end to end: a real SQLite file → compose_digest → the message parsed back
with the `email` package."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from nudger.digest.render import SOCIAL_LIMIT
from nudger.track import tracker
from tests.digest_helpers import DAY, NOW, add_app, compose, make_db, make_settings, parse, parts


def _mailtos(html: str) -> list[str]:
    import html as htmlmod

    return [htmlmod.unescape(m) for m in re.findall(r'href="(mailto:[^"]*)"', html)]


def _decode_mailto(url: str) -> tuple[str, str, str]:
    split = urlsplit(url)
    query = parse_qs(split.query, keep_blank_values=True)
    return unquote(split.path), query["subject"][0], query["body"][0]


def test_empty_day(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    db = make_db(settings)
    composed = compose(settings, db)
    msg = parse(composed)
    assert composed.nudges == 0
    assert msg["Subject"] == "Nothing due today"
    text, html = parts(msg)
    assert "Nothing is due today" in text and "Nothing is due today" in html
    assert "Tracking 0 applications" in text
    assert "Next digest: Wednesday 25 November at 07:30 (America/Chicago)" in text


def test_one_nudge_structure_headers_and_mailto(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    db = make_db(settings)
    app_id = add_app(db, "Acme", applied=DAY - timedelta(days=5),
                     contacts=["Dana Lee <dana@acme.example>"])
    composed = compose(settings, db)
    msg = parse(composed)
    assert composed.nudges == 1
    assert msg.get_content_type() == "multipart/alternative"
    kinds = [p.get_content_type() for p in msg.iter_parts()]
    assert kinds == ["text/plain", "text/html"]  # text first, HTML second
    assert msg["Subject"] == "1 follow-up today: Acme"
    assert msg["From"].addresses[0].addr_spec == "alex@example.com"
    assert msg["To"].addresses[0].display_name == "Alex Rivera"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Message-ID"] == composed.message_id
    assert msg["Date"].datetime == NOW
    text, html = parts(msg)
    assert text == composed.text and html == composed.html
    # The nudge: application, step, days, contact, command, in both parts.
    for part in (text, html):
        assert "follow-up 1 of 5: email" in part
        assert "Dana Lee" in part
        assert f"nudger done {app_id}" in part
        assert "5 days ago" in part
    # The mailto link decodes back to the draft exactly, with CRLF line breaks.
    (link,) = _mailtos(html)
    assert "%0D%0A" in link and " " not in link and "\n" not in link
    to, subject, body = _decode_mailto(link)
    assert to == "dana@acme.example"
    assert subject == "Account Executive at Acme: when are interviews?"
    assert "Hi Dana," in body and "when" in body.lower()
    # The text part shows the draft wrapped at 80 columns (the link keeps it exact) ...
    assert " ".join(body.split()) in " ".join(text.split())
    assert body.count("\r\n") == body.count("\n")
    # ... and lists the link once, as a numbered reference at the end of the part.
    assert f"\n[1] {link}\n" in text and "link [1] below" in text


def test_fifty_nudges(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    db = make_db(settings)
    for i in range(50):
        add_app(db, f"Company {i:02d}", applied=DAY - timedelta(days=5 + i % 3),
                contacts=[f"Person {i} <p{i}@c{i}.example>"])
    composed = compose(settings, db)
    assert composed.nudges == 50
    msg = parse(composed)
    assert msg["Subject"].startswith("50 follow-ups today: ")
    assert msg["Subject"].endswith(" and 47 more")
    text, html = parts(msg)
    assert text.count("nudger done ") == 50
    assert html.count("nudger done ") == 50
    # The most urgent in full with a draft, the rest one line each (nudger.digest).
    from nudger.digest.compose import FULL_NUDGES

    assert len(_mailtos(html)) == FULL_NUDGES
    for line in msg.as_bytes().split(b"\n"):
        assert len(line) <= 998


def test_non_ascii_names(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, name="Zoë Ångström-Łukasiewicz",
                             pitch="J'aide les équipes à vendre plus — 日本語も話せます.")
    db = make_db(settings)
    add_app(db, "Société Générale", "Chargé d'affaires",
            contacts=["Renée Ødegård <renee@sg.example>"])
    composed = compose(settings, db)
    raw = composed.message.as_bytes()
    headers = raw.split(b"\n\n", 1)[0]
    headers.decode("ascii")  # RFC 2047: no raw 8-bit bytes in the headers
    msg = parse(composed)
    assert msg["To"].addresses[0].display_name == "Zoë Ångström-Łukasiewicz"
    assert msg["Subject"] == "1 follow-up today: Société Générale"
    text, html = parts(msg)
    assert "Hi Renée," in text and "Hi Renée," in html
    assert "日本語も話せます" in text and "日本語も話せます" in html
    (link,) = _mailtos(html)
    assert "Renée" in _decode_mailto(link)[2]


HOSTILE = "<script>alert(1)</script>"


def test_hostile_values_escaped_everywhere(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, name="Eve <b>bold</b>", pitch=f"pitch {HOSTILE}")
    db = make_db(settings)
    add_app(db, HOSTILE, f"role {HOSTILE}", url="javascript:alert(1)",
            location=f"loc {HOSTILE}", address=f"addr {HOSTILE}", source=HOSTILE,
            notes=HOSTILE,
            contacts=[tracker.ContactSpec(name=f"x{HOSTILE}", email="x@evil.example",
                                          phone=HOSTILE, social=HOSTILE)],
            touches=[("email", DAY - timedelta(days=3), f"note {HOSTILE}", 1)])
    # A second one whose next step is a visit plan uses address and every contact field.
    add_app(db, f"visit {HOSTILE}", applied=DAY - timedelta(days=30),
            address=f"addr {HOSTILE}",
            touches=[("email", DAY - timedelta(days=20), HOSTILE, 1),
                     ("call", DAY - timedelta(days=18), HOSTILE, 2),
                     ("social", DAY - timedelta(days=15), HOSTILE, 3),
                     ("network", DAY - timedelta(days=10), HOSTILE, 4)])
    composed = compose(settings, db, notices=[f"notice {HOSTILE}"])
    msg = parse(composed)
    text, html = parts(msg)
    assert "<script>" not in html and "<b>bold" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html.lower()
    assert "javascript:alert(1)" not in re.findall(r'href="([^"]*)"', html)
    assert HOSTILE in text  # the text part shows it as written
    assert "\n" not in msg["Subject"] and "<script>" in msg["Subject"]  # text, not HTML
    assert f"notice {HOSTILE}" in text and "notice &lt;script&gt;" in html
    assert "follow-up 5 of 5: visit" in text and f"addr {HOSTILE}" in text
    assert "addr &lt;script&gt;" in html and "note &lt;script&gt;" in html


def test_header_values_cannot_inject(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    db = make_db(settings)
    add_app(db, "Acme")
    # The tracker refuses line breaks; a row written around it must still not reach a
    # header as one.
    from sqlalchemy import text

    with db.session() as s:
        s.execute(text("UPDATE application SET company = 'Evil\r\nBcc: victim@example.com'"))
    msg = parse(compose(settings, db))
    assert msg["Bcc"] is None
    assert msg["Subject"] == "1 follow-up today: Evil Bcc: victim@example.com"


def test_social_post_fits_280(tmp_path: Path) -> None:
    long_pitch = ("I turn quiet territories into growing ones by visiting every account " * 8)
    settings = make_settings(tmp_path, pitch=long_pitch.strip())
    db = make_db(settings)
    add_app(db, "Globex", applied=DAY - timedelta(days=20),
            contacts=[tracker.ContactSpec(name="Hank Scorpio", email="hank@globex.example",
                                          social="https://x.com/globexcorp")],
            touches=[("email", DAY - timedelta(days=12), "sent", 1),
                     ("call", DAY - timedelta(days=9), "voicemail", 2)])
    composed = compose(settings, db)
    text, _html = parts(parse(composed))
    assert "follow-up 3 of 5: social" in text
    body = text.split("follow-up 3 of 5: social", 1)[1].split("characters)", 1)[0]
    post = [ln.strip() for ln in body.splitlines() if ln.strip().startswith("@globexcorp")]
    assert post, body
    assert len(post[0]) <= SOCIAL_LIMIT and post[0].endswith("…")
    assert f"{len(post[0])} of {SOCIAL_LIMIT} characters" in text
    assert "When are you meeting candidates?" in post[0]


EFFORT_ON_DAY = '\n[digest]\neffort_day = "tue"\n'  # DAY is a Tuesday


def test_sections_cold_interviews_effort(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, extra=EFFORT_ON_DAY)
    db = make_db(settings)
    cold = add_app(db, "Initech", applied=DAY - timedelta(days=60))
    talk = add_app(db, "Umbrella", applied=DAY - timedelta(days=10),
                   contacts=["Alice Wong <alice@umbrella.example>"],
                   touches=[("email", DAY - timedelta(days=1), "asked", 1)])
    with db.session() as s:
        tracker.change_stage(s, talk, "interviewing", DAY - timedelta(days=1),
                             interview_at=datetime(2026, 11, 26, 20, 0, tzinfo=UTC),
                             now=datetime.now(UTC))
    text, html = parts(parse(compose(settings, db)))
    for part in (text, html):
        assert f"nudger stage {cold} ghosted" in part
        assert "Thu 26 Nov, 14:00" in part  # the interview, in Chicago time
        assert "with Alice Wong" in part
    assert "OVERDUE" in text and "GOING COLD" in text and "UPCOMING INTERVIEWS" in text
    # On digest.effort_day: the seven days before the digest's day.
    assert "THIS WEEK'S EFFORT (2026-11-17 to 2026-11-23)" in text
    # One follow-up (the email on Monday), one reply (interviewing) after that email.
    assert re.search(r"Follow-ups done: 1 \(steps due: \d+\); replies: 1", text)
    assert re.search(r"email +#+ 1 \(1 reply\)", text)
    assert "This week&#39;s effort" in html or "This week's effort" in html
    assert "Streak:" in text and "Streak:" in html
    # The chart is table cells (widths in percent, to fit a phone): no scripts, no images.
    assert re.search(r'width="\d+%"[^>]*><tr><td height="12" bgcolor="#0b69a3"', html)
    assert "<script" not in html and "<img" not in html


def test_effort_only_on_the_effort_day(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)  # effort_day = "mon"; DAY is a Tuesday
    db = make_db(settings)
    add_app(db, "Acme", touches=[("email", DAY - timedelta(days=1), "asked", 1)])
    text, html = parts(parse(compose(settings, db)))
    assert "THIS WEEK'S EFFORT" not in text and "effort" not in html


def test_each_compose_has_a_fresh_message_id(tmp_path: Path) -> None:
    """Composing is not recording: the Message-ID that counts is the one the outbox stored
    when it recorded the day (tests/send/test_outbox.py); a preview gets a new random one."""
    settings = make_settings(tmp_path)
    db = make_db(settings)
    add_app(db, "Acme")
    first = compose(settings, db)
    again = compose(settings, db, now=NOW + timedelta(hours=3))
    assert first.message_id != again.message_id
    assert first.message_id.startswith(f"<nudger-digest.{DAY.isoformat()}.")
    assert parse(first)["Message-ID"] == first.message_id


def test_notices_in_both_parts(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    db = make_db(settings)
    notice = "The digest of 2026-11-23 was not delivered: 550 mailbox unavailable"
    text, html = parts(parse(compose(settings, db, notices=[notice])))
    assert notice in text and notice in html


@pytest.mark.parametrize("action", ["call", "visit", "network", "pitch", "thank-you",
                                    "apply"])
def test_every_draft_renders_with_and_without_optional_values(
        tmp_path: Path, action: str) -> None:
    extra = f"""
[[cadence]]
stage = "applied"
steps = [{{ wait = "1 day", action = "{action}" }}]
"""
    settings = make_settings(tmp_path, extra=extra)
    db = make_db(settings)
    full = add_app(db, "Full Co", contacts=[
        tracker.ContactSpec(name="Sam Mutual", email="sam@x.example", kind="mutual"),
        tracker.ContactSpec(name="Dana Boss", email="dana@x.example", phone="+1 555 0100")],
        address="1 Main St, Chicago", url="https://full.example/job")
    bare = add_app(db, "Bare Co")
    text, _html = parts(parse(compose(settings, db)))
    assert f"nudger done {full}" in text and f"nudger done {bare}" in text
    text = " ".join(text.split())  # the text part wraps drafts at 80 columns
    if action == "call":
        assert "Call Dana Boss at +1 555 0100" in text and "VOICEMAIL" in text
        voicemail = text.split("VOICEMAIL (about 20 seconds)", 1)[1].split('"')[1]
        assert len(voicemail.split()) <= 55  # ~20 seconds spoken
    if action == "visit":
        assert "1 Main St, Chicago" in text and "Dana Boss, hiring manager" in text
    if action == "network":
        assert "Hi Sam," in text  # the mutual connection, not the hiring manager
    if action == "thank-you":
        assert "Hi Dana," in text and "Hi [interviewer's name]," in text
    if action == "pitch":
        assert "I grow distributor accounts." in text


def _words(text: str) -> set[str]:
    # The text part's numbered links ("[1]", and the LINKS list at its end) stand for the
    # HTML's link targets: not words of the content.
    text = re.sub(r"\nLINKS\n=+\n(\[\d+\] \S+\n)*", "\n", text)
    out = set()
    for token in text.split():
        if token.startswith("mailto:") or set(token) <= set("#=-!") \
                or re.fullmatch(r"\[\d+\]", token):
            continue
        word = token.strip(".,;:()\"'!?").casefold()
        if word:
            out.add(word)
    return out


def test_html_says_what_the_text_says(tmp_path: Path) -> None:
    import html as htmlmod

    settings = make_settings(tmp_path, extra=EFFORT_ON_DAY)
    db = make_db(settings)
    base = DAY - timedelta(days=40)
    for n in range(5):  # one application at each step: email, call, social, network, visit
        touches = [(a, base + timedelta(days=3 * i + 1), f"note {i}", i + 1)
                   for i, a in enumerate(["email", "call", "social", "network"][:n])]
        add_app(db, f"Step{n} Co", applied=base, touches=touches, address="1 Main St",
                contacts=[tracker.ContactSpec(name="Sam Lee", email="sam@x.example",
                                              phone="+1 555 0101", social="@samlee",
                                              kind="mutual" if n == 3 else "hiring-manager")])
    add_app(db, "Fresh Co")
    composed = compose(settings, db, notices=["Yesterday's digest was not delivered"])
    visible = re.sub(r"<title>.*?</title>", " ", composed.html, flags=re.S)
    visible = htmlmod.unescape(re.sub(r"<[^>]+>", " ", visible))
    # The text part's numbered references stand for the HTML part's buttons.
    text = re.sub(r"link \[\d+\] below", " ", composed.text)
    text = re.sub(r"\nLINKS\n=+\n(\[\d+\] \S+\n)+", "\n", text)
    words = _words(text)
    assert len(words) > 200 and {"voicemail", "bring", "@samlee", "streak"} <= words
    assert _words(visible) == words


def test_preview_of_another_day_sees_interviews_from_that_day(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    db = make_db(settings)
    app = add_app(db, "Umbrella")
    with db.session() as s:
        tracker.change_stage(s, app, "interviewing", DAY,
                             interview_at=datetime(2026, 12, 12, 16, 0, tzinfo=UTC),
                             now=datetime.now(UTC))
    # 18 days ahead of NOW: beyond the two-week horizon today, inside it a week later.
    assert "UPCOMING INTERVIEWS" not in compose(settings, db).text
    later = compose(settings, db, day=DAY + timedelta(days=7))
    assert "Sat 12 Dec, 10:00  Umbrella: Account Executive" in later.text


def test_email_after_an_interview_asks_about_next_steps(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    db = make_db(settings)
    app = add_app(db, "Initech", applied=DAY - timedelta(days=30),
                  contacts=["Bill Lumbergh <bill@initech.example>"])
    with db.session() as s:
        tracker.change_stage(s, app, "interviewing", DAY - timedelta(days=14),
                             interview_at=datetime(2026, 11, 10, 15, 0, tzinfo=UTC),
                             now=datetime.now(UTC))
        tracker.log_touch(s, app, "thank-you", DAY - timedelta(days=13), note="sent", step=1,
                          now=datetime.now(UTC))
    composed = compose(settings, db)
    assert "follow-up 2 of 3: email" in composed.text
    (link,) = _mailtos(composed.html)
    _to, subject, body = _decode_mailto(link)
    assert subject == "Account Executive at Initech: next steps?"
    assert "Where does the process stand" in body
    assert "on Tue 10 Nov, 09:00" in body  # the interview, in Chicago time
    assert "When are you holding interviews" not in body
