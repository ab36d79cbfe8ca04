"""nudger's own JSON, in and out: everything nudger knows of the job hunt (contacts,
touches, stage history, snoozes), written by `nudger export --format json` and read back by
`nudger import` (a backup restores with its IDs).

Both directions read the store in a constant number of queries; neither reads the clock
(`now` is passed in: it stamps the export, and dates imported rows that carry no time).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from nudger.errors import DataError, UsageError
from nudger.store.models import Application, Contact, Snooze, StageChange, Touch, table_of
from nudger.store.scope import ALL_SEEKERS, NewIds, next_numbers, writing_seeker
from nudger.track import tracker
from nudger.transfer.matching import Known
from nudger.transfer.options import ImportOptions
from nudger.transfer.report import ImportReport
from nudger.vocab import ACTIONS, CONTACT_KINDS, STAGES
from nudger.when.dates import DATE_RANGE, in_range
from nudger.when.times import as_utc

_D = TypeVar("_D", bound=date)

JSON_FORMAT = "nudger"
JSON_VERSION = 1


# --- out ---------------------------------------------------------------------------------

def _moment(value: datetime | None) -> str | None:
    """Stored datetimes are UTC (SQLite gives them back naive): say so in the text."""
    return None if value is None else as_utc(value).isoformat()


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _grouped(session: Session, model: Any, order: Any) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for row in session.exec(select(model).order_by(col(model.application_id), order)).all():
        out.setdefault(row.application_id, []).append(row)
    return out


def export_data(session: Session, now: datetime) -> dict[str, Any]:
    """Everything nudger knows of the job hunt, JSON-able; five queries in all."""
    apps = session.exec(select(Application).order_by(col(Application.number))).all()
    contacts = _grouped(session, Contact, col(Contact.id))
    touches = _grouped(session, Touch, col(Touch.id))
    changes = _grouped(session, StageChange, col(StageChange.id))
    snoozes = _grouped(session, Snooze, col(Snooze.id))
    out = []
    for app in apps:
        assert app.id is not None
        out.append({
            "id": app.number, "company": app.company, "role": app.role, "url": app.url,
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


# --- in ----------------------------------------------------------------------------------

# SQLite's INTEGER is 64-bit signed; JSON integers are unbounded.
MAX_INT = 2**63 - 1


class _Json:
    """Typed reads from the parsed JSON; errors name the file and the item's path."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, message: str) -> DataError:
        return DataError(f"{self.path} ({where}): {message}; nothing was imported")

    def obj(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "expected an object {...}")
        return value

    def items(self, data: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
        value = data.get(key, [])
        if not isinstance(value, list):
            raise self.fail(f"{where}.{key}", "expected a list [...]")
        return [self.obj(v, f"{where}.{key}[{i}]") for i, v in enumerate(value)]

    def text(self, data: dict[str, Any], key: str, where: str, *, required: bool = False,
             one_line: bool = False) -> str:
        value = data.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise self.fail(f"{where}.{key}", f"expected a string, not {value!r}"[:120])
        if required and not value.strip():
            raise self.fail(f"{where}.{key}", "must not be empty")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            # JSON may spell half of a surrogate pair ("\ud800"): not a character.
            raise self.fail(f"{where}.{key}", f"holds a lone surrogate "
                            f"(\\u{ord(value[exc.start]):04x} at character {exc.start}), "
                            "which is not text") from None
        try:
            tracker.check_text(key, value, one_line=one_line)
        except UsageError as exc:
            raise self.fail(f"{where}.{key}", str(exc)) from None
        return value

    def _iso(self, value: Any, parse: Callable[[str], _D], field: str, example: str) -> _D:
        """`value` read by `parse` (an ISO form), within the dates nudger accepts."""
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            found = parse(value)
        except ValueError:
            raise self.fail(field, f"{value!r} is not {example}") from None
        if not in_range(found.date() if isinstance(found, datetime) else found):
            raise self.fail(field, f"{value!r} is out of range; nudger accepts dates from "
                            f"{DATE_RANGE}")
        return found

    def day(self, data: dict[str, Any], key: str, where: str, *, required: bool = False
            ) -> date | None:
        value = data.get(key)
        if value is None:
            if required:
                raise self.fail(f"{where}.{key}", "missing; expected a date like 2026-11-20")
            return None
        return self._iso(value, date.fromisoformat, f"{where}.{key}", "a date like 2026-11-20")

    def moment(self, data: dict[str, Any], key: str, where: str, default: datetime | None
               ) -> datetime | None:
        value = data.get(key)
        if value is None:
            return default
        parsed = self._iso(value, datetime.fromisoformat, f"{where}.{key}",
                           "a time like 2026-11-20T14:30:00+00:00")
        try:
            return as_utc(parsed)
        except OverflowError:  # year 1 at +05:00 is before the calendar's first moment
            raise self.fail(f"{where}.{key}", f"{value!r} is out of range in UTC") from None

    def choice(self, data: dict[str, Any], key: str, where: str, valid: Sequence[str],
               default: str | None = None) -> str:
        value = data.get(key, default)
        if value not in valid:
            raise self.fail(f"{where}.{key}", f"{value!r} is not valid; valid: "
                            f"{', '.join(valid)}")
        return str(value)


def import_json(session: Session, path: Path, options: ImportOptions, *, now: datetime
                ) -> ImportReport:
    """nudger's own export, with contacts, touches, stage history and snoozes. Application
    IDs are kept when none of them is taken in this database (a restore), else renumbered."""
    report = ImportReport(path, "json", options.dry_run, encoding="UTF-8")
    now = as_utc(now)  # stored datetimes are UTC
    try:
        with path.open("rb") as f:
            data = json.load(f)
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 JSON ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg}, column {exc.colno})"
                        "; expected the file `nudger export --format json` writes") from None
    except RecursionError:
        raise DataError(f"{path}: JSON nested too deeply; expected the file "
                        "`nudger export --format json` writes") from None
    j = _Json(path)
    top = j.obj(data, "top level")
    if top.get("format") != JSON_FORMAT:
        raise j.fail("format", f"expected \"format\": \"{JSON_FORMAT}\" (a file written by "
                     "`nudger export --format json`); for a spreadsheet, export it as CSV")
    if top.get("version") != JSON_VERSION:
        raise j.fail("version", f"{top.get('version')!r} is not a version this nudger reads "
                     f"({JSON_VERSION})")
    apps = j.items(top, "applications", "top level")
    seeker = writing_seeker(session)
    next_numbers(session.connection(), seeker, 0)  # the seeker's numbers are ours till commit
    known = Known.load(session)
    # A file's "id" is the application's number (#12, per seeker): kept when none of them
    # is taken by this seeker. The internal id is the same number where it is free in the
    # whole database (always, for a single user), else a new one (nudger/store/scope.py).
    taken = {row[0] for row in session.execute(sa_select(col(Application.number))).all()}
    wanted = [a.get("id") for a in apps]
    keep_ids = (all(isinstance(i, int) and not isinstance(i, bool) and 0 < i <= MAX_INT
                    for i in wanted)
                and len(set(wanted)) == len(wanted) and not (set(wanted) & taken))
    next_id = max(taken | {0} | ({i for i in wanted if isinstance(i, int)} if keep_ids
                                 else set())) + 1
    ids = NewIds(session.connection())
    anywhere = ids.taken_anywhere()
    rows: dict[Any, list[dict[str, Any]]] = {Application: [], Contact: [], Touch: [],
                                             StageChange: [], Snooze: []}
    for n, app in enumerate(apps):
        where = f"applications[{n}]"
        report.rows += 1
        company = j.text(app, "company", where, required=True, one_line=True)
        role = j.text(app, "role", where, required=True, one_line=True)
        stage = j.choice(app, "stage", where, STAGES)
        applied_on = j.day(app, "applied_on", where)
        url = j.text(app, "url", where, one_line=True)
        values = {
            "company": company, "role": role, "url": url,
            "location": j.text(app, "location", where, one_line=True),
            "address": j.text(app, "address", where),
            "source": j.text(app, "source", where, one_line=True),
            "notes": j.text(app, "notes", where),
            "applied_on": applied_on, "stage": stage,
            "stage_since": j.day(app, "stage_since", where, required=True),
            "deadline": j.day(app, "deadline", where),
            "interview_at": j.moment(app, "interview_at", where, None),
            "created_at": j.moment(app, "created_at", where, now),
            "updated_at": j.moment(app, "updated_at", where, now),
        }
        children = _json_children(j, app, where, now)
        label = f"{company} — {role} ({stage})"
        match = known.match(url, company, role, applied_on)
        if match is not None:
            app_id, _, seen = match
            reason = (f"same as applications[{seen}]" if seen is not None
                      else f"already there as #{app_id}")
            report.skipped.add(f"{where}: {label}: {reason}")
            continue
        number = app["id"] if keep_ids else next_id
        next_id = max(next_id, number + 1)
        app_id = number if number not in anywhere else ids.take()
        anywhere.add(app_id)
        known.remember(app_id, url, company, role, applied_on, stage, n)
        report.added.add(f"{where}: {label}")
        rows[Application].append({"id": app_id, "number": number, **values})
        for model, items in children.items():
            for item in items:
                rows[model].append({"application_id": app_id, **item})
        report.contacts += len(children[Contact])
        report.touches += len(children[Touch])
    if not options.dry_run:
        connection = session.connection()
        for model, items in rows.items():
            if items:
                connection.execute(table_of(model).insert(),
                                   [{"seeker_id": seeker, **item} for item in items])
        if connection.dialect.name == "postgresql" and rows[Application]:
            # Ids written by hand: the sequence moves past them, for the next `add`.
            connection.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('application', 'id'), greatest("
                f"(SELECT max(id) FROM application {ALL_SEEKERS}), "
                "(SELECT last_value FROM application_id_seq)))")
    return report


def _json_children(j: _Json, app: dict[str, Any], where: str, now: datetime
                   ) -> dict[Any, list[dict[str, Any]]]:
    out: dict[Any, list[dict[str, Any]]] = {Contact: [], Touch: [], StageChange: [],
                                            Snooze: []}
    for i, c in enumerate(j.items(app, "contacts", where)):
        at = f"{where}.contacts[{i}]"
        out[Contact].append({
            "name": j.text(c, "name", at, required=True, one_line=True),
            "email": j.text(c, "email", at, one_line=True),
            "phone": j.text(c, "phone", at, one_line=True),
            "social": j.text(c, "social", at, one_line=True),
            "kind": j.choice(c, "kind", at, CONTACT_KINDS, "hiring-manager"),
            "notes": j.text(c, "notes", at),
        })
    for i, t in enumerate(j.items(app, "touches", where)):
        at = f"{where}.touches[{i}]"
        step = t.get("step")
        if step is not None and (not isinstance(step, int) or isinstance(step, bool)
                                 or not 1 <= step <= MAX_INT):
            raise j.fail(f"{at}.step", f"{step!r} is not a step number (1, 2, ...) or null")
        skipped = t.get("skipped", False)
        if not isinstance(skipped, bool):
            raise j.fail(f"{at}.skipped", "expected true or false")
        out[Touch].append({
            "action": j.choice(t, "action", at, ACTIONS),
            "touched_on": j.day(t, "touched_on", at, required=True),
            "note": j.text(t, "note", at), "stage": j.choice(t, "stage", at, STAGES),
            "step": step, "skipped": skipped,
            "created_at": j.moment(t, "created_at", at, now),
        })
    for i, s in enumerate(j.items(app, "stage_changes", where)):
        at = f"{where}.stage_changes[{i}]"
        out[StageChange].append({
            "stage": j.choice(s, "stage", at, STAGES),
            "changed_on": j.day(s, "changed_on", at, required=True),
            "note": j.text(s, "note", at),
            "created_at": j.moment(s, "created_at", at, now),
        })
    for i, s in enumerate(j.items(app, "snoozes", where)):
        at = f"{where}.snoozes[{i}]"
        out[Snooze].append({
            "until": j.day(s, "until", at, required=True),
            "created_at": j.moment(s, "created_at", at, now),
        })
    return out


def looks_like_json(path: Path) -> bool:
    if path.suffix.lower() == ".json":
        return True
    try:
        with path.open("rb") as f:
            head = f.read(64).lstrip(codecs.BOM_UTF8).lstrip()
    except OSError:
        return False
    return head.startswith(b"{")
