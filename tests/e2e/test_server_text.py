"""Issue 13, class 4: what a server says, in any charset, never crashes a send.

A German server refuses the recipient with `550 5.1.1 Empfänger unbekannt` in Latin-1
(raw bytes on the wire, not UTF-8). The digest is recorded as a permanent failure with
that text, readable (no surrogates, no "internal error"), `status` and `test-email` show
it, and it is never retried.
"""

from __future__ import annotations

from tests.e2e.conftest import World

MORNING = "@2027-02-01 13:00:00"
LATER = "@2027-02-01 13:30:00"
REPLY = "550 5.1.1 Empfänger unbekannt".encode("latin-1")


def no_surrogates(text: str) -> bool:
    return not any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)


def test_a_latin1_refusal_is_a_readable_permanent_failure(world: World) -> None:
    world.server.handler.replies["RCPT"] = REPLY
    sent = world.run("run", "--once", faketime=MORNING)
    assert "Traceback" not in sent.stderr and "internal error" not in sent.stderr
    state = world.rows("SELECT state, last_error, last_code FROM digest")
    assert len(state) == 1
    (value, error, code), = state
    assert value == "failed" and code == 550, state
    assert "Empfänger unbekannt" in error and no_surrogates(error)

    world.run("run", "--once", faketime=LATER)  # permanent: not retried
    assert world.server.messages == []
    assert world.server.verbs().count("RCPT") == 1

    status = world.run("status", faketime=LATER)
    assert status.returncode == 0, status.stderr
    assert "Empfänger unbekannt" in status.stdout and no_surrogates(status.stdout)

    probe = world.run("test-email", faketime=LATER)
    assert probe.returncode == 1, probe.stderr
    assert "Empfänger unbekannt" in probe.stderr and "Traceback" not in probe.stderr
    assert no_surrogates(probe.stderr)
