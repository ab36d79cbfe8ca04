"""The CPU one digest costs a worker to compose and serialize, in one process, split by
stage: the exact digest `python -m bench workers` sends (bench/fleet.py: a seeker of the
career centre's config, three applications whose first follow-up is overdue, a contact
each, yesterday's digest sent), read from a SQLite file written by the same `fleet.seed`.

Stages (each run DIGESTS times after a warm-up, CPU time of this process, the best of
REPEATS passes, in ms per digest):
- gather: the day's values read (store/read.py, cadence, FOUND IN YOUR MAIL);
- invitation: `send.outbox.invitations_in` as the worker calls it (calendar events
  refreshed in the write session; none to attach for these seekers);
- context + drafts: `compose.digest_context`, each nudge's draft rendered;
- render subject + text, render html: the digest's trio (`send.message.render_parts`);
- MIME build: `send.message.build_message`;
- as bytes: aiosmtplib's `flatten_message`, the bytes the relay sends (email's
  generator under the SMTP policy);
- total: `digest.seeker.compose_for` then the bytes, end to end (what a worker's
  composing costs; the rest of its 26.7 ms per digest is the database, the queue and the
  SMTP dialogue: bench/b_workers.py).

No target: the issue's budget is a few ms of worker CPU per digest in all. The baseline
column is BASELINE, measured with this topic on the code before the compose work (issue
24), on this machine, on the date it names. To measure another tree the same way, run
this file as a script with that tree first on the path, alternating with this one:
`PYTHONPATH=/path/to/other/checkout python bench/b_compose.py` (from outside both trees).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from bench import fleet
from bench.core import Figure

DIGESTS = 200
REPEATS = 3
# ms of CPU per digest before the compose work: this topic on main at 7099086, the best of
# three runs alternating with the compose work's on the same loaded 2-core machine.
BASELINE_DATE = "2026-12-07"
BASELINE: dict[str, float] = {
    "gather": 1.881, "invitation": 0.844, "context + drafts": 0.376,
    "render subject + text": 0.359, "render html": 0.234, "MIME build": 1.424,
    "as bytes (aiosmtplib)": 0.706, "total: compose_for + bytes": 7.537,
}


def _cpu_per_call(fn: Callable[[], Any], n: int = DIGESTS, repeats: int = REPEATS) -> float:
    """ms of this process's CPU per call of `fn`: the best of `repeats` passes of `n`."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(n):
            fn()
        best = min(best, (time.process_time() - start) / n)
    return best * 1000


def stages(work: Path) -> dict[str, float]:
    """ms of CPU per digest of each stage (see the module's docstring)."""
    from aiosmtplib.email import flatten_message

    from nudger.config import parse_settings
    from nudger.digest.compose import digest_context
    from nudger.digest.render import Renderer
    from nudger.digest.seeker import compose_for, serving
    from nudger.digest.values import gather, render_draft
    from nudger.send.message import DIGEST, build_message, digest_message_id, render_parts
    from nudger.send.outbox import invitations_in
    from nudger.store.db import Database
    from nudger.when.business import Calendar

    config = work / "config.toml"
    text = fleet.config_text("nudger.db", 2525)
    config.write_text(text, encoding="utf-8")
    db = Database(work / "nudger.db")
    db.ensure(create=True)
    day = fleet.today()
    pairs = fleet.seed(db, 3, day)
    seeker = serving(parse_settings(text, config), db, pairs[1][0])
    settings = seeker.settings
    calendar = Calendar.from_settings(settings)
    now = datetime.now(UTC)
    renderer = Renderer.for_dir(settings.templates_dir)
    found: dict[str, float] = {}
    try:
        with seeker.db.read_session() as s:
            g = gather(s, settings, calendar, day)
            found["gather"] = _cpu_per_call(lambda: gather(s, settings, calendar, day))
        with seeker.db.session() as s:
            assert invitations_in(s, settings, calendar, now) is None
            found["invitation"] = _cpu_per_call(
                lambda: invitations_in(s, settings, calendar, now))
        context_of = partial(digest_context, partial(render_draft, renderer), settings, g,
                             day, now, [], None)
        context = context_of()
        assert context["count"] == fleet.APPS_PER_SEEKER, context["count"]
        found["context + drafts"] = _cpu_per_call(context_of)
        found["render subject + text"] = _cpu_per_call(lambda: (
            renderer.render("digest.subject.j2", context),
            renderer.render("digest.txt.j2", context)))
        found["render html"] = _cpu_per_call(lambda: renderer.render("digest.html.j2",
                                                                     context))
        parts = render_parts(renderer, DIGEST, context)
        message_id = digest_message_id(settings, day)
        found["MIME build"] = _cpu_per_call(lambda: build_message(
            settings, DIGEST, parts, message_id=message_id, now=now))
        # Each pass flattens a new message, as the relay flattens each digest once.
        messages = iter([build_message(settings, DIGEST, parts, message_id=message_id,
                                       now=now) for _ in range(DIGESTS * REPEATS + 1)])
        found["as bytes (aiosmtplib)"] = _cpu_per_call(lambda: flatten_message(next(messages)))

        def total() -> bytes:
            with seeker.db.read_session() as s:
                composed = compose_for(seeker, day, session=s, calendar=calendar, now=now)
            return flatten_message(composed.message)

        total()
        found["total: compose_for + bytes"] = _cpu_per_call(total)
    finally:
        db.dispose()
    return found


def figures(work: Path) -> list[Figure]:
    found = stages(work)
    out = []
    for name, value in found.items():
        before = BASELINE.get(name)
        out.append(Figure(
            name=f"compose: {name}", value=value, unit="ms CPU/digest",
            target="reported (no target)", ok=True,
            baseline=f"{before:.3f} ms on {BASELINE_DATE}" if before else "",
            ratio=value / before if before else None))
    return out


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for name, value in stages(Path(tmp)).items():
            print(f"{name:32} {value:.3f} ms")
