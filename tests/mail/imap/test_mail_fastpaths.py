"""The first sync's fast paths give exactly the answers of the slower ones they replace:
header blocks split and parsed as before (tests/headers_reference.py is the code as it
was), and the header FETCH read as imapclient's own parser reads it, on the fixture
corpus, hostile headers and random bytes."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from imapclient.response_parser import parse_fetch_response

from nudger.mail.imap import headers
from nudger.mail.imap.fetch import HEADER_ITEM, parse_header_fetch
from tests import headers_reference as reference
from tests.paths import FIXTURES

FIXTURES = FIXTURES / "mail"
INTERNAL = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

HOSTILE = [
    b"",
    b"\r\n",
    b"\n\n",
    b"Subject: no end",
    b" leading continuation\r\nSubject: x\r\n\r\n",
    b"Subject: a\r\n\tfolded\r\n  twice\r\nFrom: b@c.d\r\n\r\n",
    b"Subject: a\nFrom: b@c.d\n\nBody: not a header\n",
    b"garbage line\r\n\tX-Cont: y\r\nSubject: after\r\n\r\n",
    b"Bad Name: x\r\nSubject : spaced\r\n\x0b: vt\r\n:empty\r\n\r\n",
    b"Subject: caf\xc3\xa9\r\nFrom: \xff\xfe <a@b.c>\r\n\r\n",
    b"Subject: \xe9t\xe9\r\n\r\n\xff after the end\r\n",
    b"Subj\xc3\xa9ct: name not ascii\r\nSubj\xe9ct: latin\r\n\r\n",
    b"Subject: \x85nel\xc2\xa0nbsp\xc2\x85\r\nTo: \x1b[31m <a@b.c>\r\n\r\n",
    b"Subject: tail\r\r\n\r\n",
    b"Subject: =?utf-8?q?Eve=0D=0ABcc:_all@acme.com?=\r\nFrom: x@y.z\r\n\r\n",
    b"From: =?utf-8?q?priya@fabrikam.com?= <x@evil.test>\r\nTo:\r\nCc:  \r\n\r\n",
    b"X-Failed-Recipients:   \r\nX-Failed-Recipients: a@b.c\r\nReturn-Path: <>\r\n\r\n",
    b"Message-ID: <a@b>\r\nMessage-ID: <c@d>\r\nReferences: " + b"<r@x> " * 3000 + b"\r\n\r\n",
    b"Subject: \xed\xa0\x80 surrogate\r\n\r\n",
    "Subject: \u202eevil\r\n\r\n".encode(),
]


def corpus() -> list[bytes]:
    blocks = list(HOSTILE)
    for path in sorted(FIXTURES.rglob("*.eml")):
        raw = path.read_bytes()
        blocks.append(raw)
        blocks.append(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    return blocks


def same_header(raw: bytes) -> None:
    assert headers.split_fields(raw) == reference.split_fields(raw)
    new = headers.parse_header(raw, folder="INBOX", uid=7, size=3, internal_date=INTERNAL)
    old = reference.parse_header(raw, folder="INBOX", uid=7, size=3, internal_date=INTERNAL)
    fields = dataclasses.asdict(new)
    assert fields.pop("unreadable") == ""  # a field the reference has not: always read
    fields.pop("auth_failed")  # a field the reference has not
    assert fields == dataclasses.asdict(old)
    for name in ("to", "cc", "recipients", "thread_ids", "never_a_reply"):
        assert getattr(new, name) == getattr(old, name), name


def test_header_parsing_is_unchanged_on_the_corpus_and_hostile_headers() -> None:
    blocks = corpus()
    assert len(blocks) > 100
    for raw in blocks:
        same_header(raw)


HEADERISH = st.lists(st.sampled_from(
    [b"Subject", b"From", b"To", b"Cc", b"Message-ID", b"References", b"Date", b"X-Y",
     b":", b": ", b" ", b"\t", b"\r\n", b"\n", b"\r", b"<a@b.c>", b"=?utf-8?q?x?=", b"\xc3",
     b"\xa9", b"\xff", b"\x0b", b"\x85", b"@", b",", b'"', b"\x00", b"A", b"z"]),
    max_size=40).map(b"".join)


@settings(max_examples=400, deadline=None)
@given(HEADERISH)
def test_header_parsing_is_unchanged_on_random_blocks(raw: bytes) -> None:
    same_header(raw)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_header_parsing_is_unchanged_on_random_bytes(raw: bytes) -> None:
    same_header(raw)


# --- the header FETCH ---------------------------------------------------------------------

SECTION = HEADER_ITEM.replace(".PEEK", "").encode()


def response(seq: int, uid: int, size: int, when: bytes, literal: bytes) -> list[Any]:
    prefix = (b"%d (UID %d RFC822.SIZE %d INTERNALDATE %s %s {%d}"
              % (seq, uid, size, when, SECTION, len(literal)))
    return [(prefix, literal), b")"]


def as_imapclient(data: list[Any]) -> dict[int, dict[bytes, Any]]:
    return {k: dict(v) for k, v in parse_fetch_response(data, False, True).items()}


def test_fetch_answers_of_the_usual_shape_read_as_imapclient_reads_them() -> None:
    dates = [b'"30-Nov-2026 19:32:16 +0000"', b'" 3-Nov-2026 01:02:03 +0130"',
             b'"03-nov-2026 23:59:59 -0845"', b'"30-Nov-2026 19:32:16 -0000"',
             b'"31-Feb-2026 10:00:00 +0000"', b'"30-Xyz-2026 10:00:00 +0000"',
             b'"29-Feb-2028 00:00:00 +1400"', b'"garbage"', b'""']
    data: list[Any] = []
    for i, when in enumerate(dates, start=1):
        data += response(i, 100 + i, 1000 * i, when,
                         b"Subject: s%d\r\nFrom: a@b.c\r\n\r\n" % i if i % 3 else b"\r\n")
    fast = parse_header_fetch(data)
    assert fast is not None
    assert fast == as_imapclient(data)
    for uid, item in fast.items():
        slow = as_imapclient(data)[uid][b"INTERNALDATE"]
        when = item[b"INTERNALDATE"]
        assert (when is None) == (slow is None)
        if when is not None:
            assert when.utcoffset() == slow.utcoffset()


def test_fetch_answers_of_another_shape_go_to_imapclient() -> None:
    good = response(1, 5, 10, b'"30-Nov-2026 19:32:16 +0000"', b"Subject: x\r\n\r\n")
    assert good[0][0].endswith(b"{14}")
    others = [
        [],  # nothing at all ([None] from imaplib is imapclient's)
        [None],
        [*good, b"2 (FLAGS (\\Seen))"],  # an unsolicited FETCH
        good + good,  # the same message twice
        [(good[0][0].replace(b"RFC822.SIZE 10 INTERNALDATE", b"INTERNALDATE"),
          good[0][1]), b")"],
        [(good[0][0].replace(b"{14}", b"{99}"), good[0][1]), b")"],
        [(good[0][0], good[0][1]), b" FLAGS (\\Seen))"],
        [b'1 (UID 5 RFC822.SIZE 10 INTERNALDATE "30-Nov-2026 19:32:16 +0000" '
         + SECTION + b' "Subject: x")'],
        [b"1 (UID 5 RFC822.SIZE 10 INTERNALDATE NIL " + SECTION + b" NIL)"],
    ]
    for data in others:
        assert parse_header_fetch(data) is None, data


def test_header_fetch_against_dovecot_equals_imapclient_fetch(dovecot: Any, tmp_path: Path
                                                              ) -> None:
    from nudger.config import ConfigLocation, load_settings
    from nudger.mail.imap.client import ImapSession
    from nudger.mail.imap.fetch import HeaderFetch

    blocks = [b for b in corpus() if b.strip()][:60]
    dovecot.append_many("INBOX", [b if b"\r\n\r\n" in b.replace(b"\n", b"\r\n")
                                  else b + b"\r\n\r\nbody\r\n" for b in blocks])
    config = tmp_path / "config.toml"
    config.write_text(f'timezone = "UTC"\ndatabase = "n.db"\n[profile]\nemail = '
                      f'"alex@example.com"\n[imap]\nhost = "{dovecot.host}"\nport = '
                      f'{dovecot.port}\nusername = "{dovecot.username}"\npassword_env = '
                      f'"X"\nca_file = "{dovecot.ca_file}"\n', encoding="utf-8")
    client = dovecot.client()
    try:
        client.normalise_times = False
        session = ImapSession(client, load_settings(ConfigLocation(config, True)), "test")
        session.select_readonly("INBOX")
        uids = dovecot.uids("INBOX")
        assert len(uids) == len(blocks)
        items = [HEADER_ITEM, "RFC822.SIZE", "INTERNALDATE"]
        expected = {k: dict(v) for k, v in client.fetch(uids, items).items()}
        fast = HeaderFetch(client, private=True)
        assert fast.fetch(uids) == expected
        assert fast.fetch([uids[3], 999_999]) == {uids[3]: expected[uids[3]]}
        parsed = [h for batch in session.fetch_headers(uids, "INBOX") for h in batch]
        assert [h.uid for h in parsed] == uids
    finally:
        client.logout()


# --- capture's candidate subjects -----------------------------------------------------------

def test_ascii_twin_only_for_patterns_where_lower_casing_is_the_same() -> None:
    from nudger.mail.capture.rules import ascii_twin, default_rules

    assert default_rules().candidate_ascii is not None  # the shipped rules qualify
    for safe in (r"role\b", "gespräch", r"a\.b|next steps", r"(?:x)(?=y)(?!z)"):
        assert ascii_twin(safe) is not None, safe
    # Upper-case literals, classes, escapes naming characters, inline flags, back
    # references, and characters that ignore-case matches to ASCII ones: refused.
    for unsafe in ("Foo", "[a-z]", r"\x41", r"\N{LATIN SMALL LETTER A}", "(?-i:x)", r"(a)\1",
                   "\u017f", "\u212a", "\u0131", "\u0130", "(?P<n>a)"):
        assert ascii_twin(unsafe) is None, unsafe


SUBJECTISH = st.lists(st.sampled_from(
    ["Re: ", "RE:", "Your ", "APPLICATION", "Applica", "applied", "Interview", "ROLE",
     "role", "roles", " ", "-", "Position", "next  steps", "Next Steps", "Stelle", "Poste",
     "poste!", "opening", "x", "K", "s", "1", "_", "\u212a", "\u017f", "gespr\u00e4ch",
     "Gespr\u00c4ch", "ENTRETIEN", "Puesto", "\t"]), max_size=12).map("".join)


@settings(max_examples=500, deadline=None)
@given(st.one_of(SUBJECTISH, st.text(alphabet=st.characters(max_codepoint=127),
                                     max_size=40)))
def test_candidate_subject_is_the_ignorecase_search(subject: str) -> None:
    from nudger.mail.capture.rules import default_rules

    rules = default_rules()
    assert rules.is_candidate_subject(subject) == bool(rules.candidate.search(subject))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_one_line_fast_path_is_the_slow_one(value: str) -> None:
    import unicodedata

    from nudger.mail.capture.view import one_line
    from nudger.text import one_line as clean_line

    expected = clean_line(unicodedata.normalize("NFC", value))
    assert one_line(value, 10_000) == expected.strip()


# --- the header FETCH sent ahead (pipelining) ------------------------------------------------

def test_batches_fetched_ahead_lose_and_double_nothing(home: Any, dovecot: Any,
                                                       monkeypatch: Any) -> None:
    """With batches of 2 the next header FETCH is in flight while a batch's replies fetch
    their snippets (other commands on the same connection): every message is still read
    once, and the replies are recorded exactly once, also when read again."""
    from nudger.mail.imap import fetch as fetch_module

    monkeypatch.setattr(fetch_module, "BATCH", 2)
    nine_messages_synced_twice(home, dovecot, monkeypatch)


def nine_messages_synced_twice(home: Any, dovecot: Any, monkeypatch: Any) -> None:
    """Nine INBOX messages, three of them replies from the tracked contact, synced, then
    the same nine again: every message read once, the replies recorded exactly once, the
    folder's position at the last UID, nothing marked read (also run with the IMAP
    adapter's probe failed, tests/mail/imap/test_imap_adapter.py)."""
    from tests.conftest import imap_config, rows
    from tests.mail.imap.test_mail_sync import mail

    monkeypatch.setenv("NUDGER_IMAP_PASSWORD", "secret")
    home.write_config(imap_config(dovecot))
    home.ok("add", "Fabrikam", "Account Executive", "--applied", "2026-11-16",
            "--contact", "Priya Nair <priya@fabrikam.com>")
    messages = []
    for i in range(9):
        sender = "priya@fabrikam.com" if i % 3 == 1 else f"news{i}@list.example"
        messages.append(mail(sender, "alex@example.com", f"Message {i}", f"m{i}@x.example",
                             body=f"Reply number {i}.\n"))
    dovecot.append_many("INBOX", messages)
    report = json.loads(home.ok("mail", "sync", "--json"))
    assert report["ok"], report
    assert report["folders"]["INBOX"]["new"] == 9
    replies = sorted(f["subject"] for f in report["found"] if f["kind"] == "reply")
    assert replies == ["Message 1", "Message 4", "Message 7"]
    assert rows(home, "SELECT subject, snippet FROM mailmessage ORDER BY subject") == [
        ("Message 1", "Reply number 1."), ("Message 4", "Reply number 4."),
        ("Message 7", "Reply number 7.")]
    highest = rows(home, "SELECT highest_uid FROM mailfolder WHERE folder = 'INBOX'")
    assert highest == [(max(dovecot.uids("INBOX")),)]
    # The same messages again (a copy in another folder, a re-read): nothing doubles.
    dovecot.append_many("INBOX", messages)
    again = json.loads(home.ok("mail", "sync", "--json"))
    assert again["folders"]["INBOX"]["new"] == 9 and again["found"] == []
    assert rows(home, "SELECT count(*) FROM mailmessage") == [(3,)]
    for uid in dovecot.uids("INBOX"):
        assert b"\\Seen" not in dovecot.flags("INBOX", uid)


def test_a_drop_while_a_batch_is_fetched_ahead_loses_and_doubles_nothing(
        home: Any, dovecot: Any, monkeypatch: Any) -> None:
    """The connection is cut when the second header FETCH (sent ahead, while the first
    batch's replies fetch their snippets) goes out: the pass ends with one line, and the
    next pass records every reply exactly once."""
    from nudger.mail.imap import fetch as fetch_module
    from tests.conftest import rows
    from tests.imapserver import DropProxy
    from tests.mail.imap.test_mail_faults import PASSWORD, fake_config
    from tests.mail.imap.test_mail_sync import mail

    monkeypatch.setattr(fetch_module, "BATCH", 2)
    monkeypatch.setenv("NUDGER_IMAP_PASSWORD", PASSWORD)
    messages = [mail("priya@fabrikam.com" if i % 2 else f"news{i}@list.example",
                     "alex@example.com", f"Message {i}", f"d{i}@x.example")
                for i in range(6)]
    dovecot.append_many("INBOX", messages)
    with DropProxy(dovecot.starttls_port, trigger=b"UID FETCH", after=2) as proxy:
        home.write_config(fake_config(proxy.host, proxy.port, "none", timeout=5,
                                      extra='lookback = "60 days"\n'))
        home.ok("add", "Fabrikam", "AE", "--applied", "2026-11-16",
                "--contact", "Priya Nair <priya@fabrikam.com>")
        failed = home.run("mail", "sync")
        assert failed.code == 1 and "Traceback" not in failed.err
        assert "closed the connection" in failed.err
        assert proxy.drops == 1
        proxy.armed.clear()
        report = json.loads(home.ok("mail", "sync", "--json"))
        assert report["ok"]
        home.ok("mail", "sync")
    assert rows(home, "SELECT subject FROM mailmessage ORDER BY subject") == [
        ("Message 1",), ("Message 3",), ("Message 5",)]
