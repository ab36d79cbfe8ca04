"""Scenario 7: the disk fills up while the digest is being recorded.

A clear error, nothing sent without its record, and delivery once space returns.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import CONFIG, World
from tests.smtpserver import SmtpServer

MORNING = "@2027-02-01 13:00:00"


@pytest.fixture
def small_world(tmp_path: Path) -> Iterator[World]:
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs needs root and mount(8)")
    root = tmp_path / "fs"
    root.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(root)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        with SmtpServer("plain") as server:
            world = World(root, server)
            world.write_config()
            (tmp_path / "home").mkdir()
            world.extra_env["HOME"] = str(tmp_path / "home")
            world.ok("init")
            world.ok("add", "Acme", "AE", "--applied", "2027-01-20")
            yield world
    finally:
        subprocess.run(["umount", "-l", str(root)], check=False)


def fill(directory: Path) -> Path:
    filler = directory / "filler"
    with open(filler, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError:
            pass
    return filler


def test_disk_full_while_recording(small_world: World) -> None:
    world = small_world
    assert CONFIG  # the same config as every scenario
    filler = fill(world.root)
    result = world.run("digest", "--send", faketime=MORNING)
    assert result.returncode == 1, result.stderr
    assert "full" in result.stderr and "Traceback" not in result.stderr
    assert world.server.messages == []  # nothing sent without its record

    filler.unlink()
    assert world.integrity() == "ok"
    result = world.run("digest", "--send", faketime=MORNING)
    assert result.returncode == 0, result.stderr
    assert len(world.server.messages) == 1
    assert world.digests()["2027-02-01"][0] == "sent"
    again = world.run("digest", "--send", faketime=MORNING)
    assert again.returncode == 0
    assert len(world.server.messages) == 1
