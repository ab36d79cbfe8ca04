"""Issue 25: nothing a mailbox holds stops the mailbox pass or the digest.

Each test is one class of hostile input: a message that cannot be handled is skipped with
its reason (shown by `status` and the digest footer) while the pass goes on; every date
read from mail is held to the one supported range; no stored row stops the digest."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from tests.conftest import BASE_CONFIG, Home, imap_config, rows
from tests.mail.imap.test_mail_sync import PASSWORD, mail, setup

EAST = BASE_CONFIG.replace('timezone = "America/Chicago"', 'timezone = "Pacific/Kiritimati"')


class Down:
    """An [imap] table whose server is never reached (the rows are written directly)."""

    host = "127.0.0.1"
    port = 9  # discard: nothing listens


# --- stored rows never stop the digest ---------------------------------------------------

@pytest.mark.parametrize("zone_config", [BASE_CONFIG, EAST], ids=["west", "east"])
@pytest.mark.parametrize("stamp", ["9999-12-31 23:59:59.000000", "0001-01-01 00:00:00.000000",
                                   "9500-06-01 12:00:00.000000"])
def test_no_stored_mail_row_stops_the_digest(home: Home, monkeypatch: Any, tmp_path: Any,
                                             zone_config: str, stamp: str) -> None:
    monkeypatch.setenv("NUDGER_IMAP_PASSWORD", PASSWORD)
    home.write_config(imap_config(Down()).replace(BASE_CONFIG, zone_config))
    home.ok("add", "Fabrikam", "AE", "--applied", "2026-11-16",
            "--contact", "Priya Nair <priya@fabrikam.com>")
    con = sqlite3.connect(home.db_path)
    with con:
        con.execute(
            "INSERT INTO mailmessage (key, message_id, direction, kind, folder, date, "
            "from_addr, from_name, to_addrs, subject, snippet, application_id, created_at) "
            "VALUES ('r@x', 'r@x', 'in', 'reply', 'INBOX', ?, 'priya@fabrikam.com', '', "
            "'alex@example.com', 'Re: AE', 'hello', 1, ?)", (stamp, stamp))
        mid = con.execute("SELECT id FROM mailmessage").fetchone()[0]
        con.execute("UPDATE application SET paused_since = ?, paused_by = ?", (stamp, mid))
        con.execute("UPDATE contact SET bounced_at = ?, bounce_detail = 'gone'", (stamp,))
        con.execute("INSERT INTO mailsync (account, last_attempt_at, last_ok_at, last_error, "
                    "failures) VALUES ('alex@example.com@127.0.0.1:9', ?, ?, '', 0)",
                    (stamp, stamp))
    con.close()
    for args in (("digest", "--date", "2026-11-30"), ("digest",), ("show", "1"),
                 ("status",), ("list",), ("due",), ("show", "1", "--json"),
                 ("status", "--json")):
        result = home.run(*args)
        assert result.code == 0, (args, result.err)
        assert "Traceback" not in result.err
    text = home.ok("digest", "--date", "2026-11-30")
    assert "Fabrikam" in text
    out = tmp_path / "mail"
    home.write_config(imap_config(Down()).replace(BASE_CONFIG, zone_config)
                      + f'\n[delivery]\nmethod = "maildir"\nmaildir = "{out}"\n')
    assert home.run("digest", "--send", "--date", "2026-11-30").code == 0


# --- one message never stops the mailbox pass -----------------------------------------------

def _exotic(charset: str, mid: str) -> bytes:
    return (f"From: Priya Nair <priya@fabrikam.com>\r\nTo: alex@example.com\r\n"
            f"Subject: Re: AE ({charset})\r\nDate: Mon, 23 Nov 2026 09:30:00 -0600\r\n"
            f"Message-ID: <{mid}>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset={charset}\r\n\r\nhello \xe9\r\n"
            ).encode("latin-1")


def _nested(depth: int) -> bytes:
    head = ("From: Alex Rivera <alex@example.com>\r\nTo: alex@example.com\r\n"
            "Subject: nudger: done 1\r\nDate: Mon, 23 Nov 2026 09:00:00 -0600\r\n"
            "Message-ID: <deep@x.test>\r\nMIME-Version: 1.0\r\n")
    body = "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'
                   for i in range(depth))
    return (head + body + "Content-Type: text/plain\r\n\r\ndone 1\r\n").encode()


def _parens(count: int) -> bytes:
    return ("From: Alex Rivera <alex@example.com>\r\nTo: alex@example.com\r\n"
            f"Cc: {'(' * count}\r\nSubject: nudger: done 1\r\n"
            "Date: Mon, 23 Nov 2026 09:00:00 -0600\r\nMessage-ID: <parens@x.test>\r\n"
            "\r\ndone 1\r\n").encode()


def test_a_message_that_cannot_be_handled_is_skipped_and_the_pass_goes_on(
        home: Home, dovecot: Any, monkeypatch: Any, tmp_path: Any) -> None:
    setup(home, dovecot, monkeypatch)
    # Sent mail dated 9500 (out of range: the server's INTERNALDATE is used instead).
    dovecot.append("Sent", mail("alex@example.com", "priya@fabrikam.com", "Following up",
                                "f-9500@example.com", date="Mon, 1 Jan 9500 10:00:00 +0000"))
    for number, charset in enumerate(("idna", "undefined", "punycode")):
        dovecot.append("INBOX", _exotic(charset, f"cs{number}@fabrikam.com"))
    dovecot.append("INBOX", _nested(2000))
    dovecot.append("INBOX", _parens(2000))
    dovecot.append("INBOX", mail("priya@fabrikam.com", "alex@example.com", "Dated 9999",
                                 "r9999@fabrikam.com", date="Fri, 31 Dec 9999 23:59:59 -1200"))
    # The reply that arrives after them all is recorded.
    dovecot.append("INBOX", mail("priya@fabrikam.com", "alex@example.com", "Re: AE, Thursday?",
                                 "after@fabrikam.com", date="Tue, 24 Nov 2026 09:30:00 -0600"))
    result = home.run("mail", "sync")
    assert result.code == 0, result.err
    assert "Traceback" not in result.err + result.out
    recorded = dict(rows(home, "SELECT key, kind FROM mailmessage"))
    assert recorded["after@fabrikam.com"] == "reply"
    assert recorded["f-9500@example.com"] == "followup"
    assert recorded["r9999@fabrikam.com"] == "reply"
    # No date outside the supported range was stored.
    years = [int(d[:4]) for (d,) in rows(home, "SELECT date FROM mailmessage")]
    assert all(1900 <= y <= 9000 for y in years), years
    # The folder positions went past every message: a second pass reads nothing again.
    again = home.ok("mail", "sync")
    assert "INBOX: 0 new message(s) read" in again
    # The one that exhausts the parser's stack is skipped, with the reason, once; the Cc
    # of 2,000 "(" no longer breaks anything: without a token it is refused unparsed.
    assert recorded["deep@x.test"] == "skipped"
    assert "parens@x.test" not in recorded
    reasons = rows(home, "SELECT snippet FROM mailmessage WHERE kind = 'skipped'")
    assert len(reasons) == 1 and reasons[0][0].startswith("RecursionError"), reasons
    assert "could not be handled, skipped: RecursionError" in result.out
    status = home.ok("status")
    assert "skipped mail: 1 message(s)" in status and "problems:     none" not in status
    assert "INBOX: nudger: done 1 from alex@example.com: RecursionError" in status
    digest = home.ok("digest")
    assert "1 message(s) could not be handled and were skipped" in digest


# --- capture: a date out of range is no date, never the end of the run ------------------------

@pytest.mark.parametrize("date", ["Fri, 31 Dec 9999 23:59:59 -1200",
                                  "Mon, 01 Jan 9500 10:00:00 +0000",
                                  "Sat, 01 Jan 0001 00:00:00 +1400"])
def test_capture_skips_no_message_for_its_date_and_adds_the_rest(home: Home, tmp_path: Any,
                                                                 date: str) -> None:
    from tests.mail.capture.test_capture_command import CORPUS, POSTMARK

    greenhouse = (CORPUS / "app_greenhouse.eml").read_bytes()
    bad = greenhouse.replace(b"Date: Tue, 01 Sep 2026 09:17:00 +0200", f"Date: {date}".encode())
    assert bad != greenhouse
    lever = (CORPUS / "app_lever.eml").read_bytes()
    box = tmp_path / "All.mbox"
    box.write_bytes(POSTMARK + bad.rstrip(b"\n") + b"\n\n" + POSTMARK + lever.rstrip(b"\n")
                    + b"\n\n")
    for args in (("capture", str(box), "--dry-run"), ("capture", str(box), "--add")):
        result = home.run(*args)
        assert result.code == 0, (args, result.err)
        assert "Traceback" not in result.err
    companies = [c for (c,) in rows(home, "SELECT company FROM application ORDER BY id")]
    assert companies == ["Acme Robotics", "Northwind Labs"]
    for args in (("list",), ("show", "1"), ("digest",)):
        assert home.run(*args).code == 0, args


def test_capture_add_keeps_a_proposal_it_cannot_apply_as_a_suggestion(db: Any) -> None:
    """Whatever makes one proposal impossible to apply (here a date past the supported
    range, as a hand-made proposal can carry), --add reports it, keeps it as an open
    suggestion and adds the others."""
    from datetime import UTC, date, datetime

    from nudger.mail.capture.scan import Proposal
    from nudger.mail.capture.store import record

    proposals = [Proposal("application", "Bad Date Inc", "AE", applied_on=date(9500, 1, 1)),
                 Proposal("application", "Good Co", "AE", applied_on=date(2026, 11, 2))]
    with db.session() as s:
        lines = record(s, proposals, mode="add", today=date(2026, 11, 30),
                       now=datetime(2026, 11, 30, 12, tzinfo=UTC), source_label="test")
    assert any("Bad Date Inc" in line and "not added" in line and "9500-01-01" in line
               for line in lines), lines
    with db.read_session() as s:
        from sqlmodel import select

        from nudger.store.models import Application, Suggestion

        assert [a.company for a in s.exec(select(Application)).all()] == ["Good Co"]
        assert [(x.status, "Bad Date" in x.summary) for x in s.exec(
            select(Suggestion).order_by(Suggestion.id)).all()] == [("open", True),
                                                                   ("accepted", False)]


# --- strict From for commands; the user's server's Authentication-Results ----------------------

LOOK_ALIKES = [
    "alex@example.com <evil@x.test>",
    "alex@example.com)<evil@x.test>",
    "<@x.test:evil@x.test>",
    "<@example.com:alex@example.com>",
    "alex@example.com;evil@x.test",
    "=?utf-8?q?alex=40example=2Ecom?=",
    "=?utf-8?q?alex=40example=2Ecom?= <evil@x.test>",
    "(alex@example.com) evil@x.test",
    "alex@example.com (Alex) <evil@x.test>",
    "Alex <alex@example.com>, <alex@example.com>",
    "Alex <alex@example.com",
]


@pytest.mark.parametrize("sender", LOOK_ALIKES)
def test_a_from_that_is_not_plainly_the_owner_never_commands(
        tmp_path: Any, caplog: pytest.LogCaptureFixture, sender: str) -> None:
    from tests.mail.act.test_mail_commands import World, refused, reply

    world = World(tmp_path)
    refused(world, reply("stage 1 rejected", sender=sender), "From", caplog)


@pytest.mark.parametrize("sender", ["Alex Rivera <alex@example.com>", "alex@example.com",
                                    "\"Rivera, Alex\" <Alex@Example.com>",
                                    "Alex R. Rivera <alex@example.com>",
                                    "\"alex@example.com\" <alex@example.com>",
                                    "=?utf-8?q?Alex_R=C3=ADvera?= <alex@example.com>"])
def test_the_owners_own_from_shapes_still_command(tmp_path: Any, sender: str) -> None:
    from tests.mail.act.test_mail_commands import World, reply

    world = World(tmp_path)
    handled = world.handle(reply("done 12", sender=sender))
    assert handled is not None and handled.status == "done", handled


def _with_authserv(world: Any, value: str = "mx.example.com") -> None:
    world.settings = world.settings.model_copy(update={
        "mailbox": world.settings.mailbox.model_copy(update={"authserv_id": value})})


@pytest.mark.parametrize("results", [
    "mx.example.com; compauth=fail reason=001",
    "mx.example.com; dmarc=softfail header.from=example.com",
    "mx.example.com; dmarc=none header.from=example.com",
    "mx.example.com; spf=softfail smtp.mailfrom=example.com",
    "mx.example.com; dkim=none",
    "mx.example.com; dkim=pass header.d=x.test; spf=pass smtp.mailfrom=x.test",
    "mx.example.com; dmarc=pass header.from=x.test",
    "other.example.net; dmarc=pass header.from=example.com",  # not the user's server
])
def test_with_an_authserv_id_only_an_aligned_pass_of_that_server_commands(
        tmp_path: Any, caplog: pytest.LogCaptureFixture, results: str) -> None:
    from tests.mail.act.test_mail_commands import World, refused, reply

    world = World(tmp_path)
    _with_authserv(world)
    msg = reply("done 12", headers=(f"Authentication-Results: {results}",))
    refused(world, msg, "your server", caplog)


@pytest.mark.parametrize("results", [
    "mx.example.com; dkim=pass header.d=example.com; spf=pass smtp.mailfrom=example.com; "
    "dmarc=pass header.from=example.com",
    "MX.example.com; dkim=pass header.i=@mail.example.com",
    "mx.example.com; spf=pass smtp.mailfrom=alex@example.com; dmarc=none",
])
def test_with_an_authserv_id_its_aligned_pass_commands(tmp_path: Any, results: str) -> None:
    from tests.mail.act.test_mail_commands import World, reply

    world = World(tmp_path)
    _with_authserv(world)
    # A sender-added header below the server's changes nothing.
    msg = reply("done 12", headers=(
        f"Authentication-Results: {results}",
        "Authentication-Results: mx.example.com; dmarc=pass header.from=example.com"))
    handled = world.handle(msg)
    assert handled is not None and handled.status == "done", handled


def test_check_imap_says_which_rule_applies_and_who_stamps(home: Home, dovecot: Any,
                                                            monkeypatch: Any) -> None:
    monkeypatch.setenv("NUDGER_IMAP_PASSWORD", PASSWORD)
    home.write_config(imap_config(dovecot))
    for n in range(3):
        dovecot.append("INBOX", mail(f"p{n}@fabrikam.com", "alex@example.com", "hi",
                                     f"ar{n}@fabrikam.com", extra=(
                                         "Authentication-Results: mx.example.com; dmarc=pass"
                                         "\r\nAuthentication-Results: forged.test; "
                                         "dkim=pass\r\n")))
    out = home.ok("check", "--imap")
    assert "command mail: a reply to a recent digest (its Message-ID) or a button, and " \
        "exactly your From" in out
    assert "Authentication-Results on your newest mail: mx.example.com on 3 of 3" in out
    assert 'set [mailbox] authserv_id = "mx.example.com"' in out
    home.write_config(imap_config(dovecot, mailbox='authserv_id = "mx.example.com"'))
    out = home.ok("check", "--imap")
    assert "your server's Authentication-Results (mx.example.com) must pass" in out
    assert "warning: mailbox.authserv_id" not in out
    home.write_config(imap_config(dovecot, mailbox='authserv_id = "mx.other.test"'))
    out = home.ok("check", "--imap")
    assert "warning: mailbox.authserv_id 'mx.other.test' is on none of them" in out


# --- UIDs: only ones actually fetched become the folder's position ----------------------------

@pytest.mark.parametrize("lies", [("uidnext",), ("search",), ("uidnext", "search")])
def test_a_lying_uidnext_or_search_never_loses_a_later_reply(home: Home, dovecot: Any,
                                                            monkeypatch: Any,
                                                            lies: tuple[str, ...]) -> None:
    import re

    from tests.imapserver import RewriteProxy
    from tests.mail.imap.test_mail_faults import fake_config

    def lie(data: bytes) -> bytes:
        if "uidnext" in lies:
            data = re.sub(rb"\[UIDNEXT \d+\]", b"[UIDNEXT 4000000000]", data)
        if "search" in lies:
            data = re.sub(rb"\* SEARCH((?: \d+)*)\r\n",
                          rb"* SEARCH\1 0 4294967296 99999999999\r\n", data)
        return data

    monkeypatch.setenv("NUDGER_IMAP_PASSWORD", PASSWORD)
    with RewriteProxy(dovecot.starttls_port, lie) as proxy:
        home.write_config(fake_config(proxy.host, proxy.port, "none", timeout=5))
        home.ok("add", "Fabrikam", "AE", "--applied", "2026-11-16",
                "--contact", "Priya Nair <priya@fabrikam.com>")
        dovecot.append("INBOX", mail("priya@fabrikam.com", "alex@example.com", "Re: AE",
                                     "first@fabrikam.com"))
        home.ok("mail", "sync")
        home.ok("mail", "sync")  # an empty pass under the same lies
        positions = rows(home, "SELECT highest_uid FROM mailfolder")
        assert positions and all(0 <= uid <= 2**32 - 1 for (uid,) in positions)
        assert max(uid for (uid,) in positions) < 1000, positions
        dovecot.append("INBOX", mail("priya@fabrikam.com", "alex@example.com", "Re: AE 2",
                                     "second@fabrikam.com"))
        home.ok("mail", "sync")
        proxy.armed.clear()
        dovecot.append("INBOX", mail("priya@fabrikam.com", "alex@example.com", "Re: AE 3",
                                     "third@fabrikam.com"))
        home.ok("mail", "sync")
    assert sorted(k for (k,) in rows(home, "SELECT key FROM mailmessage")) == [
        "first@fabrikam.com", "second@fabrikam.com", "third@fabrikam.com"]


# --- servers that flood, drip or announce 2 GB: the pass ends, the digest goes out ------------

@pytest.mark.parametrize(("mode", "expect"), [
    ("flood", "more than 50,000 EXISTS responses"),
    ("drip", "did not finish within 2 s (imap.deadline)"),
    ("huge-literal", "announced 2,000,000,000 bytes for one item"),
    # connect and login are under the same deadline: a greeting trickled a byte every
    # 0.5 s never trips the 5 s read timeout (issue 25, high 5)
    ("trickle-greeting", "connecting and logging in did not finish within 2 s "
                         "(imap.deadline)"),
])
def test_a_hostile_imap_server_ends_the_pass(home: Home, monkeypatch: Any, mode: str,
                                             expect: str) -> None:
    import time

    from tests.imapserver import FakeImapServer
    from tests.mail.imap.test_mail_faults import fake_config, one_line_error

    monkeypatch.setenv("NUDGER_IMAP_PASSWORD", PASSWORD)
    # The caps end a flood or a huge literal well before any deadline; a long one there
    # keeps a loaded machine (50,000 responses read slowly) from ending it by the deadline.
    deadline = 2 if "imap.deadline" in expect else 30
    with FakeImapServer(mode) as fake:  # type: ignore[arg-type]
        home.write_config(fake_config(fake.host, fake.port, "none", timeout=5,
                                      extra=f"deadline = {deadline}\n"))
        started = time.monotonic()
        line = one_line_error(home.run("mail", "sync"))
        assert time.monotonic() - started < 60  # a liveness bound: before, it never ended
    assert expect in line and "127.0.0.1" in line, line
    failures, error = rows(home, "SELECT failures, last_error FROM mailsync")[0]
    assert failures == 1 and expect in error


def test_run_once_sends_the_digest_whatever_the_servers_do(home: Home, tmp_path: Any) -> None:
    """Cron mode against an IMAP server that floods untagged responses forever and a
    CalDAV server that trickles a byte every half second: the digest goes out first,
    both passes end at their deadlines, and `status` says why each failed."""
    from tests.caldavserver import TrickleServer
    from tests.conftest import run_installed
    from tests.imapserver import FakeImapServer

    maildir = tmp_path / "Maildir"
    with FakeImapServer("drip") as imap, TrickleServer() as dav:
        home.write_config(BASE_CONFIG + f"""
[digest]
time = "00:00"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
send_when_empty = true
catch_up = "24 hours"

[delivery]
method = "maildir"
maildir = "{maildir}"

[imap]
host = "{imap.host}"
port = {imap.port}
security = "none"
username = "alex@example.com"
password_env = "NUDGER_IMAP_PASSWORD"
timeout = 5
deadline = 3

[caldav]
url = "{dav.url}"
username = "alex"
password_env = "NUDGER_CALDAV_PASSWORD"
timeout = 5
deadline = 3
""")
        home.ok("add", "Fabrikam", "AE", "--applied", "today", "--interview", "tomorrow 10:00")
        result = run_installed("--config", str(home.config), "run", "--once", timeout=120,
                               env={"HOME": str(home.root / "home"), "NOTIFY_SOCKET": "",
                                    "NUDGER_IMAP_PASSWORD": PASSWORD,
                                    "NUDGER_CALDAV_PASSWORD": PASSWORD})
        assert dav.requests >= 1 and imap.lines_sent > 0
    assert "Traceback" not in result.stderr, result.stderr
    assert len(list((maildir / "new").iterdir())) == 1, result.stderr
    assert "did not finish within 3 s (imap.deadline)" in result.stderr
    assert "no complete answer within 3 s" in result.stderr
    status = home.ok("status")
    assert "imap.deadline" in status and "caldav.deadline" in status, status


def test_a_caldav_answer_of_a_gigabyte_is_never_read_into_memory(
        home: Home, monkeypatch: Any) -> None:
    """A CalDAV server that answers a PROPFIND with a gigabyte, as fast as loopback goes:
    the push's network half runs in a child under a memory cap, so the answer costs the
    child at most the cap (lowered here so the test is light) and nudger nothing; the pass
    fails with a message that says why, and the digest still goes out."""
    import resource
    from functools import partial

    from nudger.digest import bounded
    from tests.caldavserver import FloodServer

    monkeypatch.setattr(bounded, "run_limited",
                        partial(bounded.run_limited, memory=128 * 1024 * 1024))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB
    with FloodServer() as dav:
        home.write_config(BASE_CONFIG + f"""
[digest]
time = "00:00"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
send_when_empty = true
catch_up = "24 hours"

[delivery]
method = "maildir"
maildir = "{home.root / 'Maildir'}"

[caldav]
url = "{dav.url}"
username = "alex"
password_env = "NUDGER_CALDAV_PASSWORD"
timeout = 30
deadline = 60
""")
        monkeypatch.setenv("NUDGER_CALDAV_PASSWORD", PASSWORD)
        home.ok("add", "Fabrikam", "AE", "--applied", "today", "--interview", "tomorrow 10:00")
        result = home.run("run", "--once")
        assert dav.requests >= 1 and dav.sent >= 64 * 1024 * 1024, dav.sent
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown < 100 * 1024, f"nudger itself grew by {grown} KiB"
    assert "Traceback" not in result.err, result.err
    assert "the answer needed more than the memory" in result.err, result.err
    assert len(list((home.root / "Maildir" / "new").iterdir())) == 1
    error = rows(home, "SELECT last_error FROM calendar_sync WHERE target = 'caldav'")[0][0]
    assert "the answer needed more than the memory" in error and "was not read" in error


# --- the digest holds no command; a quoted digest is cut in any client's language -----------

def test_no_line_of_the_digest_parses_as_a_command(home: Home, monkeypatch: Any,
                                                   tmp_path: Any) -> None:
    from nudger.mail.act.commands.parse import Command, parse_line
    from nudger.mail.act.replytext import unquoted_text as html_to_text

    monkeypatch.setenv("NUDGER_IMAP_PASSWORD", PASSWORD)
    home.write_config(imap_config(Down()) + '\n[digest]\nsend_when_empty = true\n')
    # Data whose words are verbs: it must not turn into commands either.
    home.ok("add", "Done Deals", "Note taker", "--applied", "20 days ago",
            "--contact", "Skip Jones <skip@done.example>", "--notes", "done 12 tomorrow")
    home.ok("add", "Stage Left", "Add-on sales", "--applied", "3 days ago",
            "--interview", "tomorrow 10:00")
    home.ok("log", "1", "email", "--date", "yesterday")
    html = tmp_path / "d.html"
    text = home.ok("digest")
    home.ok("digest", "--html", str(html))
    assert "REPLY WITH COMMANDS" in text
    for where, body in (("text", text), ("html", html_to_text(html.read_text()))):
        # (A line that is no command may still be answered with the verbs; none may run.)
        parsed = {line: parse_line(line) for line in body.splitlines()}
        bad = {line: result for line, result in parsed.items() if isinstance(result, Command)}
        assert bad == {}, (where, bad)


OLD_HELP = ("Reply to this message with one command per line, for example:\n"
            "  done 12 / skip 12 / snooze 12 3 days / stage 12 interviewing 2026-12-03 14:00\n"
            "  note 12 called, voicemail / add Acme / Account Executive / dana@acme.example\n"
            "  resume 12 / accept S7 / dismiss S7\n")
QUOTED = {
    "spanish-outlook": ("-----Mensaje original-----\nDe: nudger <alex@example.com>\n"
                        "Enviado el: lunes, 30 de noviembre de 2026 7:30\n"
                        "Para: alex@example.com\nAsunto: Tus seguimientos\n\n"),
    "italian-outlook": ("-----Messaggio originale-----\nDa: nudger <alex@example.com>\n"
                        "Inviato: lunedì 30 novembre 2026 07:30\nA: alex@example.com\n"
                        "Oggetto: I tuoi follow-up\n\n"),
    "italian-no-rule": ("Da: nudger <alex@example.com>\nInviato: lunedì 30 novembre 2026\n"
                        "A: Alex Rivera <alex@example.com>\nOggetto: I tuoi follow-up\n\n"),
    "dutch-outlook": ("-----Oorspronkelijk bericht-----\nVan: nudger <alex@example.com>\n"
                      "Verzonden: maandag 30 november 2026 07:30\nAan: alex@example.com\n"
                      "Onderwerp: Je follow-ups\n\n"),
    "portuguese-gmail": "Em seg., 30 de nov. de 2026 às 07:30, nudger <alex@example.com>"
                        " escreveu:\n\n",
}


@pytest.mark.parametrize("client", sorted(QUOTED))
def test_a_quoted_digest_is_cut_whatever_the_language(tmp_path: Any, client: str) -> None:
    from tests.mail.act.test_mail_commands import World, reply

    world = World(tmp_path)
    quoted = OLD_HELP
    if client.endswith("gmail"):  # Gmail's plain text quotes with "> "
        quoted = "".join(f"> {line}\n" for line in quoted.splitlines())
    body = f"done 3\nGracias\n\n{QUOTED[client]}" + quoted
    handled = world.handle(reply(body, subject="RE: Tus seguimientos"))
    assert handled is not None and handled.status == "done", handled
    assert [o.line for o in handled.outcomes if o.ok] == ["done 3"]
    assert [o.line for o in handled.outcomes if o.line] == ["done 3"], handled.outcomes


# --- drafts on a server without UIDPLUS: never a plain EXPUNGE ---------------------------------

def test_without_uidplus_nudgers_draft_is_only_flagged(home: Home, dovecot: Any,
                                                       monkeypatch: Any) -> None:
    from tests.imapserver import RewriteProxy
    from tests.mail.imap.test_mail_faults import fake_config

    monkeypatch.setenv("NUDGER_IMAP_PASSWORD", PASSWORD)
    with RewriteProxy(dovecot.starttls_port, lambda data: data.replace(b" UIDPLUS", b"")) \
            as proxy:
        home.write_config(fake_config(proxy.host, proxy.port, "none", timeout=5)
                          + "\n[mailbox]\ndrafts = true\n")
        home.ok("add", "Fabrikam", "Account Executive", "--applied", "10 days ago",
                "--contact", "Priya Nair <priya@fabrikam.example>")
        assert "draft ready in Drafts: #1" in home.ok("mail", "sync")
        # The user's own draft, flagged \Deleted in their client but not expunged yet.
        dovecot.append("Drafts", b"From: alex@example.com\r\nSubject: my own\r\n\r\nmine\r\n",
                       flags=["\\Draft", "\\Deleted"])
        home.ok("done", "1")
        assert "draft removed (step no longer due): #1" in home.ok("mail", "sync")
    uids = dovecot.uids("Drafts")
    assert len(uids) == 2, uids  # nothing was expunged
    assert all(b"\\Deleted" in dovecot.flags("Drafts", uid) for uid in uids)


# --- capture files: regular files only, every folder and file once --------------------------

def test_capture_skips_fifos_and_walks_a_symlink_loop_once(home: Home, tmp_path: Any) -> None:
    import os

    from tests.mail.capture.test_capture_command import CORPUS

    root = tmp_path / "mail"
    maildir = root / "Box"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "new" / "1.eml").write_bytes((CORPUS / "app_greenhouse.eml").read_bytes())
    os.mkfifo(maildir / "new" / "2.eml")          # would block a plain open() forever
    os.mkfifo(root / "stuck.eml")
    (root / "lever.eml").write_bytes((CORPUS / "app_lever.eml").read_bytes())
    (root / "loop").symlink_to(root)                # mail/loop/loop/... is mail again
    (root / "again.eml").symlink_to(root / "lever.eml")
    result = home.run("capture", str(root), "--dry-run", "--json")
    assert result.code == 0, result.err
    import json

    report = json.loads(result.out)
    text = json.dumps(report)
    assert "stuck.eml" in text and "not a regular file" in text
    assert report["read"] == 2, report  # each message once, through any number of links


# --- a folder name that is not valid modified UTF-7 --------------------------------------------

def test_a_folder_with_an_invalid_name_is_skipped_with_a_warning(home: Home, dovecot: Any,
                                                                 monkeypatch: Any) -> None:
    from tests.imapserver import RewriteProxy
    from tests.mail.imap.test_mail_faults import fake_config

    def bad_folders(data: bytes) -> bytes:
        at = data.find(b"* LIST ")
        if at < 0:
            return data
        extra = (b'* LIST (\\HasNoChildren) "/" "Bad&ZZZ-"\r\n'
                 b'* LIST (\\HasNoChildren) "/" "Half&2D0-"\r\n')
        return data[:at] + extra + data[at:]

    monkeypatch.setenv("NUDGER_IMAP_PASSWORD", PASSWORD)
    with RewriteProxy(dovecot.starttls_port, bad_folders) as proxy:
        home.write_config(fake_config(proxy.host, proxy.port, "none", timeout=5))
        home.ok("add", "Fabrikam", "AE", "--applied", "2026-11-16",
                "--contact", "Priya Nair <priya@fabrikam.com>")
        dovecot.append("INBOX", mail("priya@fabrikam.com", "alex@example.com", "Re: AE",
                                     "utf7@fabrikam.com"))
        result = home.run("mail", "sync")
        assert result.code == 0, result.err
        assert "warning: folder 'Bad&ZZZ-' is not valid modified UTF-7" in result.out
        check = home.ok("check", "--imap")
        assert "warning: folder 'Half&2D0-' is not valid modified UTF-7" in check
    assert rows(home, "SELECT key FROM mailmessage") == [("utf7@fabrikam.com",)]


# --- Authentication-Results fail: at most a suggestion for replies, bounces and capture ------

FAIL = b"Authentication-Results: mx.example.com; dmarc=fail header.from=fabrikam.com\r\n"


def test_a_failing_sender_is_at_most_a_suggestion(home: Home, dovecot: Any,
                                                   monkeypatch: Any) -> None:
    from tests.mail.capture.test_capture_command import CORPUS
    from tests.mail.imap.test_mail_sync import DSN

    setup(home, dovecot, monkeypatch, mailbox='capture = "add"')
    dovecot.append("INBOX", FAIL + mail("Priya Nair <priya@fabrikam.com>", "alex@example.com",
                                        "Re: AE", "forged-reply@fabrikam.com"))
    dovecot.append("INBOX", FAIL + DSN)
    dovecot.append("INBOX", FAIL.replace(b"fabrikam.com", b"greenhouse-mail.io")
                   + (CORPUS / "app_greenhouse.eml").read_bytes())
    out = home.ok("mail", "sync")
    # No pause, no recorded reply: a suggestion the user may accept.
    assert rows(home, "SELECT paused_since FROM application") == [(None,)]
    assert rows(home, "SELECT kind FROM mailmessage WHERE key = 'forged-reply@fabrikam.com'"
                ) == [("possible-reply",)]
    reasons = [r for (r,) in rows(home, "SELECT reason FROM suggestion")]
    assert any("dmarc=fail" in r for r in reasons), reasons
    # The contact is not marked bouncing.
    assert rows(home, "SELECT bounced_at FROM contact") == [(None,)]
    assert "not applied" in out
    # The ATS mail is proposed, not added.
    assert [c for (c,) in rows(home, "SELECT company FROM application")] == ["Fabrikam"]
    assert any("Acme Robotics" in s for (s,) in rows(
        home, "SELECT summary FROM suggestion WHERE status = 'open'"))


# --- SIGTERM while the mailbox and calendar passes are stuck -----------------------------------

def test_sigterm_ends_the_daemon_whatever_a_pass_is_doing(tmp_path: Any) -> None:
    import signal

    from tests.caldavserver import TrickleServer
    from tests.daemon_helpers import DaemonProcess, config_head, wait_until
    from tests.imapserver import FakeImapServer

    config = tmp_path / "etc" / "config.toml"
    config.parent.mkdir(parents=True)
    with FakeImapServer("drip") as imap, TrickleServer() as dav:
        config.write_text(config_head("America/Chicago") + f"""
[delivery]
method = "maildir"
maildir = "{tmp_path / 'Maildir'}"

[imap]
host = "{imap.host}"
port = {imap.port}
security = "none"
username = "alex@example.com"
password_env = "NUDGER_IMAP_PASSWORD"
timeout = 30
deadline = 600

[caldav]
url = "{dav.url}"
username = "alex"
password_env = "NUDGER_CALDAV_PASSWORD"
timeout = 30
deadline = 600
""")
        daemon = DaemonProcess(tmp_path / "home", config, "run",
                               env={"NUDGER_IMAP_PASSWORD": PASSWORD,
                                    "NUDGER_CALDAV_PASSWORD": PASSWORD})
        try:
            daemon.wait_ready()
            # Both passes are now waiting on servers that never finish an answer.
            wait_until(lambda: imap.lines_sent > 3 and dav.requests >= 1, 20,
                       "both passes stuck")
            assert daemon.stop(signal.SIGTERM, timeout=10) == 0
            log = daemon.log
        finally:
            daemon.close()
    assert "nudger daemon stopped" in log
    assert "Traceback" not in log


# --- work a stranger controls: decided before any body is parsed; parsing linear --------------

def test_a_strangers_message_is_refused_before_its_body_is_parsed(
        tmp_path: Any, monkeypatch: Any, caplog: pytest.LogCaptureFixture) -> None:
    from nudger.mail.act.commands import handle
    from tests.mail.act.test_mail_commands import World, mail, refused

    def never(*_args: Any) -> Any:
        raise AssertionError("the body was parsed")

    world = World(tmp_path)
    monkeypatch.setattr(handle, "parse_message", never)
    for sender in ("mallory@evil.example", "alex@example.com <evil@x.test>"):
        msg = mail("<a" * 100_000, sender=sender, html=True,
                   headers=("Cc: " + '"' * 160_000,))
        refused(world, msg, "not the owner" if "mallory" in sender else "From", caplog)


def test_html_is_made_linear_before_html_parser_reads_it() -> None:
    import re

    from nudger.mail.act.replytext import unquoted_text as html_to_text
    from nudger.mail.htmltext import linear_html

    hostile = "<a" * 100_000 + "<p>done 12</p>" + "<" * 1000 + "<b>x"
    cleaned = linear_html(hostile)
    # Every "<" left opens a tag that closes before the next "<": nothing to rescan.
    assert all(re.match(r"<[A-Za-z/!?][^<>]*>", cleaned[m.start():])
               for m in re.finditer("<", cleaned))
    assert "done 12" in html_to_text(hostile).splitlines()
    # Ordinary HTML reads as before.
    assert html_to_text('<div>done 12<br>skip 5</div><p>a &lt; b</p>').split() == [
        "done", "12", "skip", "5", "a", "<", "b"]


def test_capture_reads_hostile_files_in_linear_time(home: Home, tmp_path: Any) -> None:
    """`From: a` + 250,000 spaces + `b` (426 s before) and a 250 KB HTML-only body of
    `<a` (60-72 s): a liveness bound far above what the linear code takes."""
    import json

    from tests.conftest import run_installed

    box = tmp_path / "mail"
    box.mkdir()
    (box / "spaces.eml").write_bytes(
        b"From: a" + b" " * 250_000 + b"b\r\nSubject: Thank you for applying to Acme\r\n"
        b"Date: Tue, 01 Sep 2026 09:17:00 +0200\r\n\r\nhello\r\n")
    (box / "html.eml").write_bytes(
        b"From: Acme Jobs <jobs@acme.example>\r\nSubject: Thank you for applying to Acme\r\n"
        b"Date: Tue, 01 Sep 2026 09:17:00 +0200\r\nContent-Type: text/html\r\n\r\n"
        + b"<a" * 125_000 + b"\r\n")
    result = run_installed("--config", str(home.config), "capture", str(box), "--dry-run",
                           "--json", env={"HOME": str(home.root / "home")}, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["read"] == 2


def test_a_password_inside_caldav_url_is_refused_and_never_shown(home: Home) -> None:
    home.write_config(BASE_CONFIG + '\n[caldav]\nurl = "https://alex:Hunter2Secret@dav.example'
                      '/cal/"\nusername = "alex"\npassword_env = "X"\n')
    for args in (("check",), ("status",), ("list",)):
        result = home.run(*args)
        assert result.code == 78, (args, result)
        assert "must not hold a user name or password" in result.err
        assert "Hunter2Secret" not in result.err + result.out


@pytest.mark.parametrize("hide", ['style="display: none"', 'style="font-size:0"',
                                  'style="visibility:hidden"', "hidden",
                                  'style="mso-hide:all"'])
def test_hidden_html_is_no_command(tmp_path: Any, hide: str) -> None:
    from tests.mail.act.test_mail_commands import World, reply

    world = World(tmp_path)
    body = f"<div>done 12</div><div {hide}>stage 9 rejected</div>"
    handled = world.handle(reply(body, html=True))
    assert handled is not None and handled.status == "done", handled
    assert [o.line for o in handled.outcomes] == ["done 12"], handled.outcomes


def test_no_line_breaking_or_control_character_reaches_the_ics(home: Home, tmp_path: Any
                                                               ) -> None:
    """Notes, names and addresses come from the user and from mail: U+2028/2029/0085 and
    VT, FF, FS break or spoil calendar apps' reading of the file."""
    ics = tmp_path / "cal.ics"
    odd = "a\u2028b\u2029c\u0085d\x0be\x0cf\x1cg"
    home.ok("add", "Acme" + odd, "AE", "--applied", "today", "--interview", "tomorrow 10:00",
            "--contact", "Dana Lee <dana@acme.example>")
    home.ok("calendar", "-o", str(ics))
    text = ics.read_bytes().decode()
    assert "Acme" in text
    for bad in ("\u2028", "\u2029", "\u0085", "\x0b", "\x0c", "\x1c"):
        assert bad not in text, repr(bad)


def test_a_short_password_is_redacted_where_it_stands_alone_only() -> None:
    from nudger.secrets import Secret

    secret = Secret("mail")
    said = "IMAP server imap.mail.example: login refused (mail); mailbox full; pw=mail"
    assert secret.redact(said) == \
        "IMAP server imap.mail.example: login refused (***); mailbox full; pw=***"
    assert Secret("a-long-secret").redact("xa-long-secrety") == "x***y"


def test_command_checks_never_run_the_email_packages_header_parser(tmp_path: Any) -> None:
    """A Subject folded into a million lines took the email package minutes to read (2 MB:
    95 s), before any check. The checks read raw, capped values; only the body's own MIME
    headers go through the parser."""
    from email import message_from_bytes
    from email.policy import EmailPolicy

    from tests.mail.act.test_mail_commands import DIGEST_ID, World

    class NoHeaderParsing(EmailPolicy):
        def header_fetch_parse(self, name: str, value: str) -> Any:
            if name.lower().startswith(("content-", "mime-")):
                return super().header_fetch_parse(name, value)
            raise AssertionError(f"{name} was read through the header parser")

    world = World(tmp_path)
    for sender, subject, why in (
            ("mallory@evil.example", "nudger: done 12" + "\r\n x" * 50_000, "not the owner"),
            ("Alex Rivera <alex@example.com>", "nudger: done 12", "not a reply")):
        raw = (f"From: {sender}\r\nTo: alex+nudger@example.com\r\nSubject: {subject}\r\n"
               "Message-ID: <big@x.test>\r\nAuthentication-Results: mx; dmarc=pass\r\n"
               "Content-Type: text/plain\r\n\r\ndone 12\r\n").encode()
        msg = message_from_bytes(raw, policy=NoHeaderParsing())
        handled = world.handle(msg, key="big@x.test")  # type: ignore[arg-type]
        assert handled is not None and handled.status == "refused", handled
        assert why in handled.reason
    # The owner's real command still runs, its headers read the same way.
    raw = ("From: Alex Rivera <alex@example.com>\r\nTo: alex+nudger@example.com\r\n"
           "Subject: =?utf-8?q?nudger=3A_done_12?=\r\nMessage-ID: <ok@x.test>\r\n"
           f"In-Reply-To: {DIGEST_ID}\r\n"
           "Content-Type: text/plain\r\n\r\ndone 12\r\n").encode()
    handled = world.handle(message_from_bytes(raw, policy=NoHeaderParsing()),  # type: ignore[arg-type]
                           key="ok@x.test")
    assert handled is not None and handled.status == "done", handled
