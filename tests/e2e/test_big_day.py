"""Issue 13, class 3: a big day has a digest.

A user who imports a backlog of 800 applications has 800 nudges due at once. The digest
has a bounded size by design: the most urgent in full (overdue first), the next ones as
one line each, then "and N more: `nudger due`". It is sent on the first try, whatever
the count; a template that cannot render is a permanent failure, not an endless retry.
"""

from __future__ import annotations

import csv

from tests.e2e.conftest import World

MORNING = "@2027-02-01 13:00:00"
LATER = "@2027-02-01 15:00:00"


def backlog(world: World, count: int) -> None:
    sheet = world.root / "backlog.csv"
    with open(sheet, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["Company", "Position", "Date Applied", "Notes"])
        for i in range(count):
            # Spread over two weeks: some long overdue, some due today.
            out.writerow([f"Company {i:04d}", "Account Executive",
                          f"2027-01-{4 + i % 20:02d}", "x" * 300])
    world.ok("import", str(sheet), faketime=MORNING)


def test_eight_hundred_due_nudges_make_one_bounded_digest(world: World) -> None:
    backlog(world, 800)
    due = world.ok("due", "--json", faketime=MORNING)
    assert due.count('"command": "nudger done') >= 780  # nearly all of them are due

    sent = world.run("run", "--once", faketime=MORNING)
    assert sent.returncode == 0, sent.stderr[-2000:]
    (message,) = world.server.wait_for_messages(1)
    assert world.digests()["2027-02-01"][0] == "sent"
    assert len(message.data) < 1_000_000  # bounded: not 800 drafts
    text = message.message.get_body(("plain",))
    html = message.message.get_body(("html",))
    assert text is not None and html is not None
    body = text.get_content()
    assert "IN BRIEF" in body and "more: `nudger due` lists them all" in body
    assert "OVERDUE" in body
    # The most urgent (longest overdue: applied 2027-01-04) are in full, with a draft.
    first = body.index("OVERDUE")
    assert "Company 0000" in body[first:body.index("IN BRIEF")]
    assert "nudger due" in html.get_content()
    # Nothing was retried: one attempt, one message.
    world.run("run", "--once", faketime=LATER)
    assert len(world.server.messages) == 1


def test_a_template_that_cannot_render_is_not_retried(world: World) -> None:
    templates = world.root / "templates"
    templates.mkdir()
    # Passes `nudger check` (its sample data has no "Boom"), fails on the real day's.
    (templates / "digest.txt.j2").write_text(
        "{% if 'Boom' in companies %}{{ 'x' * 3000000 }}{% endif %}{{ count }} due\n",
        encoding="utf-8")
    world.ok("add", "Boom", "AE", "--applied", "2027-01-20", faketime=MORNING)
    sent = world.run("run", "--once", faketime=MORNING)
    assert "Traceback" not in sent.stderr
    state = world.rows("SELECT state, last_error FROM digest")
    assert state[0][0] == "failed", state
    assert "digest --send --force" in state[0][1]
    world.run("run", "--once", faketime=LATER)
    assert world.rows("SELECT attempts FROM digest")[0][0] == 1
    assert world.server.messages == []
