"""Command mail: one-tap buttons and replies to the digest, read, checked and carried out:
`parse` (the lines of a message, pure), `authorise` (who may command, and with what),
`execute` (one command, through the same library calls as the CLI) and `handle` (one
message from candidate to result, and the sync's command step).

A message is a *candidate* when it is addressed to the command address (when that differs
from the owner's own), carries a token, or answers a digest. A candidate is carried out
only when every rule of docs/mailbox.md holds, checked in this order:

1. not auto-submitted (`Auto-Submitted` other than `no`, `X-Autoreply`, `Precedence:
   auto_reply/bulk/list`): robots never command;
2. From is the owner (`profile.email`, the parsed address, case-insensitive; exactly one
   From address);
3. no `Authentication-Results` header says dkim, dmarc or spf `fail` (a header an outsider
   adds can only make us refuse, never accept);
4. it answers a digest or a token authorises it: a reply whose In-Reply-To or References
   names the Message-ID of a digest nudger sent within the last 14 days (the outbox,
   `digest`; 96 random bits, so unguessable, and an inline forward does not carry it)
   allows every safe verb; a button's token only the very command it was made for
   (`tokens.py`), not older than 14 days. The digest prints no reply key (a forward
   would carry it), and an old digest's key line no longer authorises. A Done, Skip or
   Snooze button only while the step it was shown for (stage, step, due day: its pin) is
   the one next, and every button only once (`mailcommand_button`): otherwise it answers
   "already done" and records nothing;
5. its message key was not processed before (`mailcommand`, UNIQUE): recorded in the same
   transaction as the changes, so a crash or an IMAP failure between carrying out and
   marking seen never runs it twice.

A refusal is logged (why, and the Message-ID; never the token) and changes nothing. A
refused message from the owner (rules 1-3 hold, the token does not) is also recorded, with
why, and answered: what was wrong and what would work (`nudger status` lists them). A
stranger gets nothing back.
Commands are carried out through the same library calls as the CLI, each in its own
savepoint: one bad line is reported and the others still run. The owner — and only the
owner, `profile.email` — gets a confirmation (`confirm.py`).
"""
