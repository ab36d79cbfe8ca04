"""Seekers as a library: add, list, show, edit, enable/disable, remove and import from CSV
the people whose job hunts the database keeps (README, "Many seekers on PostgreSQL").

Data in, data out: every function takes the database and, where it writes, `now` (no clock
reads). Each seeker's `next_digest_at` (UTC; None while disabled) is computed here by
`nudger.when.next_digest` whenever what decides it changes, so the daemon's question "who
is due" is an index range (`nudger.store.seekers.due`).

Values are checked as config.toml checks its own: the email's shape (stored lower-cased),
an IANA zone (with a did-you-mean), "HH:MM", weekday names; a mistake is one `UsageError`
naming the option and what would be valid, and nothing is written.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nudger.errors import DataError, NotFoundError, NudgerError, UsageError
from nudger.vocab import is_email, text_problem
from nudger.when.next_digest import next_digest_at, parse_at, parse_days, parse_zone
from nudger.when.times import as_utc

if TYPE_CHECKING:
    from nudger.config import Settings
    from nudger.store.db import Database
    from nudger.store.models import Seeker

# The fields `edit` may change, and whether each must be one line.
EDITABLE = {"name": True, "email": True, "timezone": True, "digest_at": True,
            "digest_days": True, "phone": True, "pitch": False, "signature": False,
            "social": True}
# The columns of `seeker import`'s CSV file; email and name are required.
CSV_COLUMNS = ("email", "name", "timezone", "at", "days")
CHUNK = 1000  # rows per import transaction
SHOWN_PROBLEMS = 50  # problems an import lists before "... and N more"
DUE_BATCH = 500  # seekers a daemon pass takes at a time (`due_seekers`)


# --- sessions ----------------------------------------------------------------------------
# Administering seekers reads and writes across seekers (the seeker table, and every row of
# one seeker on removal), so its sessions are not one seeker's: when sessions are scoped to
# a seeker, these two are where that scope is left off.

def _reading(db: Database) -> AbstractContextManager[Any]:
    return db.read_session(every_seeker=True)


def _writing(db: Database) -> AbstractContextManager[Any]:
    return db.session(every_seeker=True)


# --- checking values ----------------------------------------------------------------------

def check_email(value: str, what: str = "the email") -> str:
    """The address lower-cased, or ValueError saying what one looks like."""
    email = value.strip().lower()
    if not email:
        raise ValueError(f"{what} is empty; write an address like alex@example.com")
    problem = text_problem(what, email, one_line=True)
    if problem:
        raise ValueError(problem)
    if not is_email(email):
        raise ValueError(f"{value.strip()!r} is not an email address; write one like "
                         "alex@example.com")
    return email


def check_text(name: str, value: str, *, one_line: bool = True, required: bool = False) -> str:
    value = value.strip() if one_line else value
    if required and not value:
        raise ValueError(f"{name} is empty; give the seeker's name, e.g. \"Alex Doe\"")
    problem = text_problem(name, value, one_line=one_line)
    if problem:
        raise ValueError(problem)
    return value


def _checked(option: str, check: Any, value: str) -> str:
    try:
        return str(check(value))
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


# --- reading ------------------------------------------------------------------------------

def view(seeker: Seeker) -> dict[str, Any]:
    """A seeker as JSON-able data (`seeker list --json`, `seeker show`)."""
    def moment(value: datetime | None) -> str | None:
        return None if value is None else as_utc(value).isoformat()

    return {
        "email": seeker.email, "name": seeker.name, "timezone": seeker.timezone,
        "at": seeker.digest_at, "days": seeker.digest_days, "enabled": bool(seeker.enabled),
        "next_digest_at": moment(seeker.next_digest_at), "phone": seeker.phone,
        "pitch": seeker.pitch, "signature": seeker.signature, "social": seeker.social,
        "created_at": moment(seeker.created_at), "updated_at": moment(seeker.updated_at),
        "bounced_at": moment(seeker.bounced_at), "bounce_detail": seeker.bounce_detail,
    }


def list_seekers(db: Database) -> list[dict[str, Any]]:
    """Every seeker, by email."""
    from sqlmodel import col, select

    from nudger.store.models import Seeker

    with _reading(db) as session:
        return [view(s) for s in session.exec(select(Seeker).order_by(col(Seeker.email)))]


def _find(session: Any, email: str) -> Seeker:
    from sqlmodel import select

    from nudger.store.models import Seeker

    wanted = email.strip().lower()
    found = session.exec(select(Seeker).where(Seeker.email == wanted)).first()
    if found is None:
        raise NotFoundError(f"no seeker {email.strip()!r}; `nudger seeker list` shows "
                            "who there is")
    return found


def show_seeker(db: Database, email: str) -> dict[str, Any]:
    with _reading(db) as session:
        return view(_find(session, email))


# --- writing ------------------------------------------------------------------------------

def _schedule(settings: Settings, seeker: Seeker, now: datetime) -> None:
    seeker.next_digest_at = next_digest_at(settings, seeker, now) if seeker.enabled else None


def add_seeker(db: Database, settings: Settings, *, email: str, name: str, now: datetime,
               timezone: str = "", at: str = "", days: str = "") -> dict[str, Any]:
    """Add a seeker (enabled, its next digest computed); UsageError when the email is taken
    or a value is wrong."""
    from nudger.store.models import Seeker

    moment = now.astimezone(UTC)
    seeker = Seeker(
        email=_checked("email", check_email, email),
        name=_checked("--name", lambda v: check_text("--name", v, required=True), name),
        timezone=_checked("--timezone", parse_zone, timezone),
        digest_at=_checked("--at", parse_at, at), digest_days=_checked("--days", parse_days, days),
        enabled=True, created_at=moment, updated_at=moment)
    _schedule(settings, seeker, now)
    taken = UsageError(f"a seeker {seeker.email!r} is already there; change it with "
                       f"`nudger seeker edit {seeker.email} ...`")
    with _unique(taken), _writing(db) as session:
        if _exists(session, seeker.email):
            raise taken
        session.add(seeker)
        session.flush()
        return view(seeker)


@contextmanager
def _unique(taken: UsageError) -> Iterator[None]:
    """The email's unique index refusing a row another process added between the check
    and the write (PostgreSQL's READ COMMITTED) is the same mistake as one found by the
    check."""
    from sqlalchemy.exc import IntegrityError

    try:
        yield
    except IntegrityError:
        raise taken from None


def _exists(session: Any, email: str) -> bool:
    from sqlmodel import select

    from nudger.store.models import Seeker

    return session.exec(select(Seeker.id).where(Seeker.email == email)).first() is not None


def edit_seeker(db: Database, settings: Settings, email: str, changes: Mapping[str, str],
                now: datetime) -> dict[str, Any]:
    """Change the named fields (EDITABLE: name, email, timezone, digest_at, digest_days,
    phone, pitch, signature, social); the next digest is recomputed."""
    checks: dict[str, Any] = {
        "email": lambda v: check_email(v, "--email"),
        "name": lambda v: check_text("--name", v, required=True),
        "timezone": parse_zone, "digest_at": parse_at, "digest_days": parse_days,
    }
    options = {"digest_at": "--at", "digest_days": "--days"}
    checked: dict[str, str] = {}
    for name, value in changes.items():
        if name not in EDITABLE:
            raise UsageError(f"{name} cannot be edited; valid: {', '.join(EDITABLE)}")
        option = options.get(name, f"--{name}")
        if name in checks:
            checked[name] = _checked(option, checks[name], value)
        else:
            try:
                checked[name] = check_text(option, value, one_line=EDITABLE[name])
            except ValueError as exc:
                raise UsageError(str(exc)) from None
    if not checked:
        raise UsageError("say what to change, e.g. `nudger seeker edit "
                         f"{email.strip()} --at 08:00`")
    taken = UsageError(f"--email: a seeker {checked.get('email')!r} is already there")
    with _unique(taken), _writing(db) as session:
        seeker = _find(session, email)
        new_email = checked.get("email")
        if new_email and new_email != seeker.email and _exists(session, new_email):
            raise taken
        for name, value in checked.items():
            setattr(seeker, name, value)
        if new_email and new_email != email.strip().lower():  # a new address: no bounce yet
            seeker.bounced_at, seeker.bounce_detail = None, ""
        seeker.updated_at = now.astimezone(UTC)
        _schedule(settings, seeker, now)
        session.add(seeker)
        session.flush()
        return view(seeker)


def set_enabled(db: Database, settings: Settings, email: str, enabled: bool,
                now: datetime) -> tuple[dict[str, Any], bool]:
    """Enable or disable a seeker's digests: (the seeker, whether anything changed). A
    disabled seeker keeps its rows and has no next digest."""
    with _writing(db) as session:
        seeker = _find(session, email)
        changed = bool(seeker.enabled) != enabled
        if changed:
            seeker.enabled = enabled
            seeker.updated_at = now.astimezone(UTC)
            _schedule(settings, seeker, now)
            session.add(seeker)
            session.flush()
        return view(seeker), changed


def removal(db: Database, email: str, *, really: bool) -> dict[str, int]:
    """Rows of the seeker per table (the seeker's own row as `seeker: 1`): deleted, in one
    transaction, when `really`; only counted otherwise."""
    from nudger.store import seekers as store

    if not really:
        with _reading(db) as session:
            seeker = _find(session, email)
            assert seeker.id is not None
            counts = store.count_rows(session.connection(), seeker.id)
            counts["seeker"] = 1
            return counts
    with _writing(db) as session:
        seeker = _find(session, email)
        assert seeker.id is not None
        return store.delete_rows(session.connection(), seeker.id)


# --- who is due (the daemon's question) ---------------------------------------------------

def due_seekers(db: Database, now: datetime, limit: int | None = DUE_BATCH) -> list[Any]:
    """Enabled seekers whose next digest is at or before `now`, the longest-waiting first
    (`nudger.store.seekers.DueSeeker`: id, email, next_digest_at), at most `limit` (None:
    all). A daemon pass takes a batch, records those digests (each `digest_recorded`
    moves that seeker's next digest on) and asks again until none is left: at 08:00 a
    career centre may have thousands due in the same minute."""
    from nudger.store import seekers as store

    with _reading(db) as session:
        return store.due(session.connection(), now, limit)


def digest_recorded(db: Database, settings: Settings, seeker_id: int, moment: datetime,
                    now: datetime) -> datetime | None:
    """After the digest due at `moment` (the seeker's `next_digest_at` the daemon found) is
    recorded: move the seeker's next digest to the first moment after both `moment` and
    `now`. Returns the new moment, or None when another worker had moved it already, the
    seeker is disabled or gone (nothing changed then)."""
    from nudger.store import seekers as store
    from nudger.store.models import Seeker

    with _writing(db) as session:
        seeker = session.get(Seeker, seeker_id)
        if seeker is None or not seeker.enabled:
            return None
        following = next_digest_at(settings, seeker, max(moment, now))
        if store.advance(session.connection(), seeker_id, moment, following):
            return following
        return None


# --- import from CSV ----------------------------------------------------------------------

@dataclass(frozen=True)
class ClockFields:
    timezone: str
    digest_at: str
    digest_days: str


@dataclass
class ImportReport:
    path: Path
    rows: int = 0
    added: int = 0
    present: list[str] = field(default_factory=list)  # "file:line: email" already there
    problems: list[str] = field(default_factory=list)  # "file:line: column 'x': ..."

    def as_json(self) -> dict[str, Any]:
        return {"file": str(self.path), "rows": self.rows, "added": self.added,
                "already_present": self.present, "problems": self.problems}


def _records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of each non-blank record, the header first."""
    from nudger.transfer.decoding import detect_encoding, sniff_delimiter

    encoding = detect_encoding(path)
    try:
        with path.open(encoding=encoding.codec, newline="") as handle:
            first = handle.readline()
            handle.seek(0)
            reader = csv.reader(handle, delimiter=sniff_delimiter(first), strict=True)
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                if any(cell.strip() for cell in cells):
                    yield reader.line_num, cells
    except csv.Error as exc:
        raise DataError(f"{path}:{reader.line_num}: not a CSV record ({exc}); the rows "
                        "before it were read") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror}") from None


def _layout(path: Path, header: list[str]) -> dict[str, int]:
    names = [cell.strip().lower() for cell in header]
    layout: dict[str, int] = {}
    for at, name in enumerate(names):
        if name not in CSV_COLUMNS:
            raise DataError(f"{path}:1: column {header[at].strip()!r} is not one nudger "
                            f"knows; the columns are {', '.join(CSV_COLUMNS)} (email and "
                            "name required, in a header line)")
        if name in layout:
            raise DataError(f"{path}:1: column {name!r} appears twice")
        layout[name] = at
    missing = [name for name in ("email", "name") if name not in layout]
    if missing:
        raise DataError(f"{path}:1: no {' or '.join(repr(m) for m in missing)} column; the "
                        f"first line must name the columns, e.g. {','.join(CSV_COLUMNS)}")
    return layout


_CELL_CHECKS: dict[str, Any] = {
    "email": check_email,
    "name": lambda v: check_text("name", v, required=True),
    "timezone": parse_zone, "at": parse_at, "days": parse_days,
}
# The columns whose few distinct values are checked once per import, not once per row.
_REPEATED = ("timezone", "at", "days")


def _check_cell(name: str, cell: str, known: dict[tuple[str, str], str | ValueError]) -> str:
    """A cell's checked value (ValueError when it is wrong); a column of repeated values
    (a career centre's few zones and times) is checked once per distinct cell."""
    if name not in _REPEATED:
        return str(_CELL_CHECKS[name](cell))
    key = (name, cell)
    if key not in known:
        try:
            known[key] = str(_CELL_CHECKS[name](cell))
        except ValueError as exc:
            known[key] = exc
    result = known[key]
    if isinstance(result, ValueError):
        raise result
    return result


def import_seekers(db: Database, settings: Settings, path: Path, now: datetime,
                   chunk: int | None = None) -> ImportReport:
    """Add the seekers of a CSV file (columns email, name, timezone, at, days; a header
    line first). A bad row is reported by file:line with its column and what would be
    valid, and left out; a row whose email appears earlier in the file is a problem too;
    one already in the database is left as it is and reported. The rest are added, one
    transaction per `chunk` rows."""
    from nudger.store.bulk import BulkInsert
    from nudger.store.models import Seeker, table_of

    chunk = chunk or CHUNK
    records = _records(path)
    try:
        _, header = next(records)
    except StopIteration:
        raise DataError(f"{path}: empty; the first line must name the columns, e.g. "
                        f"{','.join(CSV_COLUMNS)}") from None
    layout = _layout(path, header)
    report = ImportReport(path)
    stamp = now.astimezone(UTC)
    seen: dict[str, int] = {}
    checked: dict[tuple[str, str], str | ValueError] = {}
    # The next digest depends only on the clock fields and `now`: once per distinct clock.
    moments: dict[ClockFields, datetime] = {}
    pending: list[tuple[int, dict[str, str]]] = []
    columns = ("email", "name", "timezone", "digest_at", "digest_days", "enabled",
               "next_digest_at", "created_at", "updated_at")

    def write() -> None:
        if not pending:
            return
        from sqlalchemy.exc import IntegrityError

        seeker = table_of(Seeker)
        try:
            added = _write_chunk(seeker)
        except IntegrityError:
            raise NudgerError(
                f"{path}: another process added some of these seekers at the same time; "
                f"{report.added} were added before it. Run the import again: those already "
                "there are reported and left as they are") from None
        report.added += added
        pending.clear()

    def _write_chunk(seeker: Any) -> int:
        with _writing(db) as session:
            connection = session.connection()
            emails = [values["email"] for _, values in pending]
            present = set(connection.execute(
                seeker.select().with_only_columns(seeker.c.email)
                .where(seeker.c.email.in_(emails))).scalars())
            insert = BulkInsert(connection, Seeker, columns)
            for line, values in pending:
                if values["email"] in present:
                    report.present.append(f"{path}:{line}: {values['email']}")
                    continue
                clock = ClockFields(values["timezone"], values["at"], values["days"])
                if clock not in moments:
                    moments[clock] = next_digest_at(settings, clock, now)
                insert.add((values["email"], values["name"], values["timezone"],
                            values["at"], values["days"], True,
                            moments[clock],
                            stamp, stamp))
            added = len(insert)
            insert.flush()
        return added

    for line, cells in records:
        report.rows += 1
        values: dict[str, str] = {}
        problem = None
        for name in CSV_COLUMNS:
            at = layout.get(name)
            cell = cells[at] if at is not None and at < len(cells) else ""
            try:
                values[name] = _check_cell(name, cell, checked)
            except ValueError as exc:
                problem = f"{path}:{line}: column {name!r}: {exc}"
                break
        if problem is None and len(cells) > len(header):
            problem = (f"{path}:{line}: {len(cells)} cells for {len(header)} columns "
                       "(a comma inside a value needs quotes)")
        if problem is None and values["email"] in seen:
            problem = (f"{path}:{line}: column 'email': {values['email']} is already on "
                       f"line {seen[values['email']]}; each seeker once")
        if problem is not None:
            report.problems.append(problem)
            continue
        seen[values["email"]] = line
        pending.append((line, values))
        if len(pending) >= chunk:
            write()
    write()
    return report
