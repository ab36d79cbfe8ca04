"""Scenario 4: the daemon under a moved clock (libfaketime), in seconds of real time.

The clock runs fast (`xN`) and the test makes it jump by rewriting libfaketime's timestamp
file: a DST fall-back's repeated hour and a spring-forward gap in two zones, a 00:30 digest
across a spring-forward (APScheduler alone skips the next day), forward jumps (a suspended
laptop), a backward jump of two hours, a week switched off. Exactly one digest per local
date, none sent on a later date than its own, and no busy loop.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import Tail, World, needs_faketime, wait_for

# The clock runs 200x and one test holds the daemon to a CPU budget: one at a time.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("clock")]


class FakeClock:
    """libfaketime's timestamp file: '@YYYY-MM-DD HH:MM:SS xSPEED', in UTC."""

    def __init__(self, path: Path, speed: int) -> None:
        self.path = path
        self.speed = speed

    def set(self, utc: str) -> None:
        self.path.write_text(f"@{utc} x{self.speed}\n")

    def real_seconds(self, fake_minutes: float) -> float:
        return fake_minutes * 60 / self.speed


def configure(world: World, zone: str, at: str) -> None:
    world.digest_time = at
    world.write_config(timeout=3600)  # fake seconds: the clock runs fast
    text = world.config.read_text().replace('timezone = "America/New_York"',
                                            f'timezone = "{zone}"')
    world.config.write_text(text)


@pytest.fixture
def clock(world: World) -> Iterator[FakeClock]:
    needs_faketime()
    yield FakeClock(world.root / "clock.rc", 200)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    import os

    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def daemon(world: World, clock: FakeClock) -> subprocess.Popen[str]:
    return world.spawn("run", clock=clock.path)


def stop(proc: subprocess.Popen[str], log: Tail | None = None) -> tuple[float, str]:
    """SIGTERM, then (CPU seconds used, the log); `log` when a Tail reads the log."""
    cpu = cpu_seconds(proc.pid) if proc.poll() is None else 0.0
    proc.send_signal(signal.SIGTERM)
    if log is None:
        _, err = proc.communicate(timeout=30)
    else:
        proc.wait(timeout=30)
        err = log.finish()
    assert proc.returncode == 0, err
    return cpu, err


def sent_dates(world: World, zone: str) -> list[tuple[date, date]]:
    """(digest's local date, local date it was sent on) for every message received."""
    outbox = {m: date.fromisoformat(d) for d, (_, m) in world.digests().items()}
    out = []
    for message in world.server.messages:
        sent = parsedate_to_datetime(str(message.message["Date"])).astimezone(ZoneInfo(zone))
        out.append((outbox[message.message_id], sent.date()))
    return out


def one_each_on_time(world: World, zone: str, days: list[date]) -> None:
    pairs = sent_dates(world, zone)
    assert sorted(d for d, _ in pairs) == sorted(days), pairs
    for digest_day, sent_on in pairs:
        assert sent_on == digest_day, f"digest of {digest_day} sent on {sent_on}"


@pytest.mark.parametrize(
    ("zone", "start", "end", "day"),
    [
        # 01:30 happens twice: EDT (05:30 UTC), then EST (06:30 UTC).
        ("America/New_York", "2026-11-01 05:25:00", 72, date(2026, 11, 1)),
        # 02:30 happens twice: CEST (00:30 UTC), then CET (01:30 UTC).
        ("Europe/Berlin", "2026-10-25 00:25:00", 72, date(2026, 10, 25)),
    ],
)
def test_fall_back_repeated_hour(world: World, clock: FakeClock, zone: str, start: str,
                                 end: float, day: date) -> None:
    configure(world, zone, "01:30" if zone.startswith("America") else "02:30")
    clock.set(start)
    proc = daemon(world, clock)
    assert wait_for(lambda: len(world.server.messages) >= 1, timeout=30)
    time.sleep(clock.real_seconds(end))  # on past the second occurrence
    cpu, _ = stop(proc)
    one_each_on_time(world, zone, [day])
    assert cpu < 5.0, f"{cpu:.1f} s of CPU for {end} fake minutes: a busy loop?"


@pytest.mark.parametrize(
    ("zone", "start", "moment_utc", "day"),
    [
        ("America/New_York", "2027-03-14 06:50:00", "2027-03-14 07:30", date(2027, 3, 14)),
        ("Europe/Berlin", "2027-03-28 00:50:00", "2027-03-28 01:30", date(2027, 3, 28)),
    ],
)
def test_spring_forward_gap(world: World, clock: FakeClock, zone: str, start: str,
                            moment_utc: str, day: date) -> None:
    configure(world, zone, "02:30")  # does not exist that night
    clock.set(start)
    proc = daemon(world, clock)
    assert wait_for(lambda: len(world.server.messages) >= 1,
                    timeout=clock.real_seconds(60) + 20)
    time.sleep(clock.real_seconds(20))
    stop(proc)
    one_each_on_time(world, zone, [day])
    sent = parsedate_to_datetime(str(world.server.messages[0].message["Date"]))
    assert sent >= datetime.fromisoformat(moment_utc + "+00:00"), "sent before its time"


def test_half_past_midnight_across_spring_forward(world: World, clock: FakeClock) -> None:
    zone = "America/Los_Angeles"  # DST starts 2027-03-14 02:00
    configure(world, zone, "00:30")
    clock.set("2027-03-14 08:20:00")  # 00:20 PST
    proc = daemon(world, clock)
    assert wait_for(lambda: len(world.server.messages) == 1, timeout=30)
    clock.set("2027-03-15 07:20:00")  # 00:20 PDT the next day: the day APScheduler skips
    assert wait_for(lambda: len(world.server.messages) == 2,
                    timeout=clock.real_seconds(30) + 20)
    stop(proc)
    one_each_on_time(world, zone, [date(2027, 3, 14), date(2027, 3, 15)])


def test_suspend_jumps_forward(world: World, clock: FakeClock) -> None:
    zone = "America/New_York"
    configure(world, zone, "07:30")
    clock.set("2027-02-01 11:00:00")  # 06:00 EST
    proc = daemon(world, clock)
    log = Tail(proc)
    assert log.has("nudger daemon started", timeout=30), log.text()  # 07:30 is scheduled
    clock.set("2027-02-01 15:00:00")  # resume at 10:00: 2.5 h late, within catch-up
    assert wait_for(lambda: len(world.server.messages) == 1, timeout=30)
    clock.set("2027-02-03 02:00:00")  # resume at 21:00 the next day: 13.5 h late
    time.sleep(3.0)
    clock.set("2027-02-03 12:25:00")  # 07:25 on the 3rd
    assert wait_for(lambda: len(world.server.messages) == 2, timeout=30)
    stop(proc, log)
    pairs = sent_dates(world, zone)
    assert [d for d, _ in pairs] == [date(2027, 2, 1), date(2027, 2, 3)]
    for digest_day, sent_on in pairs:
        assert sent_on == digest_day
    assert world.digests().get("2027-02-02", ("skipped",))[0] == "skipped"


def test_backward_jump_of_two_hours(world: World, clock: FakeClock) -> None:
    zone = "America/New_York"
    configure(world, zone, "07:30")
    clock.set("2027-02-08 12:25:00")  # 07:25
    proc = daemon(world, clock)
    assert wait_for(lambda: len(world.server.messages) == 1, timeout=30)
    clock.set("2027-02-08 10:40:00")  # back to 05:40: 07:30 comes round again
    time.sleep(clock.real_seconds(130))
    stop(proc)
    one_each_on_time(world, zone, [date(2027, 2, 8)])


def test_a_week_switched_off(world: World, clock: FakeClock) -> None:
    zone = "America/New_York"
    configure(world, zone, "07:30")
    clock.set("2027-02-15 12:35:00")
    proc = daemon(world, clock)
    assert wait_for(lambda: len(world.server.messages) == 1, timeout=30)
    stop(proc)
    clock.set("2027-02-22 13:00:00")  # a week later, 08:00
    proc = daemon(world, clock)
    assert wait_for(lambda: len(world.server.messages) == 2, timeout=30)
    time.sleep(2.0)
    stop(proc)
    one_each_on_time(world, zone, [date(2027, 2, 15), date(2027, 2, 22)])
