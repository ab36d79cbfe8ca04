"""The database holds contacts and mail snippets: nobody but its owner (or the service's
group) may read it. Created 0600 whatever the umask, its -wal/-shm too, an export too; the
daemon adds group bits only; `check` warns about a database others can read (issue 21,
item 14)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from nudger.files import share_as_umask_allows
from tests.conftest import Home


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_and_its_journal_are_private_under_umask_022(home: Home) -> None:
    old = os.umask(0o022)
    try:
        home.db_path.unlink(missing_ok=True)
        home.ok("add", "Acme", "Account Executive", "--contact", "Dana <dana@acme.example>")
        for suffix in ("", "-wal", "-shm"):
            path = Path(f"{home.db_path}{suffix}")
            if path.exists():
                assert mode(path) & 0o077 == 0, (path, oct(mode(path)))
        backup = home.root / "backup.json"
        home.ok("export", "--format", "json", "-o", str(backup))
        assert mode(backup) == 0o600
    finally:
        os.umask(old)


def test_the_daemon_opens_it_to_the_group_never_to_others(tmp_path: Path) -> None:
    db = tmp_path / "nudger.db"
    db.write_bytes(b"")
    db.chmod(0o600)
    old = os.umask(0o022)
    try:
        share_as_umask_allows(db)
    finally:
        os.umask(old)
    assert mode(db) == 0o640


def test_check_warns_about_a_database_others_can_read(home: Home) -> None:
    home.ok("add", "Acme", "Account Executive")
    home.db_path.chmod(0o644)
    result = home.run("check")
    assert result.code == 0
    assert f"{home.db_path} is readable by other users (mode 0644)" in result.err
    assert "chmod o-rwx" in result.err
    for suffix in ("", "-wal", "-shm"):  # the journal copied the database's mode
        if Path(f"{home.db_path}{suffix}").exists():
            Path(f"{home.db_path}{suffix}").chmod(0o600)
    assert "readable by other users" not in home.run("check").err
