"""The digest's HTML part at phone width (390 px), laid out by a real browser: headless
Chromium renders it and a small script measures it. Nothing may be wider than the
viewport, and command chips, dates, phone numbers and the effort chart's labels never
break inside. Skipped (with the reason) only when Chromium is not installed; .ci/run
installs it."""

from __future__ import annotations

import html as htmlmod
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from nudger.track import tracker
from nudger.track.demo import add_demo_applications
from tests.digest_helpers import DAY, NOW, compose, make_db, make_settings

WIDTH = 390
CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "",
                             shutil.which("chromium-browser") or "")
                 if p and os.access(p, os.X_OK)), None)

# Headless Chromium's window is at least 500 px wide, so each digest is laid out in a
# 390 px iframe (srcdoc: same origin, so this page can measure inside it). Every page of a
# session goes into one Chromium run (a browser takes seconds to start): one iframe each,
# measured when all have loaded. The findings go into the DOM that --dump-dom prints.
FRAME = """<iframe class="phone" width="{width}" height="20000"
 style="border:0;width:{width}px;height:20000px;display:block" srcdoc="{page}"></iframe>
"""
WRAPPER = """<!DOCTYPE html>
<html><head><meta charset="utf-8"></head><body style="margin:0">
{frames}
<script>
function measure(frame) {{
  var win = frame.contentWindow, doc = frame.contentDocument, W = win.innerWidth;
  var out = {{viewport: W, scrollWidth: doc.documentElement.scrollWidth,
    bodyScrollWidth: doc.body.scrollWidth, wide: [], broken: [], counted: 0}};
  function describe(el) {{
    return el.tagName.toLowerCase() + (el.className ? "." + el.className : "") + ": " +
      (el.textContent || "").replace(/\\s+/g, " ").trim().slice(0, 70);
  }}
  doc.querySelectorAll("body *").forEach(function (el) {{
    var r = el.getBoundingClientRect();
    if (r.width > 0 && (r.right > W + 0.5 || r.left < -0.5)) out.wide.push(describe(el));
    if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0 &&
        win.getComputedStyle(el).overflowX !== "visible") out.wide.push("scrolls " + describe(el));
  }});
  doc.querySelectorAll(".chip, .date, .phone, .label, .figure").forEach(function (el) {{
    out.counted += 1;
    var range = doc.createRange();
    range.selectNodeContents(el);
    var tops = {{}};
    Array.prototype.forEach.call(range.getClientRects(), function (r) {{
      if (r.width > 0) tops[Math.round(r.top)] = true;
    }});
    if (Object.keys(tops).length > 1) out.broken.push(describe(el));
  }});
  return out;
}}
var frames = document.querySelectorAll("iframe.phone"), loaded = 0;
frames.forEach(function (frame) {{
  frame.addEventListener("load", function () {{
    loaded += 1;
    if (loaded < frames.length) return;
    var pre = document.createElement("pre");
    pre.id = "nudger-layout";
    pre.textContent = JSON.stringify(Array.prototype.map.call(frames, measure));
    document.body.appendChild(pre);
  }});
}});
</script></body></html>
"""


def layouts(pages: list[str], tmp_path: Path, width: int = WIDTH) -> list[dict[str, Any]]:
    """Chromium's measurements of each page laid out `width` px wide, from one run."""
    assert CHROMIUM is not None
    path = tmp_path / "phone.html"
    frames = "".join(FRAME.format(width=width, page=htmlmod.escape(page, quote=True))
                     for page in pages)
    path.write_text(WRAPPER.format(frames=frames), encoding="utf-8")
    # Headless Chromium now and then prints the DOM before the frames' load events ran
    # (exit 0, no measurements; seen once in a full CI run, never alone): a fresh browser
    # gets up to three runs, and the failure message is the last one's.
    for _ in range(3):
        with tempfile.TemporaryDirectory(prefix="nudger-chromium-") as profile:
            done = subprocess.run(
                [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}",
                 "--window-size=600,2000", "--hide-scrollbars", "--virtual-time-budget=10000",
                 "--dump-dom", path.as_uri()],
                capture_output=True, text=True, timeout=120, check=False)
        start = done.stdout.find('<pre id="nudger-layout">')
        if start >= 0:
            break
    assert start >= 0, f"chromium printed no measurements (exit {done.returncode}): " \
        f"{done.stderr[-2000:]}"
    body = done.stdout[start + len('<pre id="nudger-layout">'):]
    found = json.loads(htmlmod.unescape(body[: body.index("</pre>")]))
    assert len(found) == len(pages)
    return [dict(one) for one in found]


def busy_digest(tmp_path: Path, extra: str = "") -> str:
    """The demo's hunt on the weekly effort day, plus the long things people type."""
    settings = make_settings(tmp_path, extra='\n[digest]\neffort_day = "tue"\n' + extra)
    db = make_db(settings)
    with db.session() as session:
        add_demo_applications(session, DAY, NOW, settings)
        tracker.add_application(
            session, company="Contoso Pharmaceuticals International", role="Senior "
            "Territory Account Executive, Enterprise Healthcare", today=DAY, now=NOW,
            applied_on=DAY.replace(day=10), contacts=[tracker.ContactSpec(
                name="Bartholomew Featherstonehaugh-Wolfeschlegel",
                email="bartholomew.featherstonehaugh@contoso-pharmaceuticals.example",
                phone="+44 20 7946 0958", kind="recruiter")])
        for app_id in range(1, 5):  # this week's effort: a few follow-ups in the chart
            tracker.log_touch(session, app_id, "email", DAY.replace(day=18), now=NOW,
                               note="sent")
    page = compose(settings, db).html
    db.dispose()
    return page


IMAP = '\n[imap]\nhost = "127.0.0.1"\nusername = "alex@example.com"\n'


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, tuple[str, dict[str, Any]]]:
    """Both digests (with an [imap] table it has the act buttons and the reply-with-commands
    list) and their layouts, from one Chromium run."""
    pages = {mail: busy_digest(tmp_path_factory.mktemp(f"mail-{mail}"), IMAP if mail else "")
             for mail in (False, True)}
    found = layouts(list(pages.values()), tmp_path_factory.mktemp("chromium"))
    return {mail: (page, one) for (mail, page), one in zip(pages.items(), found, strict=True)}


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed "
                    "(apt-get install chromium; .ci/run installs it)")
@pytest.mark.xdist_group("chromium")  # one browser run measures both: one worker
@pytest.mark.parametrize("mail", [False, True], ids=["plain", "with-mail-buttons"])
def test_nothing_overflows_a_phone_and_nothing_breaks_inside(
        measured: dict[bool, tuple[str, dict[str, Any]]], mail: bool) -> None:
    page, found = measured[mail]
    assert (">Snooze 3 days</a>" in page) == mail
    assert 'class="label"' in page and 'class="chip"' in page and 'class="date"' in page
    assert found["viewport"] == WIDTH
    assert found["scrollWidth"] <= WIDTH and found["bodyScrollWidth"] <= WIDTH, found
    assert found["wide"] == []
    assert found["counted"] > 20
    assert found["broken"] == []
