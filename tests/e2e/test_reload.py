"""Scenario 6: SIGHUP with a broken config and with a broken template.

The daemon logs the problem with file and line and keeps running on the old ones; a good
config afterwards is taken; SIGTERM ends it with status 0.
"""

from __future__ import annotations

import signal

from tests.e2e.conftest import Tail, World, wait_for

NOW = "@2027-02-01 13:00:00"


def test_sighup_with_broken_config_and_template(world: World) -> None:
    proc = world.spawn("run", faketime=NOW)
    log = Tail(proc)
    try:
        assert wait_for(lambda: len(world.server.messages) == 1, timeout=30), log.text()
        good = world.config.read_text()

        world.config.write_text(good + "\n[digest\n")  # a TOML syntax error on a known line
        broken_line = len(good.splitlines()) + 2
        proc.send_signal(signal.SIGHUP)
        assert log.has(f"config.toml:{broken_line}"), log.text()
        assert log.still_serving(), log.text()

        world.config.write_text(good)
        templates = world.root / "templates"
        templates.mkdir()
        (templates / "digest.txt.j2").write_text("Hello\n{% for x in %}\n")
        proc.send_signal(signal.SIGHUP)
        assert log.has("digest.txt.j2:2"), log.text()
        assert log.still_serving(), log.text()

        (templates / "digest.txt.j2").unlink()
        world.config.write_text(good.replace('time = "07:30"', 'time = "07:45"'))
        marker = len(log.text())
        proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: "reload" in log.text()[marker:].lower(), timeout=20), \
            log.text()
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
    assert proc.returncode == 0, log.text()
    assert len(world.server.messages) == 1
