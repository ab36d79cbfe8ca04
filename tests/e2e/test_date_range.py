"""Issue 13, class 1: dates past the calendar's end.

nudger accepts dates from 1900-01-01 to 9000-12-31 (README, "Dates"). Every door refuses
a date outside that range with a message naming the value and the range (exit 2, the
database unchanged); a database that already holds such a row (written with sqlite3,
around nudger) still lists, shows and sends every other application's nudges, without a
traceback anywhere.
"""

from __future__ import annotations

import json
import sqlite3

from tests.e2e.conftest import World

MORNING = "@2027-02-01 13:00:00"
RANGE = "1900-01-01 to 9000-12-31"


def refused(world: World, *args: str, value: str) -> None:
    result = world.run(*args, faketime=MORNING)
    shown = " ".join(args)
    assert result.returncode == 2, f"nudger {shown}: {result.returncode} {result.stderr}"
    assert "Traceback" not in result.stderr
    assert value in result.stderr and RANGE in result.stderr, result.stderr


def test_the_doors_refuse_a_date_out_of_range(world: World) -> None:
    """A few doors of the installed program (tests/when/test_date_range.py tries them all)."""
    before = world.rows("SELECT * FROM application"), world.rows("SELECT * FROM touch")
    refused(world, "add", "Bad Co", "AE", "--applied", "9999-12-31", value="9999-12-31")
    refused(world, "log", "1", "email", "--date", "1899-12-31", value="1899-12-31")
    exported = json.loads(world.ok("export", "--format", "json"))
    app = {**exported["applications"][0], "company": "Other", "deadline": "9999-12-31"}
    path = world.root / "late.json"
    path.write_text(json.dumps({**exported, "applications": [app]}), encoding="utf-8")
    result = world.run("import", str(path))
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "9999-12-31" in result.stderr and RANGE in result.stderr, result.stderr
    assert (world.rows("SELECT * FROM application"), world.rows("SELECT * FROM touch")) \
        == before


def test_a_row_past_the_end_stops_nothing(world: World) -> None:
    """Rows written around nudger's checks: every other application still gets its
    digest, from the command line and from the daemon."""
    created = "2027-01-20 00:00:00.000000"
    con_rows = [
        *(("INSERT INTO application (company, role, url, location, address, source, "
           "applied_on, stage, stage_since, notes, created_at, updated_at) VALUES "
           f"('{name}', 'AE', '', '', '', '', '2027-01-20', 'applied', '2027-01-20', '', "
           f"'{created}', '{created}')")
          for name in ("Late", "Due", "Touched", "Snoozed", "Interview", "Ancient")),
        ("UPDATE application SET applied_on = '9999-12-31', stage_since = '9999-12-31' "
         "WHERE company = 'Late'"),
        "UPDATE application SET stage = 'offer', deadline = '9999-12-31' WHERE company = 'Due'",
        ("INSERT INTO touch (application_id, action, touched_on, note, stage, step, skipped, "
         f"created_at) SELECT id, 'email', '9999-12-31', '', 'applied', 1, 0, '{created}' "
         "FROM application WHERE company = 'Touched'"),
        ("INSERT INTO snooze (application_id, until, created_at) SELECT id, '9999-12-31', "
         f"'{created}' FROM application WHERE company = 'Snoozed'"),
        ("UPDATE application SET stage = 'interviewing', stage_since = '2027-01-25', "
         "interview_at = '9999-12-31 23:59:00.000000' WHERE company = 'Interview'"),
        ("UPDATE application SET applied_on = '0001-01-01', stage_since = '0001-01-01' "
         "WHERE company = 'Ancient'"),
    ]
    con = sqlite3.connect(world.db)
    with con:
        for statement in con_rows:
            con.execute(statement)
    con.close()

    for args in (("list",), ("due", "--days", "30"), ("show", "2"), ("show", "6")):
        result = world.run(*args, faketime=MORNING)
        assert result.returncode == 0, f"{args}: {result.stderr[-1500:]}"
        assert "Traceback" not in result.stderr
    assert "Acme" in world.ok("due", faketime=MORNING)

    result = world.run("run", "--once", faketime=MORNING)
    assert result.returncode == 0, result.stderr[-1500:]
    assert "Traceback" not in result.stderr
    (message,) = world.server.wait_for_messages(1)
    body = message.message.get_body(("plain",))
    assert body is not None and "Acme" in body.get_content()
    assert world.digests()["2027-02-01"][0] == "sent"
