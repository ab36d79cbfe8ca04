"""`nudger calendar` and nudger/ics.py: every file parsed back with icalendar; UIDs stable
across exports; SEQUENCE raised on a move; DST-correct interview times; user values
escaped by the library. The clock is frozen on Friday 2026-11-27."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from nudger.calendar import ics
from tests.clock import frozen
from tests.conftest import BASE_CONFIG, Home

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # 09:00 in Chicago
HOSTILE_NOTES = ("Panel; bring portfolio, 2 copies\nJoin: https://zoom.us/j/123?pwd=a,b;c "
                 "— ask for \"Dana\"\\back\r\nEND:VEVENT\nBEGIN:VALARM")


@pytest.fixture(autouse=True)
def _at_now() -> Iterator[None]:
    with frozen(NOW):
        yield


def parse(data: bytes | str) -> icalendar.Calendar:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    cal = icalendar.Calendar.from_ical(raw)
    assert isinstance(cal, icalendar.Calendar)
    return cal


def events(cal: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def export(home: Home, *args: str) -> icalendar.Calendar:
    out = home.root / "out.ics"
    home.ok("calendar", "-o", str(out), *args)
    return parse(out.read_bytes())


def hunt(home: Home) -> None:
    home.ok("add", "Northwind, Inc.", "Account Executive; East", "--applied", "2026-11-23",
            "--contact", "Lee, Dana <dana@northwind.example>")
    home.ok("add", "Acme", "Sales Lead", "--applied", "2026-11-20",
            "--address", "1 Main St, Suite 5; Chicago")
    home.ok("stage", "2", "interviewing", "--interview", "2026-12-02 14:30")
    home.ok("edit", "2", "--notes", HOSTILE_NOTES)


def test_export_interviews_and_followups(home: Home) -> None:
    hunt(home)
    cal = parse(home.ok("calendar"))
    found = events(cal)
    interview = next(e for e in found.values() if str(e["SUMMARY"]).startswith("Interview"))
    start = interview.decoded("DTSTART")
    assert start == datetime(2026, 12, 2, 14, 30, tzinfo=ZoneInfo("America/Chicago"))
    assert str(interview["DTSTART"].params["TZID"]) == "America/Chicago"
    assert interview.decoded("DTEND") - start == timedelta(hours=1)
    assert str(interview["LOCATION"]) == "https://zoom.us/j/123?pwd=a,b;c"
    assert "Acme" in str(interview["SUMMARY"])
    # the user's notes, hostile lines and all, are one DESCRIPTION value
    assert HOSTILE_NOTES.replace("\r\n", "\n").strip() in str(interview["DESCRIPTION"]) \
        .replace("\r\n", "\n")
    assert len(cal.walk("VEVENT")) == len(found)
    alarm = interview.walk("VALARM")[0]
    assert str(alarm["ACTION"]) == "DISPLAY" and str(alarm["DESCRIPTION"])
    assert alarm.decoded("TRIGGER") == timedelta(hours=-1)
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["America/Chicago"]
    # Northwind: email step 1 of the applied cadence, shown today (due today)
    followup = next(e for e in found.values() if "Northwind" in str(e["SUMMARY"]))
    assert str(followup["SUMMARY"]) == "Follow up: email Dana at Northwind, Inc. (1 of 5)"
    assert followup.decoded("DTSTART") == date(2026, 11, 27)
    assert followup.decoded("DTEND") == date(2026, 11, 28)
    assert "nudger done 1" in str(followup["DESCRIPTION"])
    description = str(followup["DESCRIPTION"])
    assert "Contact: Lee, Dana (hiring manager), dana@northwind.example" in description
    assert "Subject: " in description  # the draft's subject and first lines
    assert str(followup["TRANSP"]) == "TRANSPARENT"
    for event in found.values():
        assert event.decoded("DTSTAMP") <= NOW and "SEQUENCE" in event
    # what the user wrote never became a property or component of its own
    assert cal.walk("VALARM") == [interview.walk("VALARM")[0]]
    assert not any(name.startswith("X-") for e in found.values() for name in e)


def test_library_escapes_and_folds(home: Home) -> None:
    hunt(home)
    out = home.root / "out.ics"
    home.ok("calendar", "-o", str(out))
    raw = out.read_bytes()
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    assert b"SUMMARY:Follow up: email Dana at Northwind\\, Inc." in raw
    assert b"\nBEGIN:VALARM\r\nACTION" in raw  # the real alarm; the notes' one is escaped
    # calendar-level durations carry their type (RFC 7986), not Python's str(timedelta)
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in raw
    assert b"\r\nX-PUBLISHED-TTL:PT1H\r\n" in raw
    lines = raw.split(b"\r\n")
    assert lines.count(b"BEGIN:VEVENT") == lines.count(b"END:VEVENT") == len(events(parse(raw)))
    assert lines.count(b"BEGIN:VALARM") == 1


def test_uids_stable_and_sequence_raised_on_a_move(home: Home) -> None:
    hunt(home)
    first = events(export(home))
    second = events(export(home))
    assert first.keys() == second.keys()
    for uid in first:
        assert first[uid].to_ical() == second[uid].to_ical()  # nothing changed: same bytes
    (uid,) = [u for u in first if u.startswith("interview-2-")]
    assert int(first[uid]["SEQUENCE"]) == 0
    with frozen(NOW + timedelta(hours=2)):
        home.ok("edit", "2", "--interview", "2026-12-03 10:00")
        moved = events(export(home))
    assert uid in moved
    assert int(moved[uid]["SEQUENCE"]) == 1
    assert moved[uid].decoded("DTSTAMP") == NOW + timedelta(hours=2)
    assert moved[uid].decoded("LAST-MODIFIED") == NOW + timedelta(hours=2)
    assert moved[uid].decoded("DTSTART") == datetime(2026, 12, 3, 10, 0,
                                                     tzinfo=ZoneInfo("America/Chicago"))
    # Northwind's follow-ups did not change: their versions stand
    for other in first:
        if other.startswith("followup-1-"):
            assert int(moved[other]["SEQUENCE"]) == int(first[other]["SEQUENCE"])
            assert moved[other].decoded("DTSTAMP") == first[other].decoded("DTSTAMP")


def test_followup_done_disappears_and_followups_can_be_left_out(home: Home) -> None:
    hunt(home)
    before = events(export(home))
    assert any(u.startswith("followup-1-applied-1@") for u in before)
    home.ok("done", "1")
    after = events(export(home))
    assert not any(u.startswith("followup-1-applied-1@") for u in after)
    only = events(export(home, "--no-followups"))
    assert only and all(u.startswith("interview-") for u in only)
    home.write_config(BASE_CONFIG + "\n[ics]\nfollowups = false\n")
    assert all(u.startswith("interview-") for u in events(export(home)))


def test_days_limits_the_followups(home: Home) -> None:
    hunt(home)
    few = events(export(home, "--days", "1"))
    many = events(export(home, "--days", "60"))
    assert set(few) <= set(many) and len(many) > len(few)
    assert home.run("calendar", "--days", "0").code == 2


@pytest.mark.parametrize(("zone", "local", "utc"), [
    # New York: clocks go back on 1 Nov 2026 (EDT -4 → EST -5)
    ("America/New_York", datetime(2026, 10, 30, 10, 0), datetime(2026, 10, 30, 14, 0)),
    ("America/New_York", datetime(2026, 11, 2, 10, 0), datetime(2026, 11, 2, 15, 0)),
    # Berlin: clocks go back on 25 Oct 2026 (CEST +2 → CET +1)
    ("Europe/Berlin", datetime(2026, 10, 23, 10, 0), datetime(2026, 10, 23, 8, 0)),
    ("Europe/Berlin", datetime(2026, 10, 26, 10, 0), datetime(2026, 10, 26, 9, 0)),
    # and forward in spring 2027
    ("America/New_York", datetime(2027, 3, 15, 9, 0), datetime(2027, 3, 15, 13, 0)),
    ("Europe/Berlin", datetime(2027, 3, 29, 9, 0), datetime(2027, 3, 29, 7, 0)),
])
def test_interview_times_across_dst(zone: str, local: datetime, utc: datetime) -> None:
    tz = ZoneInfo(zone)
    item = ics.Interview(app_id=7, number=1, company="Northwind", role="AE",
                         start=local.replace(tzinfo=tz), length=timedelta(hours=1))
    spec = ics.interview_event(item, tz, "d.nudger.invalid", timedelta(hours=1))
    stamp = datetime(2026, 10, 1, tzinfo=UTC)
    data = ics.build_calendar([(spec, ics.Version(0, stamp, stamp))], tz, "d.nudger.invalid",
                              stamp)
    cal = parse(data)
    (event,) = cal.walk("VEVENT")
    assert event.decoded("DTSTART").astimezone(UTC) == utc.replace(tzinfo=UTC)
    assert str(event["DTSTART"].params["TZID"]) == zone
    # the VTIMEZONE alone gives the right offset: resolve it without the zoneinfo database
    (vtz,) = cal.walk("VTIMEZONE")
    tzinfo = vtz.to_tz()
    assert local.replace(tzinfo=tzinfo).astimezone(UTC) == utc.replace(tzinfo=UTC)


def test_meeting_link_and_uids_from_identity_only() -> None:
    assert ics.meeting_link("call at 3, https://meet.google.com/abc-defg-hij.") == \
        "https://meet.google.com/abc-defg-hij"
    assert ics.meeting_link("see https://example.com/job") == ""
    domain = ics.uid_domain("Alex@Example.com")
    assert domain == ics.uid_domain("alex@example.com ")
    a = ics.Interview(app_id=3, number=2, company="A", role="r",
                      start=datetime(2026, 12, 1, 15, tzinfo=UTC), length=timedelta(hours=1))
    b = ics.Interview(app_id=3, number=2, company="B", role="s",
                      start=datetime(2026, 12, 9, 9, tzinfo=UTC), length=timedelta(hours=2))
    zone = ZoneInfo("Europe/Berlin")
    assert ics.interview_event(a, zone, domain, None).uid == \
        ics.interview_event(b, zone, domain, None).uid == f"interview-3-2@{domain}"


def test_output_file_is_replaced_atomically(home: Home, tmp_path: Path) -> None:
    hunt(home)
    target = tmp_path / "feed.ics"
    target.write_text("old")
    result = home.run("calendar", "-o", str(target))
    # Success is said on stdout, never as an error on stderr (issue 21, item 19).
    assert result.code == 0 and "wrote 1 interview" in result.out and result.err == ""
    assert parse(target.read_bytes())
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".feed.ics")]
    bad = home.run("calendar", "-o", str(tmp_path / "missing" / "x" / "feed.ics"))
    assert bad.code == 0  # the directory is created
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a directory")
    failed = home.run("calendar", "-o", str(blocked / "feed.ics"))
    assert failed.code == 1 and "cannot write" in failed.err and "Traceback" not in failed.err


def test_the_daemon_keeps_the_ics_path_current(home: Home) -> None:
    feed = home.root / "public" / "nudger.ics"
    home.write_config(BASE_CONFIG + f'\n[ics]\npath = "{feed}"\n')
    hunt(home)
    home.run("run", "--once")
    first = feed.read_bytes()
    found = events(parse(first))
    assert any(u.startswith("interview-2-1@") for u in found)
    assert any(u.startswith("followup-1-applied-1@") for u in found)
    stamp = feed.stat().st_mtime_ns
    home.run("run", "--once")
    assert feed.read_bytes() == first and feed.stat().st_mtime_ns == stamp  # untouched
    assert "calendar:     ok" in home.ok("status")
    home.ok("done", "1")
    with frozen(NOW + timedelta(minutes=5)):
        home.run("run", "--once")
    after = events(parse(feed.read_bytes()))
    assert not any(u.startswith("followup-1-applied-1@") for u in after)
    assert any(u.startswith("interview-2-1@") for u in after)


def test_a_new_interview_after_one_took_place_is_a_new_event(home: Home) -> None:
    hunt(home)
    (first,) = [u for u in events(export(home)) if u.startswith("interview-2-")]
    assert first.startswith("interview-2-1@")
    with frozen(datetime(2026, 12, 4, 15, 0, tzinfo=UTC)):
        # the interview of 2 December is over: it leaves the calendar...
        assert not [u for u in events(export(home)) if u.startswith("interview-2-")]
        # ...and the second round is another event, not the first one moved
        home.ok("edit", "2", "--interview", "2026-12-09 11:00")
        (second,) = [u for u in events(export(home)) if u.startswith("interview-2-")]
    assert second.startswith("interview-2-2@")


def test_a_removed_application_leaves_the_calendar(home: Home) -> None:
    hunt(home)
    assert any(u.startswith("interview-2-") for u in events(export(home)))
    home.ok("rm", "2")
    assert not any(u.startswith(("interview-2-", "followup-2-")) for u in events(export(home)))


async def test_the_daemon_skips_the_calendar_step_while_nothing_changed(
        tmp_path: Path) -> None:
    """The step renders a month of drafts: a pass with the same data, config and day does
    nothing; a new touch, or an interview ending, makes the next pass refresh."""
    import logging

    from nudger.config import ConfigLocation, parse_settings
    from nudger.daemon.notify import Notifier
    from nudger.daemon.run import Daemon
    from nudger.store.db import Database
    from nudger.track import tracker

    feed = tmp_path / "feed.ics"
    config = tmp_path / "config.toml"
    text = BASE_CONFIG + f'\n[ics]\npath = "{feed}"\n'
    config.write_text(text)
    settings = parse_settings(text, config)
    db = Database(tmp_path / "nudger.db")
    db.ensure(create=True)
    start = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    with db.session() as s:
        app = tracker.add_application(s, company="Acme", role="AE", today=date(2026, 11, 20),
                                      applied_on=date(2026, 11, 20), now=start,
                                      interview_at=start + timedelta(hours=2))
        assert app.id is not None
        app_id = app.id
    daemon = Daemon(ConfigLocation(config, True), {}, settings, db, Notifier({}),
                    logging.getLogger("nudger.test"))

    def attempts() -> object:
        import sqlite3

        con = sqlite3.connect(db.path)
        try:
            return con.execute("SELECT last_attempt_at FROM calendar_sync").fetchone()
        finally:
            con.close()

    try:
        await daemon.sync_calendars(start)
        first = attempts()
        assert first is not None and feed.exists()
        await daemon.sync_calendars(start + timedelta(minutes=5))
        assert attempts() == first  # skipped: nothing it reads changed
        with db.session() as s:
            tracker.log_touch(s, app_id, "email", date(2026, 11, 27), now=start)
        await daemon.sync_calendars(start + timedelta(minutes=10))
        second = attempts()
        assert second != first
        await daemon.sync_calendars(start + timedelta(minutes=15))
        assert attempts() == second
        # the interview ends at 18:00 UTC: the pass after it refreshes, and it is gone
        await daemon.sync_calendars(start + timedelta(hours=3, minutes=1))
        assert attempts() != second
        assert not any(u.startswith("interview-") for u in events(parse(feed.read_bytes())))
    finally:
        db.dispose()


@pytest.mark.parametrize(("table", "words"), [
    ('[ics]\ndays = 0\n', "ics.days 0 is out of range"),
    ('[ics]\nalarm = "2 business days"\n', "ics.alarm must be minutes, hours or days"),
    ('[ics]\nalrm = "1 hour"\n', "alrm"),
    ('[caldav]\nurl = "cloud.example.com"\nusername = "a"\n', "is not an http(s) URL"),
    ('[caldav]\nurl = "https://c.example"\nusername = "a"\npassword = "x"\n',
     "caldav.password is not allowed in config.toml"),
    ('[caldav]\nurl = "https://c.example"\nusername = "a"\npassword_env = "A"\n'
     'password_file = "b"\n', "set password_env or password_file, not both"),
])
def test_bad_calendar_config_is_named(home: Home, table: str, words: str) -> None:
    home.write_config(BASE_CONFIG + "\n" + table)
    result = home.run("calendar")
    assert result.code == 78 and words in result.err and "Traceback" not in result.err


def test_caldav_password_sources(tmp_path: Path) -> None:
    from nudger.calendar.caldav import caldav_password, password_source
    from nudger.config import parse_settings
    from nudger.errors import ConfigError

    def settings(extra: str) -> object:
        path = tmp_path / "config.toml"
        text = BASE_CONFIG + '\n[caldav]\nurl = "https://c.example/"\nusername = "alex"\n' + extra
        path.write_text(text)
        return parse_settings(text, path)

    by_env = settings('password_env = "DAV_PW"\n')
    assert caldav_password(by_env, {"DAV_PW": "s3"}).reveal() == "s3"  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="DAV_PW"):
        caldav_password(by_env, {})  # type: ignore[arg-type]
    secret = tmp_path / "pw"
    secret.write_text("from-file\n")
    secret.chmod(0o644)
    by_file = settings(f'password_file = "{secret}"\n')
    with pytest.raises(ConfigError, match="chmod 600"):
        caldav_password(by_file, {})  # type: ignore[arg-type]
    secret.chmod(0o600)
    assert caldav_password(by_file, {}).reveal() == "from-file"  # type: ignore[arg-type]
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "caldav-password").write_text("from-systemd")
    neither = settings("")
    env = {"CREDENTIALS_DIRECTORY": str(creds)}
    assert caldav_password(neither, env).reveal() == "from-systemd"  # type: ignore[arg-type]
    assert "systemd credential" in str(password_source(neither, env))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="caldav-password"):
        caldav_password(neither, {})  # type: ignore[arg-type]
    assert "from-" not in repr(caldav_password(by_file, {}))  # type: ignore[arg-type]


def test_a_location_is_not_labelled_an_address() -> None:
    """"Chicago" is where the job is, not a street address (issue 21, item 19)."""
    tz = ZoneInfo("America/Chicago")
    start = datetime(2026, 12, 10, 10, 0, tzinfo=tz)
    city = ics.Interview(app_id=7, number=1, company="Northwind", role="AE", start=start,
                         length=timedelta(hours=1), location="Chicago")
    spec = ics.interview_event(city, tz, "d.nudger.invalid", None)
    assert "Location: Chicago" in spec.description and "Address:" not in spec.description
    assert spec.location == "Chicago"
    street = ics.Interview(app_id=7, number=1, company="Northwind", role="AE", start=start,
                           length=timedelta(hours=1), address="1 Main St, Chicago",
                           location="Chicago")
    spec = ics.interview_event(street, tz, "d.nudger.invalid", None)
    assert "Address: 1 Main St, Chicago" in spec.description
    assert "Location:" not in spec.description
