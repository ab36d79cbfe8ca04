"""Confirmations of command mail, against the real aiosmtpd test server: to the owner only,
retried on a transient SMTP failure, never to a stranger."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from nudger.mail.act.commandlog import MailCommand
from nudger.mail.act.confirm import send_confirmations
from tests.mail.act.test_mail_commands import DIGEST_ID, NOW, World, mail, reply
from tests.smtpserver import SmtpServer, refused_port


def smtp_world(tmp_path: Path, server_config: str) -> World:
    world = World.__new__(World)
    from nudger.mail.act.tokens import load_or_create_key
    from nudger.when.business import Calendar
    from tests.digest_helpers import add_app, make_db, make_settings

    world.settings = make_settings(tmp_path / "cfg", extra=server_config)
    world.db = make_db(world.settings)
    world.calendar = Calendar.from_settings(world.settings)
    world.key = load_or_create_key(tmp_path / "cfg")
    for company in ("Fabrikam", "Northwind", "Acme"):
        add_app(world.db, company)
    world.sent_digest(DIGEST_ID, NOW.date())
    return world


def send(world: World, now=NOW) -> list[str]:  # type: ignore[no-untyped-def]
    return asyncio.run(send_confirmations(world.settings, world.db, {}, now,
                                          data_dir=world.db.path.parent))


def rows(world: World) -> list[MailCommand]:
    with world.db.read_session() as s:
        return list(s.exec(select(MailCommand)).all())


def test_the_owner_gets_what_was_done_and_what_is_next(tmp_path: Path) -> None:
    with SmtpServer("plain") as server:
        world = smtp_world(tmp_path, server.smtp_config(tmp_path))
        token = world.button("done", 3)
        msg = mail(f"done 3\n-- \n{token}", headers=(
            "Reply-To: mallory@evil.example", "Cc: mallory@evil.example"))
        assert world.handle(msg) is not None
        assert send(world) == ["confirmation 1: sent"]
        assert send(world) == []  # once
        [got] = server.messages
    assert got.rcpt_tos == ["alex@example.com"]
    reply = got.message
    assert reply["In-Reply-To"] == "<cmd-1@example.com>"
    assert reply["Auto-Submitted"] == "auto-replied"
    assert "mallory" not in got.data.decode()
    body = reply.get_content()
    assert "#3: done" in body and "next for #3 Acme" in body
    assert str(reply["Subject"]).startswith("nudger: done")


def test_what_was_wrong_says_what_would_work(tmp_path: Path) -> None:
    with SmtpServer("plain") as server:
        world = smtp_world(tmp_path, server.smtp_config(tmp_path))
        world.handle(reply("done 42\nsnooze 1 someday"))
        send(world)
        body = server.messages[0].message.get_content()
    assert "no application #42" in body and "#1 Fabrikam, #2 Northwind, #3 Acme" in body
    assert "'3 days'" in body and "YYYY-MM-DD" in body
    assert str(server.messages[0].message["Subject"]) == "nudger: nothing done — see why"


def test_a_stranger_gets_nothing(tmp_path: Path) -> None:
    with SmtpServer("plain") as server:
        world = smtp_world(tmp_path, server.smtp_config(tmp_path))
        world.handle(reply("done 3", sender="mallory@evil.example",
                           headers=("Reply-To: mallory@evil.example",)))
        assert send(world) == []
        assert server.messages == [] and rows(world) == []


def test_a_refused_message_from_the_owners_address_is_answered_to_the_owner(
        tmp_path: Path) -> None:
    """Not a reply to a digest (a forged From, or the owner writing or forwarding): the
    owner, and only the owner, hears what was wrong and what would work; nothing is carried out."""
    with SmtpServer("plain") as server:
        world = smtp_world(tmp_path, server.smtp_config(tmp_path))
        world.handle(mail("done 3", mid="<cmd-2@x>",
                          headers=("Reply-To: mallory@evil.example",
                                   "Cc: mallory@evil.example")))
        assert send(world) == ["confirmation 1: sent"]
        [got] = server.messages
        [row] = rows(world)
    assert row.refusal == "not a reply to a digest" and row.done == "[]"
    assert got.rcpt_tos == ["alex@example.com"] and "mallory" not in got.data.decode()
    assert str(got.message["Subject"]) == "nudger: not done — your message was refused, see why"
    body = got.message.get_content()
    assert "not a reply to a digest nudger sent you" in body
    assert "Reply to a recent digest" in body
    assert "`done 3`" in body


def test_a_transient_smtp_failure_is_retried_later(tmp_path: Path) -> None:
    with SmtpServer("plain", replies={"MAIL": ["451 4.3.0 try again later"]}) as server:
        world = smtp_world(tmp_path, server.smtp_config(tmp_path))
        world.handle(mail(f"skip 3\n-- \n{world.button('skip', 3)}"))
        assert send(world) == ["confirmation 1: will retry (451 4.3.0 try again later "
                               "(in reply to MAIL FROM))"]
        [row] = rows(world)
        assert row.reply_state == "retry" and row.reply_next_at is not None
        assert send(world, NOW + timedelta(seconds=30)) == []  # not yet
        assert send(world, NOW + timedelta(minutes=2)) == ["confirmation 1: sent"]
        assert len(server.messages) == 1
    assert rows(world)[0].reply_state == "sent"


def test_a_server_that_is_down_does_not_block(tmp_path: Path) -> None:
    with refused_port() as port:
        config = (f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
                  'timeout = 2\n')
        world = smtp_world(tmp_path, config)
        world.handle(mail(f"skip 3\n-- \n{world.button('skip', 3)}"))
        report = send(world)
    assert len(report) == 1 and "will retry" in report[0]
    assert rows(world)[0].reply_state == "retry"


def test_the_subject_names_the_verb(tmp_path: Path) -> None:
    """A snooze is confirmed as a snooze, a stage change as one (not all "done")."""
    with SmtpServer("plain") as server:
        world = smtp_world(tmp_path, server.smtp_config(tmp_path))
        world.handle(mail(f"snooze 3 3 days\n-- \n{world.button('snooze', 3, '3 days')}"))
        world.handle(reply("stage 2 interviewing", mid="<cmd-2@x>"))
        world.handle(reply("log 1 call", mid="<cmd-3@x>"))
        assert len(send(world)) == 3
        subjects = [str(m.message["Subject"]) for m in server.messages]
    assert subjects[0].startswith("nudger: snoozed — #3 snoozed")
    assert subjects[1].startswith("nudger: stage changed — #2 Northwind is now interviewing")
    assert subjects[2].startswith("nudger: logged — #1: logged call")


def test_a_confirmation_template_that_fails_on_real_values_is_retried(tmp_path: Path) -> None:
    """The user's confirmation template passed check (sample values) but fails on this
    row's: the pass goes on, the row waits for a fixed template, nothing half-built is
    sent; once the template is fixed the confirmation goes out."""
    from nudger.digest.render import Renderer
    from tests.digest_helpers import make_settings

    with SmtpServer("plain") as server:
        world = smtp_world(tmp_path, server.smtp_config(tmp_path))
        templates = tmp_path / "cfg" / "templates"
        templates.mkdir()
        broken = templates / "confirmation.txt.j2"
        broken.write_text("{% if done %}{{ done[0].text[1000] }}{% endif %}ok\n")
        world.settings = make_settings(tmp_path / "cfg",
                                       extra=server.smtp_config(tmp_path))
        world.handle(reply("log 1 call"))
        [line] = send(world)
        assert line.startswith("confirmation 1: not written (") and "confirmation.txt.j2:1" \
            in line, line
        assert server.messages == []
        [row] = rows(world)
        assert row.reply_state == "retry" and "confirmation.txt.j2:1" in row.reply_error
        broken.write_text("fixed: {{ done|length }}\n")
        Renderer.for_dir(world.settings.templates_dir, fresh=True).install(
            world.settings.templates_dir)
        assert send(world, NOW + timedelta(minutes=2)) == ["confirmation 1: sent"]
        assert server.messages[0].message.get_content().strip() == "fixed: 1"
