"""The inputs of tests/send/test_message_kinds.py: one case per mail kind and variant, each
rendered by the one message builder and compared with the bytes in
tests/fixtures/messages/ (what the builders produced before the confirmation and the test
mail moved into templates). Message-IDs that carry random bits are replaced by MSGID."""

from __future__ import annotations

import json

from tests.clock import NOW

MSGID = b"<MSGID@fixture>"

USAGE_LINE = "done / skip / snooze N 3 days / log / stage / note / add / resume / accept / dismiss"


def outcome(line: str, ok: bool, text: str, next_: str = "", verb: str = "") -> dict[str, object]:
    return {"line": line, "ok": ok, "text": text, "next": next_, "verb": verb}


# (name, message_id, subject of the command mail, outcomes, refusal)
CONFIRMATIONS: list[tuple[str, str, str, list[dict[str, object]], str]] = [
    ("one-done", "<cmd-1@example.com>", "Re: Your follow-ups — Tue 24 Nov",
     [outcome("done 3", True, "#3: done follow-up email (Acme)",
              "next for #3 Acme: thank-you note on 2026-12-01", "done")], ""),
    ("one-snooze-quoted", "<cmd-2@example.com>", "It's Zoë's \"reply\"",
     [outcome("snooze 3 3 days", True, "#3: snoozed until 2026-11-27", "", "snooze")], ""),
    ("three-done-no-id", "", "",
     [outcome("done 1", True, "#1: done follow-up email (Fabrikam)", "", "done"),
      outcome("note 2 called", True, "#2: noted", "next for #2 Northwind: call", "note"),
      outcome("add Acme / AE / dana@acme.example", True, "#4: added Acme, AE", "", "add")],
     ""),
    ("mixed", "<cmd-4@example.com>", "commands",
     [outcome("done 1", True, "#1: done follow-up email (Fabrikam)", "", "done"),
      outcome("stage 2 hired", True, "#2: stage changed to offer", "", "stage"),
      outcome("done 42", False, "no application #42; open ones: #1 Fabrikam, #2 Northwind"),
      outcome("frobnicate", False, "")], ""),
    ("already", "<cmd-5@example.com>", "Done: #3 Acme",
     [outcome("done 3", False, "already done on Tue 24 Nov 07:31 (done 3); nothing "
              "recorded", "next for #3 Acme: call on 2026-12-03", "already")], ""),
    ("refused", "<cmd-6@example.com>", "",
     [outcome("", False, "your message is not a reply to a digest nudger sent you (a "
              "forwarded or new message does not count, and digests no longer print a "
              "reply key). Reply to a recent digest with `done 3`", "", "refused")],
     "not a reply to a digest"),
    ("nothing-done", "<cmd-7@example.com>", "Re: x",
     [outcome("done 42", False, "no application #42"),
      outcome("snooze 1 someday", False, "'someday' is not a duration; write '3 days'"),
      outcome("", False, "no command found; write one per line: " + USAGE_LINE)], ""),
    ("all-already", "<cmd-8@example.com>", "Re: buttons",
     [outcome("done 3", False, "already done", "", "already"),
      outcome("skip 2", False, "already skipped", "", "already")], ""),
    ("hostile-long", "<cmd-9@example.com>",
     "Re:\x00 bell\x07 and\tTAB\u202e évolué " + "long subject words " * 10,
     [outcome("log 3 call " + "talked at length " * 8, True,
              "#3: logged call: " + "talked at length " * 8 + "\u202eevil\x1b[31m", "",
              "log")], ""),
]

# (name, to_name, to_addr, subject, body, in_reply_to, references)
DRAFTS = [
    ("draft-new", "Priya Nair", "priya@fabrikam.example", "Following up: Account Executive",
     "Hi Priya,\n\nI applied for the Account Executive role on 17 Nov.\n\nAlex Rivera\n"
     "+1 312 555 0100", "", ()),
    ("draft-reply", "Zoë O'Brien, PhD", "zoe@acme.example", "Re: Our call — next steps",
     "Hi Zoë,\n\nThank you for your time today. " + "A long sentence about the role. " * 5
     + "\n\nAlex", "<last@acme.example>", ("<first@acme.example>", "<last@acme.example>")),
]

# (name, extra config)
PROBES = [
    ("test-maildir", ""),
    ("test-smtp", '\n[delivery]\nmethod = "smtp"\nfrom = "Job Bot <bot@example.com>"\n'
     '[smtp]\nhost = "smtp.example.com"\nusername = "alex"\n'),
]


def command_row(index: int):  # type: ignore[no-untyped-def]
    from nudger.store.models import MailCommand

    name, message_id, subject, outcomes, refusal = CONFIRMATIONS[index]
    return MailCommand(id=index + 1, message_key=message_id or f"hash-{name}",
                       message_id=message_id, subject=subject, processed_at=NOW,
                       outcome=json.dumps(outcomes), refusal=refusal)
