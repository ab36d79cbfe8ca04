"""`nudger digest` and `nudger check` through the CLI entry point, against real files."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default

import pytest

from tests.clock import NOW, frozen  # Tuesday 07:30 in Chicago
from tests.conftest import Home, run_installed


@pytest.fixture
def clock() -> Iterator[None]:
    with frozen(NOW):
        yield


@pytest.fixture
def hunted(home: Home, clock: None) -> Home:
    home.ok("add", "Acme", "Account Executive", "--applied", "2026-11-17",
            "--contact", "Dana Lee <dana@acme.example>")
    home.ok("add", "Globex", "Sales Rep", "--applied", "2026-11-18")
    return home


def test_digest_prints_text_and_writes_html_and_eml(hunted: Home) -> None:
    html = hunted.root / "d.html"
    eml = hunted.root / "d.eml"
    out = hunted.ok("digest")
    assert "Your follow-ups for Tuesday 24 November 2026" in out
    assert "nudger done 1" in out and "nudger done 2" in out
    # To files: one line each saying where, not the whole text digest again.
    result = hunted.run("digest", "--html", str(html), "--eml", str(eml))
    assert result.code == 0 and result.err == ""
    assert result.out.splitlines() == [
        f"wrote the HTML part of the digest of 2026-11-24 to {html}",
        f"wrote the digest of 2026-11-24 as a message to {eml}"]
    assert hunted.ok("digest", "--html", str(html), "--quiet") == ""
    assert "<html" in html.read_text(encoding="utf-8")
    msg = message_from_bytes(eml.read_bytes(), policy=default)
    assert msg["Subject"] == "2 follow-ups today: Acme, Globex"
    assert msg.get_body(("plain",)).get_content().strip() == out.strip()  # type: ignore[union-attr]


def test_digest_for_another_date(hunted: Home) -> None:
    out = hunted.ok("digest", "--date", "2026-11-18")
    assert "Nothing is due today" in out


def test_digest_bad_date_is_usage_error(hunted: Home) -> None:
    result = hunted.run("digest", "--date", "someday")
    assert result.code == 2 and "--date" in result.err


def test_check_passes(hunted: Home) -> None:
    out = hunted.ok("check")
    assert f"config: {hunted.config}" in out
    assert "templates: compiled and test-rendered" in out
    assert "passes the integrity check; schema" in out and "all checks passed" in out


def test_broken_user_template_exit_78_with_file_and_line(hunted: Home) -> None:
    drafts = hunted.config.parent / "templates" / "drafts"
    drafts.mkdir(parents=True)
    (drafts / "email.txt.j2").write_text("Hi\n{{ contact.nmae }}\n", encoding="utf-8")
    result = hunted.run("check")
    assert result.code == 78
    assert f"{drafts / 'email.txt.j2'}:2: undefined variable" in result.err
    result = hunted.run("digest")
    assert result.code == 78
    assert f"{drafts / 'email.txt.j2'}:2:" in result.err
    assert result.out == ""  # nothing half-rendered
    (drafts / "email.txt.j2").write_text("Hi {% if %}\n", encoding="utf-8")
    result = hunted.run("check")
    assert result.code == 78 and f"{drafts / 'email.txt.j2'}:1:" in result.err


def test_bad_config_exit_78(home: Home) -> None:
    home.write_config("[digest]\ntme = \"07:30\"\n")
    result = home.run("check")
    assert result.code == 78 and "tme" in result.err


def test_broken_database_exit_1(hunted: Home) -> None:
    data = bytearray(hunted.db_path.read_bytes())
    data[200:4096] = b"\xff" * (4096 - 200)  # clobber the first page's b-tree
    hunted.db_path.write_bytes(bytes(data))
    result = hunted.run("check")
    assert result.code == 1
    assert str(hunted.db_path) in result.err


def test_not_a_nudger_database_exit_78(home: Home) -> None:
    import sqlite3

    home.db_path.unlink()  # the fixture's is a nudger database: make a foreign one
    con = sqlite3.connect(home.db_path)
    con.execute("CREATE TABLE other (x)")
    con.commit()
    con.close()
    result = home.run("check")
    assert result.code == 78 and "is not a nudger database" in result.err


def test_help_has_examples() -> None:
    for command in ("digest", "check"):
        result = run_installed(command, "--help")
        assert result.returncode == 0 and "example:" in result.stdout
