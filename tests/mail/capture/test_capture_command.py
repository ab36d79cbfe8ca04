"""`nudger capture` over files, and capture in the live sync against a real Dovecot:
suggestions by default, --add, --dry-run, --json; never a duplicate; a dismissed finding
never comes back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import Home, imap_config, rows
from tests.paths import FIXTURES, REPO

CORPUS = FIXTURES / "mail"
POSTMARK = b"From MAILER-DAEMON Tue Oct  6 09:30:00 2026\n"


def make_mbox(path: Path, *names: str, extra: bytes = b"") -> Path:
    with path.open("wb") as out:
        for name in names:
            out.write(POSTMARK + (CORPUS / name).read_bytes().rstrip(b"\n") + b"\n\n")
        out.write(extra)
    return path


MAILS = ("app_greenhouse.eml", "neg_linkedin_alert.eml", "rej_greenhouse.eml",
         "app_lever.eml", "int_lever.eml", "neg_receipt.eml", "app_personio.eml")


def test_dry_run_prints_and_changes_nothing(home: Home, tmp_path: Path) -> None:
    box = make_mbox(tmp_path / "All.mbox", *MAILS)
    out = home.ok("capture", str(box), "--dry-run")
    assert "read 7 messages" in out and "3 to propose" in out
    assert "+ Acme Robotics / Senior Backend Engineer (applied 2026-09-01, now rejected " \
           "since 2026-10-04, via Greenhouse)" in out
    assert "Northwind Labs / Product Designer" in out and "now interviewing" in out
    assert "Grünwald Logistik GmbH / Werkstudent Softwareentwicklung" in out
    assert "why: from Acme Robotics <no-reply@us.greenhouse-mail.io> (Greenhouse)" in out
    assert "dry run: nothing was changed" in out
    assert rows(home, "SELECT count(*) FROM suggestion") == [(0,)]
    assert rows(home, "SELECT count(*) FROM application") == [(0,)]


def test_suggest_then_rerun_proposes_nothing_new_and_dismissed_stays_away(
        home: Home, tmp_path: Path) -> None:
    box = make_mbox(tmp_path / "All.mbox", *MAILS)
    out = home.ok("capture", str(box))
    assert "S1 " in out and "nudger suggestions" in out
    listed = json.loads(home.ok("suggestions", "--json"))
    assert len(listed) == 3
    acme = next(s for s in listed if "Acme" in s["summary"])
    assert acme["payload"]["stage"] == "rejected"
    assert acme["payload"]["applied_on"] == "2026-09-01"
    assert "Greenhouse" in acme["reason"]
    home.ok("dismiss", acme["id"])
    out = home.ok("capture", str(box))
    # Found again, but only what is new counts as "to propose" (issue 21, item 12).
    assert "0 to propose, 3 proposed before (2 open, 1 dismissed)" in out
    assert f"· {acme['id']} " in out and "proposed before (dismissed)" in out
    assert "S4" not in out
    assert rows(home, "SELECT count(*) FROM suggestion") == [(3,)]
    northwind = next(s for s in listed if "Northwind" in s["summary"])
    home.ok("accept", northwind["id"])
    assert rows(home, "SELECT company, role, stage, source FROM application") == [
        ("Northwind Labs", "Product Designer", "interviewing", "Lever")]
    home.ok("capture", str(box))
    assert rows(home, "SELECT count(*) FROM application") == [(1,)]
    assert rows(home, "SELECT count(*) FROM suggestion WHERE status = 'open'") == [(1,)]


def test_add_accepts_everything_and_a_rerun_adds_nothing(home: Home, tmp_path: Path) -> None:
    box = make_mbox(tmp_path / "All.mbox", *MAILS)
    out = home.ok("capture", str(box), "--add")
    assert "added #1" in out
    apps = rows(home, "SELECT company, role, stage, applied_on, url FROM application "
                      "ORDER BY company")
    assert apps == [
        ("Acme Robotics", "Senior Backend Engineer", "rejected", "2026-09-01",
         "https://boards.greenhouse.io/acmerobotics/jobs/4821337"),
        ("Grünwald Logistik GmbH", "Werkstudent Softwareentwicklung", "applied", "2026-09-10",
         ""),
        ("Northwind Labs", "Product Designer", "interviewing", "2026-09-02",
         "https://jobs.lever.co/northwindlabs/5f1c2a9e-8b7d-4c61-9e4f-0a1b2c3d4e5f"),
    ]
    assert rows(home, "SELECT count(*) FROM suggestion WHERE status = 'accepted'") == [(3,)]
    out = home.ok("capture", str(box), "--add")
    assert "0 to propose, 3 already tracked" in out
    assert rows(home, "SELECT count(*) FROM application") == [(3,)]


def test_tracked_applications_are_matched_not_proposed(home: Home, tmp_path: Path) -> None:
    home.ok("add", "ACME Robotics, Inc.", "Senior Backend Engineer (m/w/d) - Remote",
            "--applied", "2026-08-30")
    home.ok("add", "Grünwald Logistik", "Werkstudent Softwareentwicklung")
    box = make_mbox(tmp_path / "All.mbox", "app_greenhouse.eml", "rej_greenhouse.eml",
                    "app_personio.eml")
    data = json.loads(home.ok("capture", str(box), "--json"))
    by_kind = {(p["kind"], p["matched"]): p for p in data["proposals"]}
    # The confirmation is matched to #1, the rejection tied to it as a stage change.
    assert by_kind[("stage", False)]["application_id"] == 1
    assert by_kind[("stage", False)]["stage"] == "rejected"
    assert {p["application_id"] for p in data["proposals"] if p["matched"]} == {1, 2}
    home.ok("accept", "S1")
    assert rows(home, "SELECT stage FROM application WHERE id = 1") == [("rejected",)]
    assert rows(home, "SELECT count(*) FROM application") == [(2,)]


def test_same_job_url_is_the_same_application(home: Home, tmp_path: Path) -> None:
    home.ok("add", "Acme", "Backend", "--url",
            "https://boards.greenhouse.io/acmerobotics/jobs/4821337/?gh_src=mail")
    box = make_mbox(tmp_path / "m.mbox", "app_greenhouse.eml")
    assert "0 to propose, 1 already tracked" in home.ok("capture", str(box))


def test_json_since_and_bad_messages(home: Home, tmp_path: Path) -> None:
    box = make_mbox(tmp_path / "m.mbox", "app_greenhouse.eml", "app_personio.eml",
                    extra=POSTMARK + b"Subject: cut off in the headers")
    result = home.run("capture", str(box), "--since", "2026-09-05", "--json")
    assert result.code == 0
    data = json.loads(result.out)
    assert data["mode"] == "suggest" and data["messages"] == 2
    assert [p["company"] for p in data["proposals"]] == ["Grünwald Logistik GmbH"]
    assert data["skipped"] == [{"where": f"{box}#3, byte {box.stat().st_size - 31}",
                                "reason": "the file ends inside this message's headers "
                                          "(a truncated mbox?)"}]
    plain = home.run("capture", str(box), "--dry-run")
    assert f"skipped {box}#3" in plain.err and "Traceback" not in plain.err


def test_usage_errors(home: Home, tmp_path: Path) -> None:
    result = home.run("capture", str(tmp_path / "nope.mbox"))
    assert result.code == 2 and "no such file or folder" in result.err
    result = home.run("capture", str(tmp_path), "--since", "someday")
    assert result.code == 2 and "--since" in result.err
    assert home.run("capture", str(tmp_path), "--add", "--dry-run").code == 2


def test_outreach_only_when_asked(home: Home, tmp_path: Path) -> None:
    box = make_mbox(tmp_path / "m.mbox", "neg_cold_outreach2.eml")
    assert "0 to propose" in home.ok("capture", str(box), "--dry-run")
    out = home.ok("capture", str(box), "--outreach", "--add")
    assert "added #1" in out
    assert rows(home, "SELECT company, stage, applied_on FROM application") == [
        ("Quantum Loop", "wishlist", None)]


# --- live: listen's sync runs the recogniser over new INBOX mail ------------------------

PASSWORD = "secret"


def test_live_sync_suggests_then_adds(home: Home, dovecot: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("NUDGER_IMAP_PASSWORD", PASSWORD)
    home.write_config(imap_config(dovecot, mailbox='capture = "suggest"'))
    for name in ("app_greenhouse.eml", "neg_linkedin_alert.eml", "app_lever.eml"):
        dovecot.append("INBOX", (CORPUS / name).read_bytes())
    dry = home.ok("mail", "sync", "--dry-run")
    assert "would propose: Acme Robotics / Senior Backend Engineer" in dry
    assert rows(home, "SELECT count(*) FROM suggestion") == [(0,)]
    home.ok("mail", "sync")
    assert rows(home, "SELECT kind, status, summary FROM suggestion ORDER BY id") == [
        ("application", "open", "Acme Robotics / Senior Backend Engineer (applied "
                                "2026-09-01, via Greenhouse)"),
        ("application", "open", "Northwind Labs / Product Designer (applied 2026-09-02, "
                                "via Lever)"),
    ]
    # Seen again (a second pass): nothing twice. The same mail in an mbox: nothing new.
    home.ok("mail", "sync")
    box = make_mbox(home.root / "m.mbox", "app_greenhouse.eml")
    home.ok("capture", str(box))
    assert rows(home, "SELECT count(*) FROM suggestion") == [(2,)]
    # capture = "add": the next new mail is added directly.
    home.write_config(imap_config(dovecot, mailbox='capture = "add"'))
    dovecot.append("INBOX", (CORPUS / "rej_greenhouse.eml").read_bytes())
    dovecot.append("INBOX", (CORPUS / "app_personio.eml").read_bytes())
    out = home.ok("mail", "sync")
    assert "added #1 Grünwald Logistik GmbH" in out
    assert rows(home, "SELECT company, stage FROM application") == [
        ("Grünwald Logistik GmbH", "applied")]
    # Nothing the user has was marked read.
    assert all(b"\\Seen" not in dovecot.flags("INBOX", uid) for uid in dovecot.uids("INBOX"))


def test_capture_over_files_does_not_load_the_sync_and_sync_still_gets_the_handler() -> None:
    """`nudger capture` reads files only: importing it leaves the IMAP sync machinery out
    (its start-up cost), and the handlers the sync's callers pass it (nudger.mail.handlers)
    still hold capture's, last, after the command step."""
    import subprocess
    import sys

    code = ("import sys, nudger.mail.capture.scan, nudger.mail.capture.store\n"
            "assert 'nudger.mail.imap.sync' not in sys.modules, 'capture imported the sync'\n"
            "from nudger.mail.handlers import inbox_handlers\n"
            "handlers = inbox_handlers()\n"
            "from nudger.mail.capture.live import handle_inbox\n"
            "from nudger.mail.act.commands.handle import on_inbox_message\n"
            "assert handlers.capture == (handle_inbox,), handlers\n"
            "assert handlers.commands == (on_inbox_message,), handlers\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr


def test_a_dry_run_reads_the_tracker_without_sqlalchemy(home: Home, tmp_path: Path) -> None:
    """A dry run only reads the tracked applications: plain SQLite, no SQLModel import
    (~0.7 s of start-up); it still matches what is tracked."""
    import subprocess
    import sys

    home.ok("add", "ACME Robotics, Inc.", "Senior Backend Engineer (m/w/d) - Remote")
    box = make_mbox(tmp_path / "m.mbox", *MAILS)
    code = ("import sys\nfrom nudger.cli import main\n"
            f"code = main(['--config', {str(home.config)!r}, 'capture', {str(box)!r}, "
            "'--dry-run', '--json'])\n"
            "assert code == 0, code\n"
            "assert 'sqlalchemy' not in sys.modules, 'a dry run imported SQLAlchemy'\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["messages"] == len(MAILS)
    assert [p["application_id"] for p in data["proposals"] if p["matched"]] == [1]


def test_live_capture_off(home: Home, dovecot: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("NUDGER_IMAP_PASSWORD", PASSWORD)
    home.write_config(imap_config(dovecot, mailbox='capture = "off"'))
    dovecot.append("INBOX", (CORPUS / "app_greenhouse.eml").read_bytes())
    home.ok("mail", "sync")
    assert rows(home, "SELECT count(*) FROM suggestion") == [(0,)]


def test_digest_lists_found_in_your_mail_escaped(home: Home, tmp_path: Path) -> None:
    hostile = (CORPUS / "app_greenhouse.eml").read_bytes().replace(
        b"From: Acme Robotics <", b"From: \"<b>Acme</b> & Co\" <").replace(
        b"at Acme Robotics", b"at <b>Acme</b> & Co")
    (tmp_path / "hostile.eml").write_bytes(hostile)
    box = make_mbox(tmp_path / "m.mbox", "app_lever.eml")
    home.ok("capture", str(box), str(tmp_path / "hostile.eml"))
    home.ok("digest", "--html", str(tmp_path / "d.html"))
    text = home.ok("digest")
    assert "FOUND IN YOUR MAIL (2)" in text
    assert "S1 Northwind Labs / Product Designer" in text
    assert "Add: nudger accept S1    Dismiss: nudger dismiss S1" in text
    html = (tmp_path / "d.html").read_text()
    assert "Found in your mail (2)" in html
    assert "&lt;b&gt;Acme&lt;/b&gt; &amp; Co" in html and "<b>Acme</b>" not in html
    # capture = "add" (or an accept): the next digest says what was added.
    home.ok("accept", "S1")
    text = home.ok("digest")
    assert "Added from your mail: Northwind Labs / Product Designer" in text
    assert "FOUND IN YOUR MAIL (1)" in text


def test_demo_sample_mbox_shows_suggestions_in_the_digest(home: Home) -> None:
    """What `make demo` runs: the shipped sample mbox over the demo data."""
    home.config.unlink()
    home.ok("init", "--demo", "--database", "nudger.db")
    sample = REPO / "nudger" / "mail" / "capture" / "sample.mbox"
    out = home.ok("capture", str(sample))
    assert "4 to propose" in out
    assert "~ #2 Contoso Ltd / Inside Sales Representative: stage → rejected" in out
    text = home.ok("digest")
    assert "FOUND IN YOUR MAIL (4)" in text
    assert "Alpine Ski House / Key Account Manager" in text


def test_installed_capture_over_hostile_files_never_tracebacks(tmp_path: Path) -> None:
    """The console script, as a user runs it, over a truncated mbox full of bad mail."""
    from tests.conftest import BASE_CONFIG, run_installed

    config = tmp_path / "config.toml"
    config.write_text(BASE_CONFIG.replace('database = "nudger.db"',
                                          f'database = "{tmp_path / "n.db"}"'))
    company = "Evil " + "Corp" * 1250
    box = make_mbox(
        tmp_path / "hostile.mbox", "app_greenhouse.eml",
        extra=POSTMARK + b"From: =?utf-8?q?x=0D=0ABcc:_a@b?= <no-reply@greenhouse.io>\n"
        b"Subject: Thank you for applying\nContent-Type: multipart/mixed\n\n"
        b"Thank you for applying to the Analyst position at " + company.encode() + b".\n\n"
        + POSTMARK + b"\x00\xff garbage\n\n" + POSTMARK + b"Subject: cut")
    result = run_installed("--config", str(config), "capture", str(box), "--json")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    data = json.loads(result.stdout)
    # Garbage with a blank line is a message with nothing in it; the cut one is skipped.
    assert [s["where"].split(", ")[0] for s in data["skipped"]] == [f"{box}#4"]
    assert data["messages"] == 3
    assert all(len(p["company"]) <= 200 and "\n" not in p["company"]
               for p in data["proposals"])


def test_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    import os
    import pty
    import subprocess

    from tests.conftest import BASE_CONFIG, nudger_executable

    config = tmp_path / "config.toml"
    config.write_text(BASE_CONFIG.replace('database = "nudger.db"',
                                          f'database = "{tmp_path / "n.db"}"'))
    box = make_mbox(tmp_path / "m.mbox", *(MAILS * 3))
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(
            [nudger_executable(), "--config", str(config), "capture", str(box), "--dry-run"],
            stdout=subprocess.PIPE, stderr=follower, timeout=60, check=False,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        os.close(follower)
        follower = -1
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if follower >= 0:
            os.close(follower)
        os.close(leader)
    assert proc.returncode == 0
    assert b"messages" in seen and b"\r[" in seen  # the bar, on the terminal only
    assert b"\r[" not in proc.stdout
