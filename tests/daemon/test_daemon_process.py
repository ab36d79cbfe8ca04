"""`nudger run` as a real process against a real aiosmtpd server: readiness, the digest at
its minute, catch-up, SIGHUP with good and broken configs, SIGTERM during a slow DATA, two
daemons on one database, and (with libfaketime) a DST fall-back and forward clock jumps:
exactly one digest per local date."""

from __future__ import annotations

import re
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.daemon.conftest import World, faked, needs_faketime
from tests.daemon_helpers import noon_zone, records, wait_until
from tests.smtpserver import SmtpServer


def local_clock(zone: str, delta: timedelta) -> tuple[str, str]:
    """("HH:MM", local date) of now + delta in `zone`."""
    moment = datetime.now(UTC).astimezone(ZoneInfo(zone)) + delta
    return moment.strftime("%H:%M"), moment.date().isoformat()


# --- start, stop, one per database --------------------------------------------------------

def test_ready_then_sigterm_exits_zero(world: World) -> None:
    zone = noon_zone()
    at, _ = local_clock(zone, timedelta(hours=6))  # nothing due today yet
    world.write(zone=zone, at=at, catch_up="1 hour")
    daemon = world.start(env={"WATCHDOG_USEC": "1000000"})  # WatchdogSec=1s: ping every 0.5
    daemon.wait_ready()
    ready = daemon.notified("READY")[0]
    assert ready["STATUS"].startswith("next digest ")
    daemon.wait_notify("WATCHDOG", 3, timeout=10)
    daemon.wait_log(r"nudger daemon started \(PID \d+\)")
    # Yesterday's digest, a day late, is recorded as skipped, not sent.
    wait_until(lambda: "skipped" in records(world.db).values(), 10, "yesterday skipped")
    assert daemon.stop(signal.SIGTERM) == 0
    assert daemon.notified("STOPPING")
    assert world.messages == []
    daemon.wait_log("nudger daemon stopped")


def test_a_second_daemon_exits_naming_the_first(world: World) -> None:
    zone = noon_zone()
    at, _ = local_clock(zone, timedelta(hours=6))
    world.write(zone=zone, at=at)
    first = world.start()
    first.wait_ready()
    second = world.start()
    assert second.wait_exit(timeout=20) == 1
    assert f"PID {first.pid}" in second.log and str(world.db) in second.log
    assert first.proc.poll() is None  # the first one is untouched
    assert first.stop(signal.SIGINT) == 0


def test_a_broken_config_at_start_exits_78(world: World) -> None:
    world.config.write_text('timezone = "UTC"\n[digest]\ntime = "7:3O"\n')
    daemon = world.start()
    assert daemon.wait_exit() == 78
    assert f"{world.config}:3" in daemon.log and "digest.time" in daemon.log
    assert not world.db.exists()


def test_a_broken_template_at_start_exits_78(world: World) -> None:
    zone = noon_zone()
    world.write(zone=zone, at="07:30")
    templates = world.config.parent / "templates"
    templates.mkdir()
    (templates / "digest.txt.j2").write_text("Hello\n{% for x in %}\n")
    daemon = world.start()
    assert daemon.wait_exit() == 78
    assert "digest.txt.j2:2" in daemon.log


def test_under_journald_lines_carry_priorities_and_no_timestamps(world: World) -> None:
    import os
    import subprocess

    from tests.conftest import nudger_executable

    zone = noon_zone()
    at, _ = local_clock(zone, timedelta(hours=-13))  # 13 h late: skipped
    world.write(zone=zone, at=at)
    journal = world.root / "journal"
    with journal.open("w") as stream:
        info = os.fstat(stream.fileno())
        env = {**os.environ, "HOME": str(world.home),
               "JOURNAL_STREAM": f"{info.st_dev}:{info.st_ino}"}
        env.pop("NOTIFY_SOCKET", None)
        code = subprocess.run([nudger_executable(), "--config", str(world.config), "run",
                               "--once"], stderr=stream, env=env, timeout=60,
                              check=False).returncode
    assert code == 0
    lines = journal.read_text().splitlines()
    assert lines and all(line[:3] in ("<7>", "<6>", "<4>", "<3>") for line in lines), lines
    assert any(line.startswith("<6>digest of") and "skipped" in line for line in lines)


# --- catch-up and --once ------------------------------------------------------------------

def test_started_after_the_digest_time_catches_up_once(world: World) -> None:
    zone = noon_zone()
    at, today = local_clock(zone, timedelta(minutes=-30))
    world.write(zone=zone, at=at)
    code, err = world.run_once()
    assert code == 0, err
    assert len(world.messages) == 1 and records(world.db)[today] == "sent"
    assert f"digest of {today} delivered" in err and "Message-ID <" in err
    code, err = world.run_once()  # nothing more is due
    assert code == 0 and len(world.messages) == 1
    daemon = world.start()  # nor for the daemon, on start or on its first wake-ups
    daemon.wait_ready()
    daemon.wait_log(r"nothing to send: the digest for .* is already recorded \(sent\)")
    assert daemon.stop() == 0
    assert len(world.messages) == 1


def test_the_daemon_catches_up_on_start(world: World) -> None:
    zone = noon_zone()
    at, today = local_clock(zone, timedelta(hours=-2))
    world.write(zone=zone, at=at)
    daemon = world.start()
    daemon.wait_log(rf"digest of {today} delivered .*Message-ID <")
    world.wait_state(today, "sent")
    assert daemon.stop() == 0
    assert len(world.messages) == 1


# --- signals -------------------------------------------------------------------------------

def test_sighup_reloads_a_good_config_and_keeps_the_old_one_when_broken(world: World) -> None:
    zone = noon_zone()
    later, today = local_clock(zone, timedelta(hours=6))
    world.write(zone=zone, at=later, catch_up="1 hour")
    daemon = world.start()
    daemon.wait_ready()
    assert world.messages == []

    # A good config moving the digest time to two minutes ago: reloaded, and due now.
    earlier, _ = local_clock(zone, timedelta(minutes=-2))
    world.write(zone=zone, at=earlier, catch_up="1 hour")
    daemon.send_signal(signal.SIGHUP)
    daemon.wait_log(rf"reloaded: digest at {earlier}")
    daemon.wait_log(rf"digest of {today} delivered .*Message-ID <")
    daemon.wait_notify("READY", 2)
    assert daemon.notified("RELOADING") and "MONOTONIC_USEC" in daemon.notified("RELOADING")[0]
    world.wait_state(today, "sent")
    assert len(world.messages) == 1

    # A broken config: the error names the file and line; the old config stays.
    world.config.write_text(world.config.read_text().replace(
        f'time = "{earlier}"', 'time = "25:00"'))
    daemon.send_signal(signal.SIGHUP)
    line = daemon.wait_log("reload failed, keeping the config in force")
    assert f"{world.config}:" in line and "digest.time" in line
    daemon.wait_notify("READY", 3)

    # A broken template: named with its file and line; the running ones stay.
    world.write(zone=zone, at=earlier, catch_up="1 hour")
    templates = world.config.parent / "templates"
    templates.mkdir()
    (templates / "digest.txt.j2").write_text("Hello\n\n{{ nudges | nosuchfilter }}\n")
    daemon.send_signal(signal.SIGHUP)
    line = daemon.wait_log("reload failed, keeping the config in force", count=2)
    assert "digest.txt.j2:3" in line
    daemon.wait_notify("READY", 4)

    assert daemon.proc.poll() is None
    assert daemon.stop() == 0
    assert len(world.messages) == 1


@pytest.mark.slow
def test_sigterm_during_a_slow_data_finishes_the_send(slow_world: World) -> None:
    world = slow_world
    zone = noon_zone()
    at, today = local_clock(zone, timedelta(minutes=-1))
    world.write(zone=zone, at=at)
    daemon = world.start()
    wait_until(lambda: "DATA" in world.server.verbs(), 20, "the DATA command")
    started = time.monotonic()
    daemon.send_signal(signal.SIGTERM)
    assert daemon.stop(timeout=10) == 0
    assert time.monotonic() - started < 10
    assert records(world.db)[today] == "sent"  # the server's 250 was awaited and recorded
    assert len(world.messages) == 1
    daemon.wait_log(rf"digest of {today} delivered .*Message-ID <")
    # Nothing is resent afterwards.
    code, err = world.run_once()
    assert code == 0, err
    assert len(world.messages) == 1


# --- the clock: libfaketime moves it for the whole process ---------------------------------

@needs_faketime
def test_the_digest_goes_out_at_its_minute(world: World) -> None:
    world.write(zone="UTC", at="12:00", catch_up="1 hour")
    daemon = world.start(env=faked("@2026-11-30 11:59:52"))
    daemon.wait_ready()
    assert world.messages == []
    line = daemon.wait_log(r"digest of 2026-11-30 delivered .*Message-ID <", timeout=30)
    woken = daemon.log_matches(r"woken \(digest time\) at 2026-11-30 12:00:0\d")
    assert woken, daemon.log
    world.wait_state("2026-11-30", "sent")
    assert line and records(world.db) == {"2026-11-29": "skipped", "2026-11-30": "sent"}
    assert daemon.stop() == 0
    assert len(world.messages) == 1


@needs_faketime
@pytest.mark.slow
@pytest.mark.xdist_group("clock")  # 400x clock: one at a time
def test_dst_fall_back_sends_one_digest(world: World) -> None:
    # 01:30 happens twice in New York on 2025-11-02; APScheduler's cron job fires at both.
    # Clock at 400x from 00:30 EDT: the two hours take ~19 s. The hour before the first
    # 01:30 (9 s) is the start-up's budget: a loaded machine takes seconds to start Python.
    world.write(zone="America/New_York", at="01:30", smtp_timeout=3000)
    daemon = world.start(env=faked("@2025-11-02 04:30:00 x400"))
    daemon.wait_log(r"digest of 2025-11-02 delivered .*Message-ID <", timeout=30)
    # The second 01:30 (EST, -05:00) wakes the daemon again, and it sends nothing.
    daemon.wait_log(r"woken \(\w[\w ]*\) at 2025-11-02 01:(3[5-9]|[45]\d):.*-05:00", timeout=40)
    assert daemon.log_matches(r"woken \(digest time\) at 2025-11-02 01:30:.*-04:00")
    assert daemon.stop() == 0
    assert len(world.messages) == 1
    assert records(world.db) == {"2025-11-01": "skipped", "2025-11-02": "sent"}


@needs_faketime
@pytest.mark.slow
def test_forward_clock_jumps_one_digest_per_local_date(world: World) -> None:
    # The clock comes from a file libfaketime re-reads: each rewrite is a jump, as after a
    # suspend. A sleeping event loop does not notice a jump (its wait is in real time);
    # the interval job wakes it, so the clock runs 120x to make its 5 minutes 2.5 seconds.
    # Digest at 07:30 UTC every day, catch_up 12 hours.
    clock = world.root / "faketime.rc"
    # Twenty minutes (10 s) before the digest: the start-up's budget on a loaded machine.
    clock.write_text("@2026-11-30 07:10:00 x120\n")
    world.write(zone="UTC", at="07:30", smtp_timeout=3000)
    env = faked("", {"FAKETIME_TIMESTAMP_FILE": str(clock)})
    del env["FAKETIME"]
    daemon = world.start(env=env)
    daemon.wait_log(r"digest of 2026-11-30 delivered .*Message-ID <", timeout=30)
    assert daemon.log_matches(r"woken \(digest time\) at 2026-11-30 07:30:0"), daemon.log

    clock.write_text("@2026-12-01 09:00:00 x120\n")  # slept through 07:30: 1.5 h late
    daemon.wait_log(r"digest of 2026-12-01 delivered .*Message-ID <", timeout=30)

    clock.write_text("@2026-12-03 23:00:00 x120\n")  # two days asleep: 12-03 is 15.5 h late
    daemon.wait_log(r"digest of 2026-12-03 recorded as skipped", timeout=30)

    clock.write_text("@2026-12-04 07:25:00 x120\n")
    daemon.wait_log(r"digest of 2026-12-04 delivered .*Message-ID <", timeout=30)
    assert daemon.stop() == 0
    assert records(world.db) == {"2026-11-29": "skipped", "2026-11-30": "sent",
                                 "2026-12-01": "sent", "2026-12-03": "skipped",
                                 "2026-12-04": "sent"}
    assert len(world.messages) == 3
    ids = {m.message_id for m in world.messages}
    assert len(ids) == 3


@needs_faketime
@pytest.mark.xdist_group("clock")  # 30x clock: one at a time
def test_a_transient_failure_is_retried_at_its_time(tmp_path: Path) -> None:
    # The server answers the first DATA with 451; delivery.retry.first is 1 minute, and the
    # clock runs 30x: the retry comes ~2 s later, woken by its own job, not the interval's.
    with SmtpServer(replies={"DATA": ["451 4.3.0 try again later"]}) as server:
        world = World(tmp_path, server)
        try:
            world.write(zone="UTC", at="12:00", smtp_timeout=900)
            daemon = world.start(env=faked("@2026-11-30 12:00:30 x30"))
            world.wait_state("2026-11-30", "retry", timeout=20)
            assert world.messages == []
            world.wait_state("2026-11-30", "sent", timeout=20)
            # Woken for the retry at the time the outbox set, not at the next interval.
            due = re.search(r"retrying at (\S+)", daemon.log)
            woken = re.search(r"woken \(retry time\) at (.+)", daemon.log)
            assert due and woken, daemon.log
            late = datetime.fromisoformat(woken.group(1)) - datetime.fromisoformat(due.group(1))
            assert timedelta(0) <= late < timedelta(seconds=10), daemon.log
            assert daemon.stop() == 0
            assert len(world.messages) == 1
        finally:
            for d in world.daemons:
                d.close()


def test_as_the_system_unit_starts_it(world: World, tmp_path: Path) -> None:
    # What systemd gives the service: ConfigurationDirectory=, StateDirectory=, UMask=0007
    # and no `database` key. The database lands in the state directory, writable by the
    # group (CLI users), and so does the lock file.
    import os
    import stat
    import subprocess

    from tests.conftest import nudger_executable

    zone = noon_zone()
    at, today = local_clock(zone, timedelta(minutes=-5))
    conf_dir, state_dir = tmp_path / "etc-nudger", tmp_path / "var-lib-nudger"
    conf_dir.mkdir()
    state_dir.mkdir()
    world.write(zone=zone, at=at)
    text = world.config.read_text().replace('database = "nudger.db"\n', "")
    (conf_dir / "config.toml").write_text(text)
    env = {k: v for k, v in os.environ.items() if k not in ("NUDGER_CONFIG", "NOTIFY_SOCKET")}
    env.update(HOME=str(world.home), CONFIGURATION_DIRECTORY=str(conf_dir),
               STATE_DIRECTORY=str(state_dir))
    result = subprocess.run([nudger_executable(), "run", "--once"], env=env,
                            capture_output=True, text=True, timeout=60, check=False,
                            preexec_fn=lambda: os.umask(0o007))
    assert result.returncode == 0, result.stderr
    db = state_dir / "nudger.db"
    assert records(db) == {today: "sent"} and len(world.messages) == 1
    assert stat.S_IMODE(db.stat().st_mode) == 0o660
    assert stat.S_IMODE((state_dir / "nudger.db.lock").stat().st_mode) == 0o660
