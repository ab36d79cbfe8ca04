"""Every mail kind through the one message builder (send.message): rendered from its
template trio and built with the headers set in one place, byte for byte what the builders
wrote before the confirmation, the refusal answer and the test mail moved from Python
strings into templates (tests/fixtures/messages/, captured from that code; the cases are
tests/send/message_cases.py)."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest

from nudger.digest.check import check_templates, install_templates
from nudger.digest.render import Renderer
from nudger.mail.act.confirm import compose_confirmation
from nudger.mail.act.drafts import Wanted, build_draft
from nudger.send.message import (
    CONFIRMATION,
    REFUSAL,
    TEMPLATED,
    TEST_EMAIL,
    make_message,
    probe_message,
    template_names,
)
from tests.digest_helpers import add_app, compose, make_db, make_settings
from tests.paths import FIXTURES
from tests.send import message_cases as mc


def expected(name: str) -> bytes:
    return (FIXTURES / "messages" / f"{name}.eml").read_bytes()


@pytest.mark.parametrize("index", range(len(mc.CONFIRMATIONS)),
                         ids=[c[0] for c in mc.CONFIRMATIONS])
def test_confirmations_and_refusals_are_unchanged(tmp_path: Path, index: int) -> None:
    settings = make_settings(tmp_path / "cfg")
    msg = compose_confirmation(settings, mc.command_row(index), mc.NOW)
    assert msg.as_bytes() == expected(f"confirmation-{mc.CONFIRMATIONS[index][0]}")


def test_a_refused_message_is_answered_from_the_refusal_templates(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "cfg")
    index = [c[0] for c in mc.CONFIRMATIONS].index("refused")
    templates = tmp_path / "cfg" / "templates"
    templates.mkdir()
    (templates / "refusal.subject.j2").write_text("Refused: {{ why[:20] }}")
    settings = make_settings(tmp_path / "cfg")
    msg = compose_confirmation(settings, mc.command_row(index), mc.NOW)
    assert msg["Subject"] == "Refused: your message is not"
    assert msg["X-Nudger-Kind"] == "confirmation"  # what mail filters know it by


@pytest.mark.parametrize("case", mc.DRAFTS, ids=[d[0] for d in mc.DRAFTS])
def test_drafts_are_unchanged(tmp_path: Path, case: tuple) -> None:  # type: ignore[type-arg]
    settings = make_settings(tmp_path / "cfg")
    name, to_name, to_addr, subject, body, irt, refs = case
    wanted = Wanted("k", 1, "follow-up", to_name, to_addr, subject, body, irt, refs)
    raw = build_draft(settings, wanted, "<0A1B2C3D-0000-1111-2222-333344445555@example.com>",
                      mc.NOW)
    assert raw == expected(name)


@pytest.mark.parametrize("case", mc.PROBES, ids=[p[0] for p in mc.PROBES])
def test_the_test_mail_is_unchanged(tmp_path: Path, case: tuple[str, str]) -> None:
    name, extra = case
    settings = make_settings(tmp_path / name, extra=extra)
    msg = probe_message(settings, mc.NOW.astimezone(settings.zone))
    assert msg.as_bytes().replace(str(msg["Message-ID"]).encode(), mc.MSGID) == expected(name)
    assert str(msg["Message-ID"]).endswith(".nudger-test@example.com>")


def test_the_digest_is_unchanged(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "cfg")
    db = make_db(settings)
    add_app(db, "Acme", contacts=["Dana Lee <dana@acme.example>"])
    add_app(db, "Zoë & Co <b>", "Ingénieure")
    composed = compose(settings, db)
    raw = composed.message.as_bytes().replace(composed.message_id.encode(), mc.MSGID)
    assert no_boundary(raw) == no_boundary(expected("digest"))


def no_boundary(raw: bytes) -> bytes:
    """The MIME boundary is random each time."""
    return re.sub(rb"===============\d+==", b"BOUNDARY", raw)


def test_every_kind_is_a_packaged_trio() -> None:
    renderer = Renderer.for_dir(None, fresh=True)
    for kind in TEMPLATED:
        for name in template_names(kind):
            assert renderer.exists(name), name
    assert template_names(TEST_EMAIL) == ("test-email.subject.j2", "test-email.txt.j2")


def user_override(tmp_path: Path, name: str, text: str):  # type: ignore[no-untyped-def]
    folder = tmp_path / "cfg"
    (folder / "templates").mkdir(parents=True, exist_ok=True)
    (folder / "templates" / name).write_text(text, encoding="utf-8")
    return make_settings(folder)


def test_the_user_overrides_the_test_mail(tmp_path: Path) -> None:
    settings = user_override(tmp_path, "test-email.txt.j2",
                             "Hello from {{ method }}, Zoë.\r\n\x00")
    assert check_templates(settings) == []
    msg = probe_message(settings, mc.NOW)
    parsed = message_from_bytes(msg.as_bytes(), policy=default)
    assert isinstance(parsed, EmailMessage)
    assert parsed.get_content() == "Hello from maildir, Zoë.\n"
    assert parsed["Subject"] == "nudger test message"


@pytest.mark.parametrize("name", [n for k in (CONFIRMATION, REFUSAL, TEST_EMAIL)
                                  for n in template_names(k)])
def test_check_names_a_broken_override_of_every_new_template(tmp_path: Path,
                                                              name: str) -> None:
    settings = user_override(tmp_path, name, "line one\n{{ no_such_value }}\n")
    problems = check_templates(settings)
    assert problems and problems[0].startswith(
        f"{tmp_path / 'cfg' / 'templates' / name}:2: undefined variable"), problems
    assert install_templates(settings) == problems  # and not put in force


def test_a_template_that_fails_only_on_real_data_is_a_config_error(tmp_path: Path) -> None:
    """What check cannot foresee still fails as one ConfigError naming the file and line,
    before any message exists."""
    from nudger.errors import ConfigError

    settings = user_override(tmp_path, "confirmation.txt.j2",
                             "{% if subject == 'boom' %}{{ 1 // 0 }}{% endif %}ok\n")
    assert check_templates(settings) == []
    with pytest.raises(ConfigError, match=r"confirmation\.txt\.j2:1: ZeroDivisionError"):
        make_message(settings, CONFIRMATION, {"done": [], "wrong": [], "usage": "",
                                              "subject": "boom"},
                     now=mc.NOW, message_id="<x@example.com>")
