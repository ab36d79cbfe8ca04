"""Issue 13, class 6: a user's template cannot exhaust the machine or freeze the daemon.

Whatever a template does (huge `center`/`format` widths, a string doubled with `~`, two
nested `range(100000)` loops), `check` answers within the render budget naming the
template, a SIGHUP that brings such a template is abandoned with the old templates kept,
and SIGTERM stops the daemon within its 10 s promise even in the middle of that check.
"""

from __future__ import annotations

import signal
import time

import pytest

from tests.e2e.conftest import Tail, World, children, wait_for
from tests.e2e.test_reload import NOW

# A wall-clock render budget: one at a time.
pytestmark = pytest.mark.xdist_group("clock")

HANG = ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
        "{{ app.company }}\n")
# Every construct is covered in tests/digest/test_render.py; here the two kinds of limit.
HOSTILE = {
    "center": "{{ app.company|center(10000000000) }}\n",
    "loops": HANG,
}


@pytest.mark.parametrize("construct", sorted(HOSTILE))
def test_check_stops_a_runaway_template_and_names_it(world: World, construct: str) -> None:
    drafts = world.root / "templates" / "drafts"
    drafts.mkdir(parents=True)
    path = drafts / "email.txt.j2"
    path.write_text(HOSTILE[construct], encoding="utf-8")
    started = time.monotonic()
    result = world.run("check", timeout=60)
    elapsed = time.monotonic() - started
    assert result.returncode == 78, result.stderr
    assert str(path) in result.stderr, result.stderr
    assert "rendering" in result.stderr and "Traceback" not in result.stderr
    assert elapsed < 30, elapsed  # a hang guard; the budget itself is measured in bench


@pytest.mark.slow
def test_a_runaway_template_by_sighup_is_abandoned_and_sigterm_still_stops(
        world: World) -> None:
    proc = world.spawn("run", faketime=NOW)
    log = Tail(proc)
    stopped_at = None
    try:
        assert wait_for(lambda: len(world.server.messages) == 1, timeout=30), log.text()
        drafts = world.root / "templates" / "drafts"
        drafts.mkdir(parents=True)
        (drafts / "email.txt.j2").write_text(HANG, encoding="utf-8")

        proc.send_signal(signal.SIGHUP)
        assert log.has("took longer than", timeout=30), log.text()
        assert "reload failed, keeping the config in force" in log.text()
        assert "email.txt.j2" in log.text()
        assert log.still_serving(), log.text()

        # Again, and stop it while the check runs: the daemon exits within its promise.
        marker = len(log.text())
        proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: "SIGHUP received" in log.text()[marker:], timeout=10)
        # The check is running: its bounded child (nudger.digest.bounded) renders HANG.
        assert wait_for(lambda: bool(children(proc.pid)), timeout=10), log.text()
        stopped_at = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        took = time.monotonic() - stopped_at
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, log.text()
    assert took < 10, (took, log.text())
    assert len(world.server.messages) == 1
