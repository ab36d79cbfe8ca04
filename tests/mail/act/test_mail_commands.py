"""Command mail: the reply's own lines from real client shapes, the verbs, and every way a
command is refused (docs/mailbox.md, "Commands are safe"). Real SQLite file; only the clock is
passed in."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from sqlmodel import select

from nudger.config import Settings
from nudger.mail.act.commandlog import MailCommand
from nudger.mail.act.commands.handle import Handled, handle_message
from nudger.mail.act.commands.parse import parse_line, parse_message
from nudger.mail.act.replytext import own_lines
from nudger.mail.act.tokens import Grant, Pin, issue, load_or_create_key
from nudger.store.db import Database
from nudger.store.models import Application, DigestRecord, Snooze, StageChange, Touch
from nudger.track import tracker
from nudger.when.business import Calendar
from tests.digest_helpers import add_app, make_db, make_settings
from tests.paths import FIXTURES

FIXTURES = FIXTURES / "mail" / "commands"
DAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 14, 30, tzinfo=UTC)
# The digest every reply below answers: recorded as sent in World's outbox (the fixtures'
# In-Reply-To names it).
DIGEST_ID = "<nudger-digest.2026-11-30.3f9c0a1b2c4d5e6f@example.com>"
IN_REPLY_TO = f"In-Reply-To: {DIGEST_ID}"
AUTH_PASS = ("Authentication-Results: mx.example.com; dkim=pass header.d=example.com; "
             "spf=pass smtp.mailfrom=example.com; dmarc=pass header.from=example.com")


class World:
    def __init__(self, tmp_path: Path) -> None:
        self.settings: Settings = make_settings(tmp_path / "cfg")
        self.db: Database = make_db(self.settings)
        self.calendar = Calendar.from_settings(self.settings)
        self.key = load_or_create_key(tmp_path / "cfg")
        names = {3: "Fabrikam", 5: "Northwind", 9: "Contoso", 12: "Acme"}
        for n in range(1, 13):
            add_app(self.db, names.get(n, f"Company {n}"), applied=DAY - timedelta(days=8),
                    contacts=["Dana Lee <dana@acme.example>"] if n == 12 else ())
        self.sent_digest(DIGEST_ID, DAY)

    def sent_digest(self, message_id: str, day: date, state: str = "sent") -> str:
        """A digest in the outbox, as nudger records the one it sent on `day`."""
        with self.db.session() as s:
            s.add(DigestRecord(recipient="alex@example.com", local_date=day,
                               message_id=message_id, state=state, created_at=NOW,
                               updated_at=NOW))
        return message_id

    def token(self, grant: Grant | None = None, day: date = DAY) -> str:
        return issue(self.key, grant or Grant.digest(), day)

    def button(self, verb: str, app_id: int, *args: str, day: date = DAY) -> str:
        """The token of a nudge button as the digest of `day` makes it: pinned to the step
        next for the application on that day."""
        from nudger.track.progress import current_step

        with self.db.read_session() as s:
            app = s.get(Application, app_id)
            assert app is not None
            nudge = current_step(s, self.settings, self.calendar, app, day)
        assert nudge is not None
        return issue(self.key, Grant.command(verb, str(app_id), args), day,
                     Pin(nudge.stage, nudge.step, nudge.due))

    def handle(self, msg: EmailMessage, key: str | None = None,
               today: date = DAY) -> Handled | None:
        return handle_message(self.settings, self.db, self.calendar, self.key,
                              key or str(msg["Message-ID"]), msg, today=today, now=NOW)

    def snapshot(self) -> list[int]:
        with self.db.read_session() as s:
            return [len(s.exec(select(m)).all())
                    for m in (Application, Touch, StageChange, Snooze, MailCommand)]


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def mail(body: str, *, sender: str = "Alex Rivera <alex@example.com>",
         subject: str = "nudger: done 12", mid: str = "<cmd-1@example.com>",
         to: str = "alex+nudger@example.com", headers: tuple[str, ...] = (AUTH_PASS,),
         html: bool = False) -> EmailMessage:
    head = "\n".join([*headers, f"From: {sender}", f"To: {to}", f"Subject: {subject}",
                      f"Message-ID: {mid}", "Date: Mon, 30 Nov 2026 08:00:00 -0600",
                      "MIME-Version: 1.0",
                      f"Content-Type: text/{'html' if html else 'plain'}; charset=utf-8"])
    return parse_bytes((head + "\n\n" + body).encode())


def reply(body: str, *, headers: tuple[str, ...] = (AUTH_PASS,), **kw: object
          ) -> EmailMessage:
    """A reply to the recorded digest: its In-Reply-To names the digest's Message-ID."""
    return mail(body, headers=(*headers, IN_REPLY_TO), **kw)  # type: ignore[arg-type]


def parse_bytes(raw: bytes) -> EmailMessage:
    msg = message_from_bytes(raw, policy=default)
    assert isinstance(msg, EmailMessage)
    return msg


def fixture(name: str, token: str) -> EmailMessage:
    return parse_bytes((FIXTURES / name).read_bytes().replace(b"NK1_DIGEST_TOKEN",
                                                              token.encode()))


# --- reading the reply's own lines ---------------------------------------------------------

@pytest.mark.parametrize(("name", "lines"), [
    ("gmail-html-only-top-posted.eml", ["done 12", "snooze 5 1 week"]),
    ("apple-mail-html-only.eml", ["stage 3 interviewing 2026-12-03 14:00",
                                  "note 3 Priya says bring a 30-60-90 plan",
                                  "Sent from my iPhone"]),
    ("outlook-html-only.eml", ["note 12 called, voicemail",
                               "add Acme / Account Executive / dana@acme.example"]),
    ("thunderbird-latin1-bottom-posted.eml", [
        "done 12", "note 12 Rückruf von Dana, sehr nett à bientôt"]),
    ("outlook-plain-top-posted.eml", ["resume 3", "stage 5 rejected – they hired internally"]),
])
def test_own_lines_of_real_client_shapes(name: str, lines: list[str]) -> None:
    assert own_lines(fixture(name, "nk1-x")) == lines


def test_parse_lines() -> None:
    c = parse_line("snooze #5 1 week")
    assert not isinstance(c, str) and c is not None
    assert (c.verb, c.target, c.args) == ("snooze", "5", ("1 week",))
    c = parse_line("Stage 3 interviewing 2026-12-03 14:00")
    assert not isinstance(c, str) and c is not None
    assert (c.verb, c.target, c.args) == ("stage", "3", ("interviewing", "2026-12-03 14:00"))
    c = parse_line("accept s7")
    assert not isinstance(c, str) and c is not None and c.target == "S7"
    assert parse_line("Thanks!") is None
    assert "not available by mail" in str(parse_line("rm 12"))
    assert "needs an application ID" in str(parse_line("done Acme"))
    assert "add Acme / Account Executive" in str(parse_line("add Acme"))


def test_a_button_subject_works_when_the_body_is_empty() -> None:
    parsed = parse_message(mail("\n", subject="Re: nudger: skip 12"))
    assert [c.line for c in parsed.commands] == ["skip 12"]


# --- carrying out --------------------------------------------------------------------------

def test_a_digest_reply_runs_every_line_and_never_the_quoted_ones(world: World) -> None:
    handled = world.handle(fixture("gmail-html-only-top-posted.eml", world.token()))
    assert handled is not None and handled.status == "done"
    assert [o.ok for o in handled.outcomes] == [True, True]
    assert "done" in handled.outcomes[0].text and "next for #12" in handled.outcomes[0].next
    with world.db.read_session() as s:
        touches = s.exec(select(Touch)).all()
        assert [(t.application_id, t.skipped) for t in touches] == [(12, False)]
        assert tracker.snoozed_until(s, 5) == DAY + timedelta(days=7)
        assert s.get(Application, 9).stage == "applied"  # quoted `stage 9 rejected`
        row = s.exec(select(MailCommand)).one()
        assert row.message_id == "<CAF3kq9xGmailHtmlOnly01@mail.gmail.com>"
        assert len(json.loads(row.done)) == 2


def test_apple_mail_stage_with_interview_time_and_note(world: World) -> None:
    handled = world.handle(fixture("apple-mail-html-only.eml", world.token()))
    assert handled is not None and [o.ok for o in handled.outcomes] == [True, True]
    with world.db.read_session() as s:
        app = s.get(Application, 3)
        assert app.stage == "interviewing"
        # 14:00 in Chicago is 20:00 UTC
        assert app.interview_at.replace(tzinfo=UTC) == datetime(2026, 12, 3, 20, 0, tzinfo=UTC)
        assert app.notes.endswith("2026-11-30: Priya says bring a 30-60-90 plan")
        assert s.get(Application, 9).stage == "applied"


def test_outlook_add_and_note(world: World) -> None:
    handled = world.handle(fixture("outlook-html-only.eml", world.token()))
    assert handled is not None and [o.ok for o in handled.outcomes] == [True, True]
    with world.db.read_session() as s:
        new = s.get(Application, 13)
        assert (new.company, new.role) == ("Acme", "Account Executive")
        assert [c.email for c in tracker.contacts_of(s, 13)] == ["dana@acme.example"]
        assert "called, voicemail" in s.get(Application, 12).notes


def test_other_charset_bottom_posted_and_signature_ignored(world: World) -> None:
    handled = world.handle(fixture("thunderbird-latin1-bottom-posted.eml", world.token()))
    assert handled is not None and [o.ok for o in handled.outcomes] == [True, True]
    with world.db.read_session() as s:
        assert "Rückruf von Dana" in s.get(Application, 12).notes
        assert [t.application_id for t in s.exec(select(Touch)).all()] == [12]  # not 99, 9


def test_one_bad_line_is_reported_and_the_others_run(world: World) -> None:
    body = "done 12\nsnooze 12 forever\nstage 12 hired\ndone 99\nrm 5"
    handled = world.handle(reply(body))
    assert handled is not None
    texts = [(o.ok, o.line, o.text) for o in handled.outcomes]
    assert texts[0][0] is True
    snooze, stage, missing, rm = texts[1:]
    assert "neither a duration" in snooze[2] and "'3 days'" in snooze[2]
    assert "YYYY-MM-DD" in snooze[2]
    assert "unknown stage 'hired'" in stage[2] and "interviewing" in stage[2]
    assert "no application #99" in missing[2] and "#12 Acme" in missing[2]
    assert "not available by mail" in rm[1]
    with world.db.read_session() as s:
        assert s.get(Application, 12).stage == "applied"
        assert s.exec(select(Snooze)).all() == []
        assert len(s.exec(select(Touch)).all()) == 1
        assert s.get(Application, 5) is not None


def test_a_command_whose_application_was_removed(world: World) -> None:
    with world.db.session() as s:
        tracker.remove_application(s, 12)
    handled = world.handle(mail(f"done 12\n-- \n{world.token(Grant.command('done', '12'))}"))
    assert handled is not None and handled.status == "done"
    assert not handled.outcomes[0].ok and "no application #12" in handled.outcomes[0].text
    handled = world.handle(reply("done 12", mid="<cmd-2@x>"))
    assert handled is not None and handled.status == "done"
    assert not handled.outcomes[0].ok and "no application #12" in handled.outcomes[0].text


def test_a_5000_line_reply_is_refused_whole_without_hanging(world: World) -> None:
    body = "\n".join(["done 12"] * 5000)
    before = world.snapshot()
    handled = world.handle(reply(body))
    assert handled is not None and len(handled.outcomes) == 1
    assert "5000 lines" in handled.outcomes[0].text and "did nothing" in handled.outcomes[0].text
    after = world.snapshot()
    assert after[:4] == before[:4]


# --- security: every refusal changes nothing ---------------------------------------------

def refused(world: World, msg: EmailMessage, why: str, caplog: pytest.LogCaptureFixture,
            today: date = DAY, *, answered: bool = False) -> None:
    """Refused, nothing changed; `answered`: from the owner, so the refusal is recorded
    (and answered) in a mailcommand row of its own that carries out nothing."""
    before = world.snapshot()
    with caplog.at_level(logging.INFO, logger="nudger.mail.act.commands"):
        handled = world.handle(msg, today=today)
    assert handled is not None and handled.status == "refused", handled
    assert why in handled.reason
    after = world.snapshot()
    assert after[:4] == before[:4]
    assert after[4] == before[4] + answered
    if answered:
        with world.db.read_session() as s:
            row = s.exec(select(MailCommand).order_by(MailCommand.id.desc())).first()  # type: ignore[union-attr]
            assert row is not None and why in row.refusal and json.loads(row.done) == []
            [outcome] = json.loads(row.outcome)
            assert not outcome["ok"] and outcome["text"]
    logged = caplog.text
    assert "refused" in logged and str(msg["Message-ID"]) in logged
    assert "nk1-" not in logged


def test_forged_from_without_a_token(world: World, caplog: pytest.LogCaptureFixture) -> None:
    refused(world, mail("done 12", sender="Mallory <alex@example.com>"),
            "not a reply to a digest", caplog, answered=True)


def test_a_stranger_is_refused_even_with_a_token(world: World,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    msg = reply("done 12", sender="mallory@evil.example")
    refused(world, msg, "not the owner", caplog)


def test_two_from_addresses(world: World, caplog: pytest.LogCaptureFixture) -> None:
    msg = reply("done 12", sender="alex@example.com, mallory@evil.example")
    refused(world, msg, "2 From addresses", caplog)


def test_an_expired_token(world: World, caplog: pytest.LogCaptureFixture) -> None:
    old = world.token(Grant.command("done", "12"), DAY - timedelta(days=15))
    refused(world, mail(f"done 12\n-- \n{old}"), "expired", caplog, answered=True)


def test_an_old_reply_key_authorises_nothing(world: World,
                                             caplog: pytest.LogCaptureFixture) -> None:
    """Digests printed a reply key that any forward carried: a key, fresh or old, in a
    message that is not a reply to a recent digest runs nothing, and the owner is told."""
    for n, day in enumerate((DAY, DAY - timedelta(days=15))):
        key = world.token(day=day)
        refused(world, mail(f"done 12\n-- \nReply key (keep it in your reply): {key}",
                            mid=f"<cmd-key-{n}@x>"), "not a reply to a digest", caplog,
                answered=True)


def test_a_button_for_12_used_on_9_or_edited(world: World,
                                             caplog: pytest.LogCaptureFixture) -> None:
    token = world.token(Grant.command("done", "12"))
    refused(world, mail(f"done 9\n-- \n{token}"), "no token authorises", caplog,
            answered=True)
    refused(world, mail(f"stage 9 rejected\n-- \n{token}", mid="<cmd-3@x>"),
            "no token authorises", caplog, answered=True)
    refused(world, mail("done 9", subject=f"nudger: done 9 {token}", mid="<cmd-4@x>"),
            "no token authorises", caplog, answered=True)


def test_a_token_from_another_key(world: World, tmp_path: Path,
                                  caplog: pytest.LogCaptureFixture) -> None:
    other = issue(load_or_create_key(tmp_path / "other"), Grant.digest(), DAY)
    refused(world, mail(f"done 12\n{other}"), "no token authorises", caplog, answered=True)


def test_a_reply_to_a_recent_digest_runs_its_lines(world: World) -> None:
    """The reply's In-Reply-To (or References) naming a digest sent in the last 14 days
    is what authorises typed lines; no token is needed."""
    recent = world.sent_digest("<nudger-digest.2026-11-17.0a1b2c3d4e5f60718293a4b5@example.com>",
                               DAY - timedelta(days=13))
    handled = world.handle(mail("done 12", headers=(
        AUTH_PASS, f"References: <a@example.com> {recent}", "In-Reply-To: <a@example.com>")))
    assert handled is not None and handled.status == "done", handled
    assert [o.ok for o in handled.outcomes] == [True]


@pytest.mark.parametrize(("message_id", "why"), [
    # never sent by this nudger (a guess, or another database's digest)
    ("<nudger-digest.2026-11-30.ffffffffffffffffffffffff@example.com>", "unknown or old"),
    # sent 15 days ago: past the 14 days a digest answers for
    ("<nudger-digest.2026-11-15.00112233445566778899aabb@example.com>", "unknown or old"),
    # recorded, but it failed: it never reached anyone
    ("<nudger-digest.2026-11-29.aabbccddeeff001122334455@example.com>", "unknown or old"),
])
def test_a_reply_to_an_unknown_or_old_digest_is_refused_and_answered(
        world: World, caplog: pytest.LogCaptureFixture, message_id: str, why: str) -> None:
    world.sent_digest("<nudger-digest.2026-11-15.00112233445566778899aabb@example.com>",
                      DAY - timedelta(days=15))
    world.sent_digest("<nudger-digest.2026-11-29.aabbccddeeff001122334455@example.com>",
                      DAY - timedelta(days=1), state="failed")
    msg = mail("stage 9 rejected", headers=(AUTH_PASS, f"In-Reply-To: {message_id}"))
    refused(world, msg, why, caplog, answered=True)
    with world.db.read_session() as s:
        row = s.exec(select(MailCommand)).one()
        assert "older than 14 days" in json.loads(row.outcome)[0]["text"]


def test_a_stranger_replying_to_a_real_digest_gets_nothing(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    """The digest's Message-ID does not make a stranger the owner: refused, not answered."""
    refused(world, reply("stage 9 rejected", sender="mallory@evil.example"),
            "not the owner", caplog)


@pytest.mark.parametrize("result", ["dkim=fail", "dmarc=fail", "spf=fail"])
def test_authentication_failure(world: World, caplog: pytest.LogCaptureFixture,
                                result: str) -> None:
    msg = reply("done 12", headers=(
        f"Authentication-Results: mx.example.com; {result} header.d=example.com",))
    refused(world, msg, result, caplog)


@pytest.mark.parametrize("header", ["Auto-Submitted: auto-replied", "X-Autoreply: yes",
                                    "Precedence: bulk"])
def test_auto_submitted(world: World, caplog: pytest.LogCaptureFixture, header: str) -> None:
    refused(world, reply("done 12", headers=(AUTH_PASS, header)),
            header.split(":")[0], caplog)


def test_the_same_message_twice_runs_once(world: World) -> None:
    msg = mail(f"done 12\n-- \n{world.button('done', 12)}")
    first = world.handle(msg)
    assert first is not None and first.status == "done"
    before = world.snapshot()
    again = world.handle(parse_bytes(msg.as_bytes()))  # seen again: another folder, a restart
    assert again is not None and again.status == "duplicate"
    assert world.snapshot() == before


def test_a_second_database_handle_sees_the_first_ones_record(world: World) -> None:
    msg = mail(f"skip 12\n-- \n{world.button('skip', 12)}")
    assert world.handle(msg) is not None
    second = Database(world.db.path)  # a second daemon on the same file
    handled = handle_message(world.settings, second, world.calendar, world.key,
                             str(msg["Message-ID"]), msg, today=DAY, now=NOW)
    assert handled is not None and handled.status == "duplicate"
    second.dispose()


def test_not_a_command_message_is_left_to_others(world: World) -> None:
    msg = mail("Hi Alex, thanks for applying", sender="dana@acme.example",
               to="alex@example.com", subject="Your application")
    assert world.handle(msg) is None


def test_a_button_message_runs_exactly_its_command(world: World) -> None:
    token = world.button("snooze", 12, "3 days")
    handled = world.handle(mail(f"snooze 12 3 days\n-- \nSent by a nudger button. {token}"))
    assert handled is not None and [o.ok for o in handled.outcomes] == [True]
    with world.db.read_session() as s:
        assert tracker.snoozed_until(s, 12) == DAY + timedelta(days=3)


def test_accept_dismiss_and_resume_by_mail(world: World) -> None:
    from nudger.mail.capture.suggestions import propose

    with world.db.session() as s:
        add = propose(s, kind="application", fingerprint="f1", summary="Globex, Sales Lead",
                      reason="Thank you for applying", confidence=0.9, now=NOW,
                      payload={"company": "Globex", "role": "Sales Lead",
                               "applied_on": "2026-11-29"})
        other = propose(s, kind="stage", fingerprint="f2", summary="#9 rejected?",
                        reason="unfortunately", confidence=0.8, application_id=9, now=NOW,
                        payload={"stage": "rejected", "date": "2026-11-30"})
        assert add is not None and other is not None
        ids = (add.id, other.id)
        app = s.get(Application, 3)
        app.paused_since = NOW - timedelta(days=1)
        s.add(app)
    token = world.token(Grant.command("accept", f"S{ids[0]}"))
    handled = world.handle(mail(f"accept S{ids[0]}\n-- \n{token}"))
    assert handled is not None and [o.ok for o in handled.outcomes] == [True]
    handled = world.handle(reply(f"dismiss s{ids[1]}\nresume 3\ndismiss S999",
                                mid="<cmd-2@x>"))
    assert handled is not None
    assert [o.ok for o in handled.outcomes] == [True, True, False]
    assert "no suggestion S999" in handled.outcomes[2].text
    with world.db.read_session() as s:
        assert s.get(Application, 3).paused_since is None
        assert s.get(Application, 9).stage == "applied"  # dismissed, not applied
        assert any(a.company == "Globex" for a in s.exec(select(Application)).all())


def test_parse_line_never_raises() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    verbs = st.sampled_from(["done", "skip", "snooze", "stage", "note", "add", "accept",
                             "dismiss", "resume", "rm", "hello", ""])

    @settings(max_examples=300, deadline=None)
    @given(verbs, st.lists(st.text(max_size=12), max_size=5))
    def check(verb: str, words: list[str]) -> None:
        parse_line(" ".join([verb, *words]))

    check()


# --- a button is one step; a reply line has the command line's meaning (issue 21) ----------

def test_a_button_from_before_pins_answers_and_records_nothing(world: World) -> None:
    before = world.snapshot()
    handled = world.handle(mail(f"done 12\n-- \n{world.token(Grant.command('done', '12'))}"))
    assert handled is not None and not handled.outcomes[0].ok
    assert "cannot tell which follow-up of #12 Acme" in handled.outcomes[0].text
    assert world.snapshot()[:4] == before[:4]


def test_a_done_button_after_the_command_line_did_the_step(world: World) -> None:
    from nudger.track.progress import complete_step

    token = world.button("done", 12)
    with world.db.session() as s:
        complete_step(s, world.settings, world.calendar, 12, DAY, now=NOW)
    handled = world.handle(mail(f"done 12\n-- \n{token}"))
    assert handled is not None
    [outcome] = handled.outcomes
    assert not outcome.ok and outcome.verb == "already"
    assert outcome.text.startswith("already done: #12 Acme, step 1 of applied")
    with world.db.read_session() as s:
        assert [(t.step, t.skipped) for t in s.exec(select(Touch)).all()] == [(1, False)]


def test_a_button_whose_step_moved_acts_on_nothing(world: World) -> None:
    """A touch that completes no step restarts the clock: the step the button was shown
    for now falls due another day, so the button is not that step any more."""
    token = world.button("skip", 12, day=DAY)
    with world.db.session() as s:
        tracker.log_touch(s, 12, "visit", DAY, now=NOW)
    handled = world.handle(mail(f"skip 12\n-- \n{token}"), today=DAY + timedelta(days=1))
    assert handled is not None and not handled.outcomes[0].ok
    assert "this button was for #12 Acme, step 1 of applied" in handled.outcomes[0].text
    with world.db.read_session() as s:
        assert [t.action for t in s.exec(select(Touch)).all()] == ["visit"]


def test_a_typed_done_after_the_email_was_found_in_sent(world: World) -> None:
    """As `nudger done`: the follow-up found in Sent today is the one the user means."""
    from nudger.store.models import MailMessage

    with world.db.session() as s:
        touch = tracker.log_touch(s, 12, "email", DAY, now=NOW, step=1)
        s.flush()
        s.add(MailMessage(key="k1", message_id="<f1@example.com>", direction="out",
                          kind="followup", application_id=12, touch_id=touch.id,
                          folder="Sent", date=NOW, created_at=NOW))
    handled = world.handle(reply("done 12"))
    assert handled is not None
    [outcome] = handled.outcomes
    assert not outcome.ok and "already logged from your Sent folder" in outcome.text
    with world.db.read_session() as s:
        assert len(s.exec(select(Touch)).all()) == 1


def test_log_by_mail_and_an_unknown_verb(world: World) -> None:
    body = ("log 12 call talked to Dana\nlog 9 visit\ncall 5\nlog 3 lunch\n\n"
            "Sent from my iPhone")
    handled = world.handle(reply(body))
    assert handled is not None
    log_12, log_9, log_3, call = handled.outcomes
    assert log_12.ok and log_12.text == "#12: logged call on 2026-11-30"
    assert log_9.ok and log_9.verb == "log"
    assert not log_3.ok and "unknown action 'lunch'" in log_3.text and "call" in log_3.text
    assert not call.ok and "`call` is not a command" in call.line
    assert "log ID ACTION [note]" in call.line and "snooze ID" in call.line
    with world.db.read_session() as s:
        rows = s.exec(select(Touch).order_by(Touch.id)).all()  # type: ignore[arg-type]
        assert [(t.application_id, t.action, t.note) for t in rows] == [
            (12, "call", "talked to Dana"), (9, "visit", "")]


def test_a_stage_already_set_is_not_recorded_again(world: World) -> None:
    with world.db.session() as s:
        tracker.change_stage(s, 12, "interviewing", DAY, now=NOW)
    handled = world.handle(reply("stage 12 interviewing\nstage 12 interviewing 2026-12-03 "
                                "14:00"))
    assert handled is not None
    again, timed = handled.outcomes
    assert not again.ok and again.verb == "already"
    assert "#12 Acme is already interviewing (since 2026-11-30); nothing recorded" in again.text
    assert timed.ok and "interview Thu 2026-12-03 14:00" in timed.text
    with world.db.read_session() as s:
        changes = s.exec(select(StageChange).where(StageChange.application_id == 12)).all()
        assert [c.stage for c in changes] == ["applied", "interviewing"]
        assert s.get(Application, 12).interview_at is not None


def test_interviewing_without_a_time_asks_for_it_or_proposes_the_stated_one(
        world: World) -> None:
    """The Interviewing button records no date: the answer offers the line that records
    it, with the time the recruiter's mail stated when capture read one (issue 21, 8)."""
    from nudger.mail.capture.suggestions import propose

    with world.db.session() as s:
        propose(s, kind="stage", fingerprint="f-int", summary="#9 interviewing?",
                reason="invitation", confidence=0.9, application_id=9, now=NOW,
                payload={"stage": "interviewing", "date": "2026-11-30",
                         "interview_at": "2026-12-03T20:00:00+00:00"})
    handled = world.handle(reply("stage 12 interviewing\nstage 9 interviewing\n\n"
                                ""))
    assert handled is not None
    plain, stated = handled.outcomes
    assert plain.ok and "When is the interview? Reply with its date and time, like " \
        "`stage 12 interviewing 2026-12-02 10:00`" in plain.text
    assert "the thank-you waits for the interview's date" in plain.next
    assert stated.ok and "The mail says the interview is Thu 2026-12-03 14:00: reply " \
        "`stage 9 interviewing 2026-12-03 14:00`" in stated.text
