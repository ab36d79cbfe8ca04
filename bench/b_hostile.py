"""Issue 13: what the defences against hostile input cost, and that they scale.

- A digest rendered from the user's own templates (a forked child bounded in time and
  memory, templates compiled in the child) against the same digest from the shipped
  templates (rendered in this process: the fast path), each cold (templates read and
  compiled, as `nudger digest` and the daemon's once-a-day send do). Target: the bounded
  render stays within 100 ms of the fast path.
- Locating config errors: 16,000 unknown keys against 1,000 (times 16). Linear means a
  ratio near 1; the old scan per error was quadratic (113 s for 16,000 keys).
"""

from __future__ import annotations

import shutil
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.core import Figure, median_of, settings_and_database

DAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 13, 30, tzinfo=UTC)


def _digest_figures(work: Path) -> list[Figure]:
    from nudger.digest.check import check_templates
    from nudger.digest.compose import compose_digest
    from nudger.digest.render import Renderer, packaged_dir
    from nudger.track import tracker
    from nudger.when.business import Calendar

    settings, db = settings_and_database(work)
    with db.session() as s:
        for i in range(50):
            applied = DAY - timedelta(days=30)
            tracker.add_application(
                s, company=f"Company {i}", role="Account Executive", today=applied,
                applied_on=applied,
                contacts=[tracker.parse_contact(f"Person {i} <p{i}@c{i}.example>")],
                now=NOW)
    calendar = Calendar.from_settings(settings)

    def render() -> None:
        # Cold: a fresh snapshot, nothing compiled yet.
        Renderer.for_dir(settings.templates_dir, fresh=True).install(settings.templates_dir)
        with db.read_session() as s:
            composed = compose_digest(settings, s, calendar, DAY, NOW)
        assert composed.nudges == 50, composed.nudges

    for _ in range(3):
        render()
    fast = median_of(render, repeat=7)
    # The same templates, copied as the user's own: every render goes through the child.
    shutil.copytree(packaged_dir(), work / "templates")
    assert check_templates(settings) == []
    render()
    assert Renderer.for_dir(settings.templates_dir).untrusted
    bounded = median_of(render, repeat=7)
    db.dispose()
    extra = (bounded - fast) * 1000
    return [Figure(name="50-nudge digest from the user's own templates (bounded child)",
                   value=bounded * 1000, unit="ms", target="<= fast path + 100 ms",
                   ok=extra <= 100, baseline=f"shipped templates in-process {fast * 1000:.1f} ms",
                   ratio=bounded / fast if fast else None)]


def _config_figures() -> list[Figure]:
    from nudger.config import parse_settings
    from nudger.errors import ConfigError

    path = Path("/tmp/bench-config.toml")

    def locate(count: int) -> float:
        text = "".join(f"unknown_{i} = {i}\n" for i in range(count))
        started = time.perf_counter()
        try:
            parse_settings(text, path)
        except ConfigError:
            pass
        return time.perf_counter() - started

    small = min(locate(1_000) for _ in range(3))
    big = min(locate(16_000) for _ in range(3))
    ratio = big / (16 * small) if small else None
    return [Figure(name="config error for 16,000 unknown keys", value=big * 1000, unit="ms",
                   target="<= 2x (16 x the time for 1,000): linear",
                   ok=ratio is not None and ratio <= 2,
                   baseline=f"1,000 keys {small * 1000:.1f} ms", ratio=ratio)]


def figures(work: Path) -> list[Figure]:
    return [*_digest_figures(work), *_config_figures()]
