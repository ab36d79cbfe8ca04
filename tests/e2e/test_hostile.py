"""Scenario 8: hostile data through every path a value travels.

Values come in through the CLI, through an imported spreadsheet, and through a user
template that prints them in a header-bound place. Whatever they hold (CR/LF, `\\r\\nBcc:`,
NUL, `<script>`, `javascript:`, 10,000-character names), the raw message at the server
has exactly the configured recipient and the same headers as a benign digest, and its
HTML part exactly the template's tags.
"""

from __future__ import annotations

import csv
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

from tests.e2e.conftest import World
from tests.smtpserver import SmtpServer

MORNING = "@2027-02-01 13:00:00"
INJECT = "\r\nBcc: victim@evil.example\r\nX-Injected: yes"
SCRIPT = "<script>alert('x')</script>"
JS = "javascript:alert(document.cookie)"
LONG = "N" * 10_000


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: Counter[tuple[str, tuple[str, ...]]] = Counter()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[(tag, tuple(sorted(name for name, _ in attrs)))] += 1
        self.hrefs.extend(v or "" for n, v in attrs if n in ("href", "src"))


def html_tags(html: str) -> Tags:
    parser = Tags()
    parser.feed(html)
    return parser


def populate(world: World, hostile: bool) -> None:
    """The same shape of data, hostile or benign: five applications, one imported."""
    def v(bad: str, good: str) -> str:
        return bad if hostile else good

    world.ok("add", v(SCRIPT, "Acme"), v(JS, "Account Executive"), "--applied", "2027-01-25",
             "--url", v(JS, "acme.example/jobs/1"),  # neither becomes a link
             "--contact", v(f"{SCRIPT} <dana@acme.example>", "Dana Lee <dana@acme.example>"),
             "--notes", v(f"{INJECT}\n{SCRIPT}", "met at the fair"))
    world.ok("add", v(LONG, "Globex"), v(LONG, "Sales Rep"), "--applied", "2027-01-26",
             "--location", v(SCRIPT, "Chicago"), "--address", v(INJECT + SCRIPT, "1 Main St"))
    world.ok("add", v("Ünïcødé “Co” <b>bold</b>", "Initech"), "SDR", "--applied",
             "2027-01-26", "--contact",
             v(f"{LONG[:9_900]} <x@initech.example>", "Pat <x@initech.example>"))
    # One-line fields refuse line breaks at the door, whatever the path. (A NUL cannot
    # even reach argv; it comes in through the spreadsheet below.)
    for bad in (INJECT, "Acme\rBcc: x@evil.example"):
        refused = world.run("add", bad, "AE")
        assert refused.returncode == 2 and "Traceback" not in refused.stderr
    sheet = world.root / "hunt.csv"
    with open(sheet, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["Company", "Position", "Date Applied", "Status", "Contact", "Email",
                      "Link", "Notes"])
        out.writerow([v(SCRIPT, "Umbrella"), v(JS, "AE"), "2027-01-25", "Applied",
                      v(SCRIPT, "Sam Roe"), "sam@umbrella.example",
                      v(JS + "//umbrella", "u.example/1"),
                      v(INJECT, "called twice")])
        # Refused either way (a line break in a one-line field; an impossible date), so the
        # two worlds keep the same shape.
        out.writerow([v("Evil\x00" + INJECT, "Hooli"), "AE", v("2027-01-25", "2027-02-30"),
                      "Applied", "", "", "", ""])
        out.writerow(["Vandelay", "AE", "2027-01-25", "Applied", "", "", "", ""])
    result = world.run("import", str(sheet), "--skip-bad")
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr


def digest_of(tmp_path: Path, name: str, hostile: bool) -> tuple[SmtpServer, str]:
    root = tmp_path / name
    root.mkdir()
    (root / "home").mkdir()
    server = SmtpServer("plain").start()
    world = World(root, server)
    world.write_config()
    templates = root / "templates"
    templates.mkdir()
    world.ok("init")
    populate(world, hostile)
    result = world.run("digest", "--send", faketime=MORNING)
    assert result.returncode == 0, result.stderr
    server.stop()
    assert len(server.messages) == 1
    return server, world.config.read_text()


def test_hostile_values_change_neither_headers_nor_tags(tmp_path: Path) -> None:
    hostile, _ = digest_of(tmp_path, "hostile", True)
    benign, _ = digest_of(tmp_path, "benign", False)
    bad, good = hostile.messages[0], benign.messages[0]

    assert bad.rcpt_tos == ["alex@example.com"] == good.rcpt_tos
    assert bad.mail_from == good.mail_from
    assert sorted(bad.message.keys()) == sorted(good.message.keys())
    raw = bad.data.decode("ascii", "replace")
    header_block = raw.split("\r\n\r\n", 1)[0]
    assert "victim@evil.example" not in header_block and "X-Injected" not in header_block
    assert all(len(line) <= 998 for line in raw.split("\r\n"))

    bad_html = bad.message.get_body(("html",))
    good_html = good.message.get_body(("html",))
    assert bad_html is not None and good_html is not None
    bad_tags, good_tags = html_tags(bad_html.get_content()), html_tags(good_html.get_content())
    assert bad_tags.tags == good_tags.tags
    assert not any(h.strip().lower().startswith("javascript:") for h in bad_tags.hrefs)
    assert "<script>" not in bad_html.get_content()
    subject = str(bad.message["Subject"])
    assert len(subject) <= 200, f"a {len(subject)}-character subject"
