"""Take the job hunt out: JSON with everything (what `nudger import` reads back), and a CSV
that a spreadsheet opens cleanly, with formula-like cells defused.

Both read the store in a constant number of queries; neither reads the clock (`now` is
passed in and only stamps the JSON).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any, TextIO

from sqlmodel import Session, col, select

from nudger.importers import JSON_FORMAT, JSON_VERSION
from nudger.models import Application, Contact, Snooze, StageChange, Touch

# A spreadsheet evaluates a cell that starts with one of these as a formula (CSV injection:
# `=HYPERLINK(...)`, `@SUM(...)`, `-2+3`): a leading apostrophe makes it text. `nudger
# import` removes that apostrophe again.
FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r")

CSV_COLUMNS = ("ID", "Company", "Role", "Stage", "Stage since", "Applied", "URL", "Location",
               "Address", "Source", "Deadline", "Interview", "Contact", "Email", "Phone",
               "Other contacts", "Touches", "Last touch", "Notes")


def defuse(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_LEAD) else value


def _moment(value: datetime | None) -> str | None:
    """Stored datetimes are UTC (SQLite gives them back naive): say so in the text."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _grouped(session: Session, model: Any, order: Any) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for row in session.exec(select(model).order_by(col(model.application_id), order)).all():
        out.setdefault(row.application_id, []).append(row)
    return out


def export_data(session: Session, now: datetime) -> dict[str, Any]:
    """Everything nudger knows of the job hunt, JSON-able; five queries in all."""
    apps = session.exec(select(Application).order_by(col(Application.id))).all()
    contacts = _grouped(session, Contact, col(Contact.id))
    touches = _grouped(session, Touch, col(Touch.id))
    changes = _grouped(session, StageChange, col(StageChange.id))
    snoozes = _grouped(session, Snooze, col(Snooze.id))
    out = []
    for app in apps:
        assert app.id is not None
        out.append({
            "id": app.id, "company": app.company, "role": app.role, "url": app.url,
            "location": app.location, "address": app.address, "source": app.source,
            "applied_on": _day(app.applied_on), "stage": app.stage,
            "stage_since": _day(app.stage_since), "deadline": _day(app.deadline),
            "interview_at": _moment(app.interview_at), "notes": app.notes,
            "created_at": _moment(app.created_at), "updated_at": _moment(app.updated_at),
            "contacts": [
                {"name": c.name, "email": c.email, "phone": c.phone, "social": c.social,
                 "kind": c.kind, "notes": c.notes} for c in contacts.get(app.id, [])
            ],
            "stage_changes": [
                {"stage": s.stage, "changed_on": _day(s.changed_on), "note": s.note,
                 "created_at": _moment(s.created_at)} for s in changes.get(app.id, [])
            ],
            "touches": [
                {"action": t.action, "touched_on": _day(t.touched_on), "note": t.note,
                 "stage": t.stage, "step": t.step, "skipped": t.skipped,
                 "created_at": _moment(t.created_at)} for t in touches.get(app.id, [])
            ],
            "snoozes": [
                {"until": _day(s.until), "created_at": _moment(s.created_at)}
                for s in snoozes.get(app.id, [])
            ],
        })
    return {"format": JSON_FORMAT, "version": JSON_VERSION, "exported_at": _moment(now),
            "applications": out}


def csv_rows(data: dict[str, Any]) -> Iterable[list[str]]:
    """One row per application (first contact in its own columns), from `export_data`."""
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


def write_csv(data: dict[str, Any], out: TextIO) -> int:
    """Write the CSV; returns the number of applications. `out` is opened with newline=''."""
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    count = -1
    for row in csv_rows(data):
        writer.writerow(row)
        count += 1
    return count
