"""Issue 13, class 7: escape sequences and bidi overrides in the data never reach the
terminal raw.

A company name holding `ESC ] 0 ; … BEL` (retitles the terminal), `ESC [ 31 m` (colours
the rest), a C1 CSI and U+202E (reverses the line), from the command line, a CSV import
or a server's reply, is printed visibly by list, show, due, digest and status; JSON output
stays valid JSON that decodes to the very same name.
"""

from __future__ import annotations

import json

from tests.e2e.conftest import World

NOW = "@2026-11-30 13:00:00"
HOSTILE = "Evil\x1b]0;pwned\x07 \x1b[31mRed\x9b2J \u202eoC gnaD"
RAW = ("\x1b", "\x07", "\x9b", "\u202e")


def _clean(text: str) -> None:
    for ch in RAW:
        assert ch not in text, f"raw {ch!r} in {text!r}"


def test_escapes_in_data_are_shown_never_executed(world: World) -> None:
    world.ok("add", HOSTILE, "Role \x1b[2J", "--applied", "2026-11-02", faketime=NOW)
    csv = world.root / "in.csv"
    csv.write_text("company,role,applied\n\"Csv\x1b]0;title\x07Co\",Seller,2026-11-03\n",
                   encoding="utf-8")
    world.ok("import", str(csv), faketime=NOW)
    (app_id,) = next(r for r in world.rows("SELECT id FROM application WHERE company LIKE "
                                           "'Evil%'"))
    outputs = {}
    for args in (("list",), ("show", str(app_id)), ("due",), ("digest",), ("stats",)):
        result = world.run(*args, faketime=NOW)
        assert result.returncode == 0, result.stderr
        _clean(result.stdout + result.stderr)
        outputs[args[0]] = result.stdout
    assert "\\x1b]0;pwned\\x07" in outputs["show"]
    assert "<U+202E>" in outputs["show"]
    assert "\\x1b]0;title\\x07" in outputs["list"]
    assert "Evil" in outputs["digest"] and "<U+202E>" in outputs["digest"]

    # JSON: still JSON, and it decodes to the exact name.
    exported = world.run("export", "--format", "json", faketime=NOW)
    _clean(exported.stdout)
    names = {a["company"] for a in json.loads(exported.stdout)["applications"]}
    assert HOSTILE in names


def test_a_servers_reply_with_escapes_is_shown_safely_by_status(world: World) -> None:
    world.server.handler.replies["DATA"] = "550 5.1.1 \x1b]0;owned\x07 \x1b[31mno such user"
    result = world.run("digest", "--send", faketime=NOW)
    _clean(result.stdout + result.stderr)
    status = world.run("status", faketime=NOW)
    _clean(status.stdout + status.stderr)
    assert "no such user" in status.stdout + status.stderr
