"""CSV out: one row per application that a spreadsheet opens cleanly, with formula-like
cells defused (and `undefuse`, which `nudger import` applies to read them back)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, Any

# A spreadsheet evaluates a cell that starts with one of these as a formula (CSV injection:
# `=HYPERLINK(...)`, `@SUM(...)`, `-2+3`): a leading apostrophe makes it text. `nudger
# import` removes that apostrophe again.
FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r")

CSV_COLUMNS = ("ID", "Company", "Role", "Stage", "Stage since", "Applied", "URL", "Location",
               "Address", "Source", "Deadline", "Interview", "Contact", "Email", "Phone",
               "Other contacts", "Touches", "Last touch", "Notes")


def defuse(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_LEAD) else value


def undefuse(value: str) -> str:
    """Undo the `'` `defuse` puts before a formula-like cell."""
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_LEAD:
        return value[1:]
    return value


def csv_rows(data: dict[str, Any]) -> Iterable[list[str]]:
    """One row per application (first contact in its own columns), from
    `json_io.export_data`."""
    yield list(CSV_COLUMNS)
    for app in data["applications"]:
        contacts = app["contacts"]
        first = contacts[0] if contacts else {"name": "", "email": "", "phone": ""}
        others = "; ".join(
            f"{c['name']} <{c['email']}>" if c["email"] else c["name"] for c in contacts[1:]
        )
        done = [t for t in app["touches"] if not t["skipped"]]
        row = [
            str(app["id"]), app["company"], app["role"], app["stage"], app["stage_since"],
            app["applied_on"] or "", app["url"], app["location"], app["address"],
            app["source"], app["deadline"] or "", app["interview_at"] or "",
            first["name"], first["email"], first["phone"], others, str(len(done)),
            max((t["touched_on"] for t in done), default=""), app["notes"],
        ]
        yield [defuse(cell) for cell in row]


def write_csv(data: dict[str, Any], out: IO[str]) -> int:
    """Write the CSV; returns the number of applications. `out` is opened with newline=''."""
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    count = -1
    for row in csv_rows(data):
        writer.writerow(row)
        count += 1
    return count
