"""Digest buttons: each nudge's Done / Skip / Snooze 3 days is a mailto: to the command
address whose token authorises exactly that command; the text part keeps its long links at
the end; the footer tells what was done by mail since the last digest."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from nudger.mail.act.commands.handle import handle_message
from nudger.mail.act.commands.parse import parse_message
from nudger.mail.act.tokens import Grant, check, find_tokens, load_or_create_key
from nudger.store.models import DigestRecord
from nudger.when.business import Calendar
from tests.digest_helpers import DAY, NOW, add_app, compose, make_db, make_settings, parse, parts
from tests.mail.act.test_mail_commands import mail

IMAP = '\n[imap]\nhost = "127.0.0.1"\nusername = "alex@example.com"\n'


def world(tmp_path: Path, extra: str = IMAP):  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path, extra=extra)
    db = make_db(settings)
    add_app(db, "Acme", applied=DAY - timedelta(days=8),
            contacts=["Dana Lee <dana@acme.example>"])
    return settings, db


def mailtos(text: str) -> dict[int, str]:
    return {int(n): url for n, url in re.findall(r"^\[(\d+)\] (mailto:\S+)$", text, re.M)}


def test_every_nudge_has_three_buttons_that_authorise_exactly_themselves(
        tmp_path: Path) -> None:
    settings, db = world(tmp_path)
    text, html = parts(parse(compose(settings, db)))
    line = re.search(r"Tap to tell nudger: Done \[(\d+)\]  Skip \[(\d+)\]  "
                     r"Snooze 3 days \[(\d+)\]", text)
    assert line is not None, text
    links = mailtos(text)
    key = load_or_create_key(tmp_path)
    expected = ["done 1", "skip 1", "snooze 1 3 days"]
    for number, command in zip(line.groups(), expected, strict=True):
        url = urlsplit(links[int(number)])
        assert unquote(url.path) == "alex+nudger@example.com"
        query = parse_qs(url.query)
        assert query["subject"] == [f"nudger: {command}"]
        body = query["body"][0]
        assert body.startswith(command + "\r\n")
        verb, target, *args = command.split(" ", 2)
        grant = Grant.command(verb, target, args)
        assert check(key, find_tokens(body), [grant], DAY).ok
        assert not check(key, find_tokens(body), [Grant.command("stage", "1", ["rejected"])],
                         DAY).ok
        assert f'href="{links[int(number)].replace("&", "&amp;")}"' in html
    # No URL-encoded wall in the body of the text: every mailto is in the LINKS list.
    before_links = text.split("\nLINKS\n")[0]
    assert "mailto:" not in before_links and "%0D%0A" not in before_links
    assert ">Snooze 3 days</a>" in html and ">Done</a>" in html
    assert "REPLY WITH COMMANDS" in text
    # No reply key: a forward would carry it (issue 25). Tokens appear only inside the
    # buttons' own mailto links, each for its one command.
    assert "reply key" not in (text + html).lower()
    assert not re.search(r"nk[12]-", before_links)
    visible = re.sub(r"<[^>]+>", "", html)
    assert not re.search(r"nk[12]-", visible)


def test_without_imap_there_are_no_buttons(tmp_path: Path) -> None:
    settings, db = world(tmp_path, extra="")
    text, html = parts(parse(compose(settings, db)))
    assert "Tap to tell nudger" not in text and "nk1-" not in text + html
    assert "Open it ready to send: link [1] below" in text and mailtos(text)


def test_a_button_tap_is_a_command_and_the_next_digest_says_so(tmp_path: Path) -> None:
    settings, db = world(tmp_path)
    text, _html = parts(parse(compose(settings, db)))
    links = mailtos(text)
    number = re.search(r"Skip \[(\d+)\]", text).group(1)  # type: ignore[union-attr]
    query = parse_qs(urlsplit(links[int(number)]).query)
    tapped = mail(query["body"][0].replace("\r\n", "\n"), subject=query["subject"][0])
    assert [c.line for c in parse_message(tapped).commands] == ["skip 1"]
    key = load_or_create_key(tmp_path)
    with db.session() as s:  # yesterday's digest was sent before the tap
        s.add(DigestRecord(recipient="alex@example.com", local_date=DAY - timedelta(days=1),
                           message_id="<x@y>", state="sent",
                           sent_at=NOW - timedelta(days=1), created_at=NOW - timedelta(days=1),
                           updated_at=NOW - timedelta(days=1)))
    handled = handle_message(settings, db, Calendar.from_settings(settings), key, "k1",
                             tapped, today=DAY, now=NOW - timedelta(hours=2))
    assert handled is not None and handled.outcomes[0].ok
    next_day = DAY + timedelta(days=1)
    text, html = parts(parse(compose(settings, db, next_day,
                                     datetime(2026, 11, 25, 13, 30, tzinfo=UTC))))
    assert "Done by mail since the last digest:\n  - #1: skipped" in text
    assert "Done by mail since the last digest:" in html


def test_each_suggestion_found_in_mail_has_add_and_dismiss_buttons(tmp_path: Path) -> None:
    """FOUND IN YOUR MAIL: an open suggestion gets Add / Dismiss buttons whose tokens
    authorise exactly `accept S1` / `dismiss S1`, in the text part (as numbered links)
    and in the HTML part."""
    from nudger.mail.capture.suggestions import propose

    settings, db = world(tmp_path)
    with db.session() as session:
        made = propose(session, kind="application", fingerprint="fp-globex-seller",
                       summary="Globex: Seller (applied 2026-11-20)",
                       reason="sender greenhouse.io; 'Thank you for applying'",
                       confidence=0.9, payload={"company": "Globex", "role": "Seller"},
                       now=NOW)
        assert made is not None
        sid = made.id
    text, html = parts(parse(compose(settings, db)))
    section = text.split("FOUND IN YOUR MAIL", 1)[1].split("\n\n\n", 1)[0]
    line = re.search(r"Tap to tell nudger: Add \[(\d+)\]  Dismiss \[(\d+)\]", section)
    assert line is not None, section
    links = mailtos(text)
    key = load_or_create_key(tmp_path)
    for number, verb in zip(line.groups(), ("accept", "dismiss"), strict=True):
        body = parse_qs(urlsplit(links[int(number)]).query)["body"][0]
        assert body.startswith(f"{verb} S{sid}\r\n")
        assert check(key, find_tokens(body), [Grant.command(verb, f"S{sid}", [])], DAY).ok
        assert not check(key, find_tokens(body), [Grant.command(verb, f"S{sid + 1}", [])],
                         DAY).ok
        assert f'href="{links[int(number)].replace("&", "&amp;")}"' in html
    assert ">Add</a>" in html and ">Dismiss</a>" in html


def test_both_parts_say_the_same_commands_and_the_html_shows_no_backticks(
        tmp_path: Path) -> None:
    """The text and HTML parts list the same reply commands; the HTML shows a `command`
    as code, not literal backticks (issue 21, item 19)."""
    import html as html_lib

    settings, db = world(tmp_path)
    text, html = parts(parse(compose(settings, db)))
    # Each example in quotation marks: no line of a quoted digest reads as a command.
    in_text = re.findall(r'^  "(\S.*)"$', text.split("REPLY WITH COMMANDS", 1)[1]
                         .split("nudger carries them out", 1)[0], re.M)
    in_html = [html_lib.unescape(c) for c in re.findall(
        r"<li>&ldquo;<span[^>]*>([^<]+)</span>&rdquo;</li>",
        html.split("Reply with commands", 1)[1])]
    assert in_text == in_html and "log 12 call talked to Dana" in in_text
    visible = re.sub(r"<[^>]+>", "", html)
    assert "`" not in visible, [line for line in visible.splitlines() if "`" in line]
    assert "<code" in html  # the footer's `nudger mail sync`
    assert "break-all" not in html
