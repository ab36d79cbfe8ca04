"""Scenario 7: the disk fills up while the digest is being recorded.

A clear error, nothing sent without its record, and delivery once space returns.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import fill_disk, tiny_filesystem
from tests.e2e.conftest import CONFIG, World
from tests.smtpserver import SmtpServer

MORNING = "@2027-02-01 13:00:00"


@pytest.fixture
def small_world(tmp_path: Path) -> Iterator[World]:
    with tiny_filesystem(tmp_path / "fs", "3m") as root, SmtpServer("plain") as server:
        world = World(root, server)
        world.write_config()
        (tmp_path / "home").mkdir()
        world.extra_env["HOME"] = str(tmp_path / "home")
        world.ok("init")
        world.ok("add", "Acme", "AE", "--applied", "2027-01-20")
        yield world


def test_disk_full_while_recording(small_world: World) -> None:
    world = small_world
    assert CONFIG  # the same config as every scenario
    filler = fill_disk(world.root)
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
