"""[caldav] against a real Radicale: `nudger run --once` pushes the events, a move updates
the same href with SEQUENCE raised, a follow-up done and an interview cleared are removed,
what the user made on the server is never touched; `check --caldav`; and the faults
(server down, 401, 403, 412, an untrusted certificate) classified, shown in `status`,
retried at the next pass, the password nowhere. Real time (the daemon's pass runs
in-process); the dates are relative to today."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest

from tests.caldavserver import CALENDAR, USERS, Radicale, radicale
from tests.conftest import BASE_CONFIG, Home

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(autouse=True)
def log_to_this_test() -> Iterator[None]:
    """`run --once` in-process adds its log handler once, on the stderr of the test that
    ran first; each test here reads its own."""
    def drop() -> None:
        for name in ("nudger", "apscheduler"):
            logger = logging.getLogger(name)
            for handler in list(logger.handlers):
                logger.removeHandler(handler)

    drop()
    yield
    drop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    with radicale(tmp_path_factory.mktemp("radicale")) as srv:
        yield srv


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    with radicale(tmp_path_factory.mktemp("radicale-tls"), tls=True) as srv:
        yield srv


def fresh_calendar(server: Radicale, name: str) -> str:
    client: Any = server.client()
    return str(client.principal().make_calendar(name=name).url)


def configure(home: Home, url: str, *, user: str = "alex", password: str | None = None,
              calendar: str | None = None, ca_file: Path | None = None) -> Path:
    secret = home.root / f"caldav-password-{user}"
    secret.write_text((password if password is not None else USERS[user]) + "\n")
    secret.chmod(0o600)
    lines = [f'url = "{url}"', f'username = "{user}"', f'password_file = "{secret}"',
             "timeout = 5"]
    if calendar:
        lines.append(f'calendar = "{calendar}"')
    if ca_file:
        lines.append(f'ca_file = "{ca_file}"')
    home.write_config(BASE_CONFIG + "\n[caldav]\n" + "\n".join(lines) + "\n")
    return secret


def calendar_objects(url: str, server: Radicale) -> dict[str, icalendar.Event]:
    """UID → event of everything the calendar at `url` holds, read from Radicale's own
    storage folder (one file per href)."""
    path = url.split("/", 3)[3].strip("/")
    folder = server.folder / "collection-root" / path
    out = {}
    for item in sorted(folder.iterdir()):
        if item.name.startswith(".") or not item.is_file():
            continue
        parsed = icalendar.Calendar.from_ical(item.read_bytes())
        for event in parsed.walk("VEVENT"):
            out[str(event["UID"])] = event
    return out


def hunt(home: Home) -> None:
    when = (datetime.now() + timedelta(days=3)).strftime("%Y-%m-%d 14:30")
    home.ok("add", "Northwind", "Account Executive", "--applied",
            (datetime.now() - timedelta(days=10)).strftime("%Y-%m-%d"),
            "--contact", "Dana Lee <dana@northwind.example>")
    home.ok("add", "Acme", "Sales Lead")
    home.ok("stage", "2", "interviewing", "--interview", when)


def run_once(home: Home) -> str:
    result = home.run("run", "--once")
    assert "Traceback" not in result.err
    return result.err


def sync_row(home: Home) -> tuple[Any, ...] | None:
    con = sqlite3.connect(home.db_path)
    try:
        row = con.execute("SELECT error_kind, last_error, failures, detail FROM calendar_sync "
                          "WHERE target = 'caldav'").fetchone()
        return tuple(row) if row is not None else None
    finally:
        con.close()


def database_text(home: Home) -> bytes:
    return home.db_path.read_bytes() + b"".join(
        p.read_bytes() for p in home.db_path.parent.glob("nudger.db-wal"))


@pytest.mark.slow
def test_push_move_remove_and_leave_the_users_events_alone(home: Home,
                                                           server: Radicale) -> None:
    url = fresh_calendar(server, "push")
    configure(home, url)
    hunt(home)
    client: Any = server.client()
    mine = client.calendar(url=url)
    mine.save_event(dtstart=datetime.now() + timedelta(days=1),
                    dtend=datetime.now() + timedelta(days=1, hours=1), uid="dentist@me",
                    summary="Dentist")
    run_once(home)
    found = calendar_objects(url, server)
    interview_uid = next(u for u in found if u.startswith("interview-2-"))
    assert "dentist@me" in found
    assert any(u.startswith("followup-1-applied-1@") for u in found)
    assert int(found[interview_uid]["SEQUENCE"]) == 0
    status = home.ok("status")
    assert "caldav:       ok" in status and "created" in status

    # a pass with nothing changed writes nothing
    run_once(home)
    assert "0 created, 0 updated, 0 removed" in home.ok("status")

    # moved: the same event, updated in place
    later = (datetime.now() + timedelta(days=4)).strftime("%Y-%m-%d 09:15")
    home.ok("edit", "2", "--interview", later)
    run_once(home)
    found = calendar_objects(url, server)
    assert int(found[interview_uid]["SEQUENCE"]) == 1
    assert found[interview_uid].decoded("DTSTART").strftime("%Y-%m-%d %H:%M") == later
    assert sum(1 for u in found if u.startswith("interview-")) == 1

    # a follow-up done and an interview cleared (application rejected) disappear
    home.ok("done", "1")
    home.ok("stage", "2", "rejected")
    run_once(home)
    found = calendar_objects(url, server)
    assert not any(u.startswith(("interview-", "followup-1-applied-1@")) for u in found)
    assert "dentist@me" in found  # never touched


def test_check_caldav_says_what_it_verified(home: Home, server: Radicale) -> None:
    configure(home, server.base, calendar=CALENDAR)
    out = home.ok("check", "--caldav")
    assert "logged in as alex" in out and f"using '{CALENDAR}'" in out
    assert "takes events (VEVENT)" in out and "password from file" in out
    configure(home, server.base, calendar="No such")
    result = home.run("check", "--caldav")
    assert result.code == 1 and "no calendar named 'No such'" in result.err
    assert f"'{CALENDAR}'" in result.err


def test_wrong_password_is_classified_and_never_shown(home: Home, server: Radicale) -> None:
    wrong = "Wr0ng-Canary-Pw"
    configure(home, server.calendar_url, password=wrong)
    hunt(home)
    err = run_once(home)
    row = sync_row(home)
    assert row is not None and row[0] == "auth" and "401" in row[1]
    status = home.ok("status")
    assert "caldav:       failing (auth" in status and "retried at the next pass" in status
    import json
    (entry,) = json.loads(home.ok("status", "--json"))["calendars"]
    assert entry["target"] == "caldav" and entry["error_kind"] == "auth" and not entry["ok"]
    check = home.run("check", "--caldav")
    assert check.code == 1 and "401" in check.err
    for text in (err, status, check.err, check.out):
        assert wrong not in text
    assert wrong.encode() not in database_text(home)
    # fixed: the next pass works and status says so
    configure(home, server.calendar_url)
    run_once(home)
    assert sync_row(home)[0] == ""  # type: ignore[index]


def test_server_down_is_retried_and_the_digest_still_goes(home: Home, server: Radicale
                                                          ) -> None:
    from tests.smtpserver import refused_port

    with refused_port() as port:
        configure(home, f"http://127.0.0.1:{port}/")
        hunt(home)
        err = run_once(home)
        row = sync_row(home)
        assert row is not None and row[0] == "down" and "cannot reach" in row[1]
        assert "caldav" in err and "retried at the next pass" in err
        run_once(home)
        assert sync_row(home)[2] == 2  # type: ignore[index]  # two failing passes, logged once
    con = sqlite3.connect(home.db_path)
    try:
        states = [r[0] for r in con.execute("SELECT state FROM digest")]
    finally:
        con.close()
    assert states and "sending" not in states  # the digest was handled all the same


def test_forbidden_calendar(home: Home, server: Radicale) -> None:
    # a calendar shared read-only with this account, named by its URL
    configure(home, server.base, user="viewer", calendar=server.calendar_url)
    hunt(home)
    run_once(home)
    row = sync_row(home)
    assert row is not None and row[0] == "forbidden" and "403" in row[1]


def test_conflicting_edit_then_overwrite(home: Home, server: Radicale) -> None:
    url = fresh_calendar(server, "conflict")
    configure(home, url)
    hunt(home)
    run_once(home)
    con = sqlite3.connect(home.db_path)
    try:
        uid, href = con.execute("SELECT uid, caldav_href FROM calendar_event WHERE kind = "
                                "'interview'").fetchone()
    finally:
        con.close()
    # the user edits the event in their calendar app: the server's ETag changes
    client: Any = server.client()
    data = str(client.request(href).raw)
    edited = data.replace("SUMMARY:", "SUMMARY:(edited) ")
    assert client.put(href, edited, {"Content-Type": "text/calendar"}).status < 300
    home.ok("edit", "2", "--interview",
            (datetime.now() + timedelta(days=5)).strftime("%Y-%m-%d 11:00"))
    run_once(home)
    row = sync_row(home)
    assert row is not None and row[0] == "conflict" and "412" in row[1]
    run_once(home)  # the next pass writes nudger's version over it
    assert sync_row(home)[0] == ""  # type: ignore[index]
    event = calendar_objects(url, server)[uid]
    assert not str(event["SUMMARY"]).startswith("(edited)")
    assert event.decoded("DTSTART").hour == 11


def test_tls_private_ca(home: Home, tls_server: Radicale) -> None:
    configure(home, tls_server.calendar_url)
    hunt(home)
    run_once(home)
    row = sync_row(home)
    assert row is not None and row[0] == "tls" and "ca_file" in row[1]
    assert tls_server.ca_file is not None
    configure(home, tls_server.calendar_url, ca_file=tls_server.ca_file)
    run_once(home)
    assert sync_row(home)[0] == ""  # type: ignore[index]
    assert calendar_objects(tls_server.calendar_url, tls_server)
