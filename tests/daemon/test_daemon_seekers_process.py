"""`nudger run` as a real process on a database of several seekers, against a real SMTP
server, its clock moved by libfaketime: each enabled seeker's digest at their own local
time, once; SIGHUP keeps serving them; SIGTERM and a restart send nothing again; a
disabled seeker gets none."""

from __future__ import annotations

import signal

import pytest

from tests.conftest import run_installed
from tests.daemon.conftest import World, faked, needs_faketime

# Monday 2031-01-13: 09:00 in Kolkata is 03:30 UTC, 04:31 in Paris is 03:31 UTC.
SEEKERS = (("kiran@example.in", "Asia/Kolkata", "09:00"),
           ("dana@example.fr", "Europe/Paris", "04:31"),
           ("off@example.co.uk", "Europe/London", "03:30"))


def nudger(world: World, *args: str, at: str) -> None:
    result = run_installed("--config", str(world.config), *args,
                           env={"HOME": str(world.home), **faked(at)})
    assert result.returncode == 0, result.stderr


@needs_faketime
@pytest.mark.xdist_group("clock")  # 10x clock: one at a time
def test_each_seeker_at_their_time_then_a_restart_sends_nothing(world: World) -> None:
    world.write(zone="UTC", at="06:00")  # config.toml's time: nobody's here
    for email, zone, at in SEEKERS:
        nudger(world, "seeker", "add", email, "--name", email.split("@")[0].title(),
               "--timezone", zone, "--at", at, at="@2031-01-12 20:00:00")
    nudger(world, "seeker", "disable", SEEKERS[2][0], at="@2031-01-12 20:00:00")

    # Twenty seconds (two at 10x) before Kiran's digest: the start-up's budget.
    daemon = world.start(env=faked("@2031-01-13 03:29:40 x10"))
    daemon.wait_ready()
    assert daemon.notified("READY")[0]["STATUS"] == "next digest Mon 2031-01-13 03:30 UTC"
    daemon.wait_log(r"digest of 2031-01-13 for kiran@example.in: sent", timeout=30)
    daemon.wait_log(r"digest of 2031-01-13 for dana@example.fr: sent", timeout=30)
    daemon.send_signal(signal.SIGHUP)  # a reload keeps serving seeker by seeker
    daemon.wait_log(r"reloaded: each seeker's digest at their own time; next digest "
                    r"Tue 2031-01-14 03:30 UTC")
    assert daemon.stop() == 0
    assert [m.rcpt_tos for m in world.messages] == [["kiran@example.in"], ["dana@example.fr"]]
    assert daemon.log_matches(r"each seeker's digest at their own time")

    again = world.start(env=faked("@2031-01-13 08:10:00"))  # the disabled one is due too
    again.wait_ready()
    again.wait_log(r"woken \(start\)")
    assert again.stop() == 0
    assert len(world.messages) == 2
    assert not again.log_matches(r"digest of 2031-01-13 for")
