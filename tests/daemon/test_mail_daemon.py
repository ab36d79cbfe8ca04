"""The daemon polls the mailbox every [imap] poll (an APScheduler interval job, the pass
off the event loop): across a Dovecot restart it logs the failure (server, reason, what
to do), shows it in `nudger status`, keeps its digest schedule, and recovers at the next
poll. Its clock runs 30x fast under libfaketime so a 1-minute poll takes 2 s."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import imap_table, run_installed
from tests.daemon_helpers import DaemonProcess, config_head, faketime_library, noon_zone
from tests.mail.imap.test_mail_sync import mail

FAKETIME = faketime_library()


def write_config(home: Path, server: Any) -> Path:
    config = home / ".config/nudger/config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(config_head(noon_zone()) + f"""
[digest]
time = "23:50"
{imap_table(server)}poll = "1 minute"
""", encoding="utf-8")
    return config


def fabrikam_home(tmp_path: Path, server: Any) -> tuple[Path, Path, dict[str, str]]:
    """A home whose config polls `server` every minute, with one application (Fabrikam,
    contact Priya) added: (home, config, the environment to run nudger in)."""
    home = tmp_path / "home"
    config = write_config(home, server)
    env = {"HOME": str(home), "XDG_DATA_HOME": str(home / ".local/share"),
           "NUDGER_IMAP_PASSWORD": server.password}
    added = run_installed("--config", str(config), "add", "Fabrikam", "AE", "--applied",
                          "2026-11-16", "--contact", "Priya <priya@fabrikam.com>", env=env)
    assert added.returncode == 0, added.stderr
    return home, config, env


@pytest.mark.slow
@pytest.mark.xdist_group("clock")  # 30x clock: one at a time
@pytest.mark.skipif(FAKETIME is None, reason="libfaketime is not installed "
                    "(apt-get install faketime)")
def test_daemon_polls_across_a_dovecot_restart(tmp_path: Path, private_dovecot: Any) -> None:
    dovecot = private_dovecot  # stopped and started again below: not the shared server
    home, config, env = fabrikam_home(tmp_path, dovecot)
    assert FAKETIME is not None
    daemon = DaemonProcess(home, config, "run", env={
        **env, "LD_PRELOAD": FAKETIME, "FAKETIME": "+0 x30", "FAKETIME_NO_CACHE": "1"})
    try:
        daemon.wait_ready()
        # READY and the start-up line come by two pipes: wait for the line, never assume it.
        daemon.wait_log(r"mailbox 127\.0\.0\.1 every 1 minute")
        daemon.wait_log(r"mailbox 127\.0\.0\.1:\d+ read: nothing new", timeout=30)
        dovecot.stop()
        line = daemon.wait_log(r"mailbox: IMAP server 127\.0\.0\.1:\d+: connection refused",
                               timeout=30)
        assert "retrying at the next poll" in line and dovecot.password not in daemon.log
        status = run_installed("--config", str(config), "status", env=env)
        assert "FAILING" in status.stdout and "connection refused" in status.stdout
        dovecot.start()
        dovecot.append("Sent", mail("alex@example.com", "priya@fabrikam.com",
                                    "Following up", "d1@example.com"))
        daemon.wait_log(r"mailbox 127\.0\.0\.1:\d+ read: 1 followup", timeout=30)
        status = run_installed("--config", str(config), "status", env=env)
        assert "last read" in status.stdout and "FAILING" not in status.stdout
        shown = run_installed("--config", str(config), "show", "1", env=env)
        assert "sent: Following up" in shown.stdout
        assert daemon.stop(signal.SIGTERM) == 0
    finally:
        daemon.close()
    assert not [line for line in daemon.lines if "Traceback" in line]


@pytest.mark.slow
def test_sigterm_during_a_sync_records_whole_batches(tmp_path: Path, dovecot: Any) -> None:
    import sqlite3
    import time

    total = 2_000  # four header batches
    replies = set(range(0, total, 100))
    dovecot.plant_maildir(
        mail("priya@fabrikam.com" if i in replies else f"news{i}@list.example",
             "alex@example.com", f"message {i}", f"m{i}@x.example") for i in range(total))
    home, config, env = fabrikam_home(tmp_path, dovecot)
    db = config.parent / "nudger.db"

    def highest() -> int:
        con = sqlite3.connect(db, timeout=10)
        try:
            row = con.execute("SELECT highest_uid FROM mailfolder WHERE folder = 'INBOX'"
                              ).fetchone()
            return int(row[0]) if row else 0
        except sqlite3.OperationalError:
            return 0
        finally:
            con.close()

    daemon = DaemonProcess(home, config, "run", env=env)
    try:
        daemon.wait_ready()
        deadline = time.monotonic() + 60
        while highest() == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert daemon.stop(signal.SIGTERM, timeout=30) == 0
    finally:
        daemon.close()
    # Whatever was recorded is exactly the replies among the UIDs the state covers.
    con = sqlite3.connect(db)
    covered = con.execute("SELECT highest_uid FROM mailfolder WHERE folder = 'INBOX'"
                          ).fetchone()[0]
    keys = {k for (k,) in con.execute("SELECT key FROM mailmessage")}
    con.close()
    client = dovecot.client()
    try:
        client.select_folder("INBOX", readonly=True)
        fetched = client.fetch(client.search("ALL"),
                               ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID FROM)]"])
    finally:
        client.logout()
    expected = set()
    for uid, item in fetched.items():
        raw = next(v for k, v in item.items() if k.startswith(b"BODY["))
        if uid <= covered and b"priya@fabrikam.com" in raw:
            expected.add(raw.split(b"<", 1)[1].split(b">", 1)[0].decode())
    assert keys == expected
    assert covered % 500 == 0 or covered == max(fetched)
    # The next pass finishes the job, once.
    again = run_installed("--config", str(config), "mail", "sync", env=env)
    assert again.returncode == 0, again.stderr
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM mailmessage").fetchone()[0] == len(replies)
    con.close()
