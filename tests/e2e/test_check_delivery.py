"""Issue 13, class 10: `check` passes only when delivery and the database can work.

A Maildir that is a file, /dev/null or a folder of something else made `check` say "all
checks passed" while every digest then failed. And a database this user may read but not
write (a user outside the service's group; here a read-only bind mount and an immutable
file, since root writes anything else) refused even `list`: reading commands now work on
a read-only connection, and a change says which file, and which group would allow it.
"""

from __future__ import annotations

import grp
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.e2e.conftest import World

NOW = "@2026-11-30 13:00:00"


def _maildir(world: World, path: Path | str) -> None:
    text = world.config.read_text(encoding="utf-8")
    text = text.replace("[delivery]\n", f'[delivery]\nmethod = "maildir"\nmaildir = "{path}"\n')
    world.config.write_text(text, encoding="utf-8")


def test_check_refuses_a_maildir_delivery_cannot_use(world: World) -> None:
    afile = world.root / "mail.txt"
    afile.write_text("not a folder\n", encoding="utf-8")
    other = world.root / "Documents"
    other.mkdir()
    (other / "cv.pdf").write_bytes(b"%PDF")
    for path, why in ((afile, "is a file, not a folder"),
                      (Path("/dev/null"), "is a device, not a folder"),
                      (other, "is not a Maildir: it has no cur, new, tmp folder")):
        _maildir(world, path)
        result = world.run("check")
        assert result.returncode == 78, result.stdout + result.stderr
        assert f"delivery.maildir: {path} {why}" in result.stderr, result.stderr
        assert "all checks passed" not in result.stdout
        world.config.write_text(world.config.read_text(encoding="utf-8").replace(
            f'method = "maildir"\nmaildir = "{path}"\n', ""), encoding="utf-8")
    # A Maildir, an empty folder and a path to be created all pass; delivery works.
    empty = world.root / "Empty"
    empty.mkdir()
    _maildir(world, empty)
    result = world.run("check")
    assert result.returncode == 0, result.stderr
    assert "all checks passed" in result.stdout
    world.ok("digest", "--send", faketime=NOW)
    assert len(list((empty / "new").iterdir())) == 1


@contextmanager
def _read_only_bind(folder: Path) -> Iterator[None]:
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("a read-only bind mount needs root and mount(8)")
    done = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot bind-mount here: {done.stderr.strip()}")
    try:
        remount = subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)],
                                 capture_output=True, text=True, check=False)
        if remount.returncode != 0:
            pytest.skip(f"cannot remount read-only here: {remount.stderr.strip()}")
        yield
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


READING = ((("list",), "Acme"), (("show", "1"), "Acme"), (("due",), "Acme"),
           (("export",), "Acme"), (("export", "--format", "json"), '"company": "Acme"'),
           (("stats",), "pipeline: applied 1"))


def test_a_read_only_database_reads_and_says_why_it_cannot_write(world: World) -> None:
    data = world.root / "data"
    data.mkdir()
    world.db.rename(data / "nudger.db")
    world.config.write_text(world.config.read_text(encoding="utf-8").replace(
        'database = "nudger.db"', f'database = "{data / "nudger.db"}"'), encoding="utf-8")
    world.ok("list")  # closes cleanly: no -wal is left behind
    with _read_only_bind(data):
        for args, shown in READING:
            result = world.run(*args, faketime=NOW)
            assert result.returncode == 0, (args, result.stderr)
            assert shown in result.stdout, (args, result.stdout)
        result = world.run("add", "Globex", "Seller", faketime=NOW)
        assert result.returncode == 1
        assert (f"cannot change the database: {data / 'nudger.db'} is on a read-only "
                "filesystem") in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_a_database_outside_your_group_names_the_group(world: World) -> None:
    if os.geteuid() != 0 or not shutil.which("chattr"):
        pytest.skip("an immutable file (the one write root cannot do) needs root and chattr")
    group = grp.getgrgid(os.getgid()).gr_name
    world.ok("list")
    if subprocess.run(["chattr", "+i", str(world.db)], capture_output=True,
                      check=False).returncode != 0:
        pytest.skip("this filesystem has no immutable attribute")
    try:
        assert "Acme" in world.ok("list", faketime=NOW)
        assert "Acme" in world.ok("export", faketime=NOW)
        result = world.run("log", "1", "email", faketime=NOW)
        assert result.returncode == 1, result.stderr
        assert f"cannot change the database: {world.db} is not writable by you" \
            in result.stderr, result.stderr
        assert f"membership of the group '{group}': `sudo usermod -aG {group} $USER`" \
            in result.stderr
        check = world.run("check")  # the service's user can write it: a note, not a failure
        assert check.returncode == 0, check.stderr
        assert f"read-only: {world.db} is not writable by you" in check.stdout, check.stdout
    finally:
        subprocess.run(["chattr", "-i", str(world.db)], check=False)
